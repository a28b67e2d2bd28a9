// Package runmsg is the body of every broker message: the identity of a run, or of a notice to
// deliver. It imports nothing of the broker, so that handlers can hand runs to a publisher without
// depending on AMQP.
package runmsg

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Message names a run. Everything else about the run is read from the database, which is the truth.
type Message struct {
	RunID int64 `json:"run_id"`
	JobID int64 `json:"job_id"`
}

// Encode is the message as the broker carries it.
func (m Message) Encode() []byte {
	body, _ := json.Marshal(m) // two integers always encode
	return body
}

// Decode reads a message body, refusing one that does not name a run.
func Decode(body []byte) (Message, error) {
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		return Message{}, fmt.Errorf("decode run message: %w", err)
	}
	if m.RunID <= 0 {
		return Message{}, errors.New("decode run message: no run id")
	}
	return m, nil
}

// ID is the run's id.
func (m Message) ID() int64 { return m.RunID }

// MessageID is the broker's id for the message, unique among runs and notices.
func (m Message) MessageID() string { return strconv.FormatInt(m.RunID, 10) }

// String names the run in errors and logs.
func (m Message) String() string { return "run " + m.MessageID() }

// Notice names a notice to deliver: like a run, everything else about it is read from the database.
type Notice struct {
	NoticeID int64 `json:"notice_id"`
}

// Encode is the notice message as the broker carries it.
func (n Notice) Encode() []byte {
	body, _ := json.Marshal(n) // an integer always encodes
	return body
}

// ID is the notice's id.
func (n Notice) ID() int64 { return n.NoticeID }

// MessageID is the broker's id for the message, unique among runs and notices.
func (n Notice) MessageID() string { return "notice-" + strconv.FormatInt(n.NoticeID, 10) }

// String names the notice in errors and logs.
func (n Notice) String() string { return "notice " + strconv.FormatInt(n.NoticeID, 10) }

// DecodeNotice reads a notice message body, refusing one that does not name a notice.
func DecodeNotice(body []byte) (Notice, error) {
	var n Notice
	if err := json.Unmarshal(body, &n); err != nil {
		return Notice{}, fmt.Errorf("decode notice message: %w", err)
	}
	if n.NoticeID <= 0 {
		return Notice{}, errors.New("decode notice message: no notice id")
	}
	return n, nil
}
