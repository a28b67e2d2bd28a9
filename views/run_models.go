package views

// Step is one line of a run's timeline (issue 27): the run queued, each attempt, the retry wait
// between two attempts, and the end. Kind is "queued", "attempt", "wait" or "finished"; an
// attempt's step carries the attempt.
type Step struct {
	Kind     string
	Label    string
	At       Moment
	Duration string
	Attempt  *Attempt
}

// Exchange is what one attempt sent and got back, for its page. Kind is "http" (Request, maybe
// Response, Timings), "mail" (Mail) or "" (nothing kept: a task that failed before sending, or an
// attempt recorded before attempts kept their exchange).
type Exchange struct {
	Kind     string
	Request  *ExchangeSide
	Response *ExchangeSide
	Timings  []Timing
	Mail     []Setting
	// Curl is the request as a curl command, secrets as $CRONFLOW_SECRET_NAME references.
	Curl string
}

// ExchangeSide is a request or a response: its first line, headers and the start of its body.
// BodyNote says the body was cut or was empty.
type ExchangeSide struct {
	Line     string
	Headers  []Setting
	Body     string
	BodyNote string
}

// Timing is one phase of an HTTP attempt: its name, how long it took, and its share of the
// longest phase, in per cent, for the bar.
type Timing struct {
	Label, Value string
	Percent      int
}
