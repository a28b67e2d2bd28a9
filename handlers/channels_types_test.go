package handlers

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// TestChannelTypesInTheForm adds a channel of a service type through the dashboard's form, whose
// fields the channel type registry drives, then sends it a test notice.
func TestChannelTypesInTheForm(t *testing.T) {
	t.Parallel()
	f := setup(t, withNotifier)
	var key atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		if r.URL.Path == "/message" {
			key.Store(r.Header.Get("X-Gotify-Key"))
		}
	}))
	t.Cleanup(srv.Close)
	doc := f.page("/channels", false, http.StatusOK)
	for _, id := range []string{"telegram-bot_token-input", "pagerduty-routing_key-input", "matrix-room_id-input", "gotify-token-input"} {
		if find(t, doc, id).Length() != 1 {
			t.Errorf("the channel form has no %s", id)
		}
	}
	if typ := find(t, doc, "gotify-token-input").AttrOr("type", ""); typ != "password" {
		t.Errorf("a secret setting's input is of type %q, want password", typ)
	}

	form := url.Values{"name": {"Phone"}, "type": {"gotify"}, "gotify.url": {"ftp://x"}, "gotify.token": {""}}
	doc = f.parse(f.send(http.MethodPost, "/channels", formBody(form), "Sec-Fetch-Site", "same-origin"), http.StatusUnprocessableEntity)
	if find(t, doc, "gotify-url-error").Length() != 1 || find(t, doc, "gotify-token-error").Length() != 1 {
		t.Errorf("the form does not show the problems on the gotify fields")
	}

	form.Set("gotify.url", srv.URL)
	form.Set("gotify.token", "AppT0ken")
	rec := f.send(http.MethodPost, "/channels", formBody(form), "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusSeeOther && rec.Code != http.StatusOK {
		t.Fatalf("create = %d: %.500s", rec.Code, rec.Body)
	}
	var list struct{ Channels []channelJSON }
	f.expect(f.send(http.MethodGet, "/api/channels", nil), http.StatusOK, &list)
	if len(list.Channels) != 1 || strings.Contains(string(list.Channels[0].Config), "AppT0ken") {
		t.Fatalf("channels = %+v, want the gotify channel with its token masked", list.Channels)
	}
	var got map[string]any
	f.expect(f.send(http.MethodPost, fmt.Sprintf("/api/channels/%d/test", list.Channels[0].ID), nil, "Content-Type", "application/json"), http.StatusOK, &got)
	if got["status"] != "sent" || key.Load() != "AppT0ken" {
		t.Errorf("test answer %v, key %v", got, key.Load())
	}
}
