package handlers

import (
	"encoding/json"
	"strings"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/labstack/echo/v4"
)

// handleAPILegacyCreate serves POST /api/create, the original project's endpoint, so that existing
// clients keep working. It takes the same JSON as POST /api/jobs, or the original's form post:
// hour, minute, type, and url (ping, slack, webhook), email, subject, body (email; the webhook's
// JSON body), msg (slack).
func handleAPILegacyCreate(st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
			var in store.JobInput
			problems, err := decodeJSON(c, &in)
			if err != nil {
				return err
			}
			return createJob(c, st, in, problems)
		}
		form, err := readForm(c)
		if err != nil {
			return err
		}
		in, problems := legacyFormInput(form.Get)
		return createJob(c, st, in, problems)
	}
}

// legacyFormInput maps the original form's fields onto a job, with the problems only the form can have.
func legacyFormInput(get func(string) string) (store.JobInput, map[string]string) {
	problems := map[string]string{}
	in := store.JobInput{
		Name:       get("name"),
		Type:       strings.TrimSpace(get("type")),
		Cron:       get("cron"),
		Timezone:   get("timezone"),
		Hour:       formNumber(get("hour")),
		Minute:     formNumber(get("minute")),
		MaxRetries: formNumber(get("max_retries")),
		RetryDelay: formString(get("retry_delay")),
		Timeout:    formString(get("timeout")),
	}
	values := map[string]string{}
	for field, legacy := range legacyFields {
		values[field] = get(legacy)
	}
	in.Payload = formPayload(in.Type, values, problems)
	return in, problems
}

// legacyFields maps the dashboard form's payload fields to the original form's names for them: url
// for every URL, email, msg.
var legacyFields = map[string]string{
	"payload.url": "url", "payload.webhook_url": "url", "payload.to": "email", "payload.subject": "subject",
	"payload.body": "body", "payload.text": "msg",
}

func formNumber(v string) json.RawMessage {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	return formString(v)
}

func formString(v string) json.RawMessage {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	b, _ := json.Marshal(v)
	return b
}
