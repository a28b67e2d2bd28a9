package handlers

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// formRunParams reads the params.NAME fields that the job page's Run now with other params form
// posts, as the API's "params" object; nil when there are none (the plain Run now button).
func formRunParams(c echo.Context) (json.RawMessage, error) {
	form, err := readForm(c)
	if err != nil {
		return nil, err
	}
	params := map[string]string{}
	for key, values := range form {
		if name, ok := strings.CutPrefix(key, "params."); ok && len(values) > 0 {
			params[name] = values[0]
		}
	}
	if len(params) == 0 {
		return nil, nil
	}
	raw, _ := json.Marshal(params)
	return raw, nil
}

// problemsText is a refusal's problems as one line for a flash or error message, by field name.
func problemsText(problems map[string]string) string {
	var parts []string
	for _, field := range slices.Sorted(maps.Keys(problems)) {
		parts = append(parts, field+" "+problems[field])
	}
	return strings.Join(parts, "; ")
}
