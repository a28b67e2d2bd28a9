package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// pingPayload is what a ping job stores: the URL to GET, as a health check or a heartbeat.
type pingPayload struct {
	URL string `json:"url"`
}

// validatePing checks a ping payload and returns it with unknown fields dropped and the URL trimmed.
func validatePing(payload json.RawMessage) (json.RawMessage, map[string]string) {
	var p pingPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, map[string]string{"payload": "must be a JSON object"}
	}
	p.URL = strings.TrimSpace(p.URL)
	if problem := checkHTTPURL(p.URL); problem != "" {
		return nil, map[string]string{"payload.url": problem}
	}
	out, err := json.Marshal(p)
	if err != nil {
		return nil, map[string]string{"payload": "cannot be stored: " + err.Error()}
	}
	return out, nil
}

// pingExecutor returns the executor for ping tasks: a GET whose 2xx response is the success.
func pingExecutor(client *http.Client) ExecuteFunc {
	return func(ctx context.Context, t Task) (string, error) {
		var p pingPayload
		if err := json.Unmarshal(t.Payload, &p); err != nil {
			return "", fmt.Errorf("decode ping payload: %w", err)
		}
		return do(ctx, client, http.MethodGet, p.URL, RedactURL(p.URL), "", nil, t)
	}
}
