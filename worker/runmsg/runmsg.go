// Package runmsg is the body of every broker message: the identity of a run. It imports nothing of
// the broker, so that handlers can hand runs to a publisher without depending on AMQP.
package runmsg

import (
	"encoding/json"
	"errors"
	"fmt"
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
