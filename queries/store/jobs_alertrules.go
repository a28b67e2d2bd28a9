package store

import (
	"encoding/json"
	"time"
)

// The rules that cut noise in a job's alerts (issue 22): alerts.repeat reminds the channels while
// the job keeps failing, alerts.flap_window damps a job that fails and recovers over and over.
// Both are durations; null or absent is off. See worker/alerter_rules.go for what they do.
const (
	minAlertRepeat     = 5 * time.Minute
	maxAlertRepeat     = 7 * 24 * time.Hour
	minAlertFlapWindow = time.Minute
	maxAlertFlapWindow = 7 * 24 * time.Hour
)

// alertRulesInput is the part of alerts as a client sends them that holds the rules, kept raw to
// report a wrong type on its field.
type alertRulesInput struct {
	Repeat     json.RawMessage `json:"repeat"`
	FlapWindow json.RawMessage `json:"flap_window"`
}

// readAlertRules checks the rules of a job's alerts as given, in milliseconds. Alerts not given
// at all come back as nil, which JobInsert reads as off and JobUpdate as "as they are"; alerts
// given without a rule turn that rule off (0).
func readAlertRules(raw json.RawMessage, problems map[string]string) (repeatMs, flapWindowMs *int64) {
	if !present(raw) {
		return nil, nil
	}
	var in alertRulesInput
	if json.Unmarshal(raw, &in) != nil {
		return nil, nil // readAlerts reports alerts that are no object
	}
	return ruleField(problems, "alerts.repeat", in.Repeat, minAlertRepeat, maxAlertRepeat),
		ruleField(problems, "alerts.flap_window", in.FlapWindow, minAlertFlapWindow, maxAlertFlapWindow)
}

// ruleField reads one optional duration of the rules: null, absent or "" is off (0).
func ruleField(problems map[string]string, field string, raw json.RawMessage, lo, hi time.Duration) *int64 {
	var off int64
	if !present(raw) || string(raw) == `""` {
		return &off
	}
	ms := durationField(problems, field, raw, lo, hi).Milliseconds()
	return &ms
}

// AlertRuleText is a rule as the API, an export and the audit log show it: a duration as Go
// writes it ("1h0m0s"), or nil when the rule is off.
func AlertRuleText(ms int64) *string {
	if ms <= 0 {
		return nil
	}
	s := (time.Duration(ms) * time.Millisecond).String()
	return &s
}

// orZero is what p points to, or T's zero value for nil (alert rules' milliseconds, a job's
// start_at and end_at).
func orZero[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
