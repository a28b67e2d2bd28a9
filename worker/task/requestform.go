package task

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// HeaderRowNames are the form fields of row i of a headers input: the header's name and value.
func HeaderRowNames(field string, i int) (name, value string) {
	return fmt.Sprintf("%s.%d.name", field, i), fmt.Sprintf("%s.%d.value", field, i)
}

// MaxHeaderRows is how many header rows a form can carry.
const MaxHeaderRows = maxHeaders

// requestFields are the form's inputs for a request's options, after the type's own.
func requestFields(methods []string) []Field {
	return []Field{
		{Name: "payload.method", Label: "Method", Input: "select", Options: methods},
		{Name: "payload.headers", Label: "Headers", Input: "headers",
			Hint: "Such as Authorization: Bearer {{secrets.API_TOKEN}}. Values may use templates."},
		{Name: "payload.expect_status", Label: "Expected status", Input: "text",
			Hint: "Codes and ranges, such as 2xx, or 201, 204, or 200-299, 304. Empty means 2xx."},
		{Name: "payload.expect_body", Label: "Expected body text (optional)", Input: "text",
			Hint: "The first 64 KiB of the answer must contain this text."},
	}
}

// formValues fills a form's request fields from stored options.
func (o requestOptions) formValues(v map[string]string) {
	v["payload.method"] = o.Method
	for i, name := range slices.Sorted(maps.Keys(o.Headers)) {
		nameField, valueField := HeaderRowNames("payload.headers", i)
		v[nameField], v[valueField] = name, o.Headers[name]
	}
	parts := make([]string, len(o.ExpectStatus))
	for i, r := range o.ExpectStatus {
		parts[i] = r.String()
	}
	v["payload.expect_status"] = strings.Join(parts, ", ")
	v["payload.expect_body"] = o.ExpectBody
}

// formInput adds a form's request fields to the payload being built from it: the header rows as
// an object (a row without a name is skipped if it has no value either), the statuses as a list.
func formInput(v, problems map[string]string, out map[string]any) {
	headers := map[string]string{}
	for i := range MaxHeaderRows {
		nameField, valueField := HeaderRowNames("payload.headers", i)
		name, value := strings.TrimSpace(v[nameField]), v[valueField]
		switch {
		case name == "" && strings.TrimSpace(value) != "":
			problems[nameField] = "is required for a header with a value"
		case name != "":
			headers[name] = value
		}
	}
	if len(headers) > 0 {
		out["headers"] = headers
	}
	if statuses := splitStatusText(v["payload.expect_status"]); len(statuses) > 0 {
		out["expect_status"] = statuses
	}
	out["method"] = v["payload.method"]
	out["expect_body"] = v["payload.expect_body"]
}
