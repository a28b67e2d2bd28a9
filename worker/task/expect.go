package task

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// maxExpectStatus bounds the list of expected statuses.
const maxExpectStatus = 20

// statusRange is one entry of expect_status: a code (201) or a range ("2xx", "200-299").
type statusRange struct{ lo, hi int }

// defaultExpect is what a request expects when its job says nothing: any 2xx.
var defaultExpect = []statusRange{{200, 299}}

// parseStatusRange reads a code given as a number or as text, "Nxx", or "lo-hi".
func parseStatusRange(raw json.RawMessage) (statusRange, bool) {
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return statusRange{n, n}, n >= 100 && n <= 599
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return statusRange{}, false
	}
	return parseStatusText(s)
}

// parseStatusText reads "201", "2xx" or "200-299".
func parseStatusText(s string) (statusRange, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	var r statusRange
	if len(s) == 3 && strings.HasSuffix(s, "xx") && s[0] >= '1' && s[0] <= '5' {
		lo := int(s[0]-'0') * 100
		return statusRange{lo, lo + 99}, true
	}
	if a, b, ok := strings.Cut(s, "-"); ok {
		lo, err1 := strconv.Atoi(strings.TrimSpace(a))
		hi, err2 := strconv.Atoi(strings.TrimSpace(b))
		r = statusRange{lo, hi}
		return r, err1 == nil && err2 == nil && lo >= 100 && hi <= 599 && lo <= hi
	}
	n, err := strconv.Atoi(s)
	return statusRange{n, n}, err == nil && n >= 100 && n <= 599
}

// MarshalJSON writes a code as a number and a range as text, as the author would.
func (r statusRange) MarshalJSON() ([]byte, error) {
	if r.lo == r.hi {
		return json.Marshal(r.lo)
	}
	return json.Marshal(r.String())
}

// UnmarshalJSON reads what MarshalJSON wrote; validation has checked it already.
func (r *statusRange) UnmarshalJSON(raw []byte) error {
	v, ok := parseStatusRange(raw)
	if !ok {
		return fmt.Errorf("%s is not a status code or range", raw)
	}
	*r = v
	return nil
}

// String is the range as people write it.
func (r statusRange) String() string {
	switch {
	case r.lo == r.hi:
		return strconv.Itoa(r.lo)
	case r.lo%100 == 0 && r.hi == r.lo+99:
		return strconv.Itoa(r.lo/100) + "xx"
	}
	return fmt.Sprintf("%d-%d", r.lo, r.hi)
}

// expectText is a list of ranges as people read it: "2xx" or "201, 204 or 3xx".
func expectText(ranges []statusRange) string {
	if len(ranges) == 0 {
		ranges = defaultExpect
	}
	parts := make([]string, len(ranges))
	for i, r := range ranges {
		parts[i] = r.String()
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// matches reports whether code is within one of the ranges (any 2xx when there are none).
func matches(ranges []statusRange, code int) bool {
	if len(ranges) == 0 {
		ranges = defaultExpect
	}
	for _, r := range ranges {
		if code >= r.lo && code <= r.hi {
			return true
		}
	}
	return false
}

// checkExpectStatus reads expect_status as given: a list of codes and ranges, or nothing for 2xx.
func checkExpectStatus(raw json.RawMessage) ([]statusRange, string) {
	if len(raw) == 0 || string(raw) == "null" {
		return defaultExpect, ""
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		var one json.RawMessage = raw
		list = []json.RawMessage{one}
	}
	if len(list) == 0 {
		return defaultExpect, ""
	}
	if len(list) > maxExpectStatus {
		return nil, fmt.Sprintf("must list at most %d codes and ranges", maxExpectStatus)
	}
	out := make([]statusRange, 0, len(list))
	for _, item := range list {
		r, ok := parseStatusRange(item)
		if !ok {
			return nil, statusProblem(item)
		}
		out = append(out, r)
	}
	return out, ""
}

// splitStatusText reads a form's expected statuses, "201, 204" or "2xx 304", as JSON strings.
func splitStatusText(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
}

// statusProblem says why an expected status is not one, in the words of the form: a number out
// of range is "600 is not an HTTP status code; use 100–599", anything else is named in quotes.
func statusProblem(item json.RawMessage) string {
	var text string
	if json.Unmarshal(item, &text) != nil {
		text = string(item)
	}
	text = strings.TrimSpace(text)
	if n, err := strconv.Atoi(text); err == nil {
		return fmt.Sprintf("%d is not an HTTP status code; use 100–599", n)
	}
	return fmt.Sprintf("“%s” is not a status code or range; use a code from 100 to 599, or a range such as 2xx or 200-299", Clip(text, 40))
}
