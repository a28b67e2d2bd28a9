package store

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// UnknownFieldProblem is what a field nobody knows gets said about it.
const UnknownFieldProblem = "is not a known field"

// IsUnknownField reports whether err is a json.Decoder's refusal (DisallowUnknownFields) of a
// field the value does not have.
func IsUnknownField(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "json: unknown field ")
}

// UnknownFields names each top-level field of the JSON object body that none of the structs that
// targets point to has, as a problem with that field. err, the strict decoder's error if any, names
// the field when it is nested in an object: the decoder names only the first it meets. A misspelt
// field must not be dropped in silence, or a client cannot tell a typo from a setting.
func UnknownFields(body []byte, err error, targets ...any) map[string]string {
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(body, &fields)
	known := map[string]bool{}
	for _, v := range targets {
		addJSONNames(reflect.TypeOf(v), known)
	}
	problems := map[string]string{}
	for name := range fields {
		if !known[strings.ToLower(name)] {
			problems[name] = UnknownFieldProblem
		}
	}
	if len(problems) == 0 && IsUnknownField(err) {
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		problems[name] = UnknownFieldProblem
	}
	return problems
}

// addJSONNames adds the JSON names of t's fields, lower case as encoding/json matches them, with
// those of embedded structs.
func addJSONNames(t reflect.Type, known map[string]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "":
			addJSONNames(f.Type, known)
		case name == "":
			known[strings.ToLower(f.Name)] = true
		default:
			known[strings.ToLower(name)] = true
		}
	}
}

// unknownKeys adds a problem for each key of the JSON object raw that is not among known, named
// prefix.key ("alerts.chanels"), as UnknownFields does for a body's top-level fields.
func unknownKeys(raw json.RawMessage, prefix string, problems map[string]string, known ...string) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return
	}
	for name := range fields {
		found := false
		for _, k := range known {
			found = found || strings.EqualFold(name, k)
		}
		if !found {
			problems[prefix+"."+name] = UnknownFieldProblem
		}
	}
}
