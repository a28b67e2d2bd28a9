package notify

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestHostileNamesAndRepliesReachChatsEscaped sends a failing notice whose job name and run error
// (a target's reply) try every chat's mention and link syntax, and checks that each chat gets them
// as text.
func TestHostileNamesAndRepliesReachChatsEscaped(t *testing.T) {
	t.Parallel()
	const hostile = "<!channel> & <https://evil.test|click> @everyone @here @channel @all <@123> [click](https://evil.test)"
	e := failingEvent()
	e.Job.Name = "job " + hostile
	e.Run.Error = "reply " + hostile
	// forbidden are what must not reach each chat: live mentions and links.
	for name, tc := range map[string]struct {
		text      func(b map[string]any) string
		forbidden []string
		want      []string
	}{
		"slack": {func(b map[string]any) string { return b["text"].(string) },
			[]string{"<!channel>", "<https://evil.test|click>", "<@123>", " & "},
			[]string{"&lt;!channel&gt; &amp; &lt;https://evil.test|click&gt;"}},
		"mattermost": {func(b map[string]any) string { return b["text"].(string) },
			[]string{"<!channel>", "@everyone", "@here", "@channel", "@all", "[click](", " & "},
			[]string{"&lt;!channel&gt;", "@\u200bchannel", `\[click\](https://evil.test)`}},
		"discord": {func(b map[string]any) string {
			if p, _ := path(b, "allowed_mentions", "parse").([]any); p == nil || len(p) != 0 {
				t.Errorf("discord allowed_mentions = %v, want parse: []", b["allowed_mentions"])
			}
			return b["content"].(string)
		}, []string{"@everyone", "@here", " <@123>", "[click](", " <https://evil.test", " <!channel>"},
			[]string{"@\u200beveryone", "\\<@\u200b123\\>", `\[click\]\(https://evil.test\)`}},
		"teams": {func(b map[string]any) string {
			var lines []string
			for _, block := range path(b, "attachments", 0, "content", "body").([]any) {
				lines = append(lines, path(block, "text").(string))
			}
			return strings.Join(lines, "\n")
		}, []string{"[click](", "](", "<https://evil.test", "<!channel>"},
			[]string{`\[click\]` + "\u200b" + `\(https://evil.test\)`}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			base, got := service(t, 200)
			key := map[string]string{"slack": "webhook_url"}[name]
			if key == "" {
				key = "url"
			}
			config, problems := Validate(name, json.RawMessage(`{"`+key+`": "`+base+`/hook"}`))
			if len(problems) > 0 {
				t.Fatal(problems)
			}
			if _, err := loopbackSender().Send(context.Background(), Channel{Type: name, Config: config}, e, "k"); err != nil {
				t.Fatalf("Send = %v", err)
			}
			text := tc.text(receive(t, got).json(t))
			for _, bad := range tc.forbidden {
				if strings.Contains(text, bad) {
					t.Errorf("%s text holds %q:\n%s", name, bad, text)
				}
			}
			for _, want := range tc.want {
				if strings.Count(text, want) < 2 {
					t.Errorf("%s text lacks %q in both the name and the reply:\n%s", name, want, text)
				}
			}
		})
	}
}

// TestAPagerDutyEpisodeTriggersOnceAndResolvesItsIncident sends an episode's failing and recovered
// notices, and a later episode's failing notice, to PagerDuty and Opsgenie stand-ins.
func TestAPagerDutyEpisodeTriggersOnceAndResolvesItsIncident(t *testing.T) {
	t.Parallel()
	failing := failingEvent()
	recovered := failingEvent()
	recovered.Event = Recovered
	next := failingEvent()
	next.Episode = 4
	t.Run("PagerDuty", func(t *testing.T) {
		t.Parallel()
		base, got := service(t, 202)
		config, _ := Validate("pagerduty", json.RawMessage(`{"routing_key": "rk", "api_url": "`+base+`"}`))
		var bodies []map[string]any
		for _, e := range []Event{failing, recovered, next} {
			if _, err := loopbackSender().Send(context.Background(), Channel{Type: "pagerduty", Config: config}, e, "k"); err != nil {
				t.Fatal(err)
			}
			bodies = append(bodies, receive(t, got).json(t))
		}
		if bodies[0]["event_action"] != "trigger" || bodies[1]["event_action"] != "resolve" || bodies[2]["event_action"] != "trigger" {
			t.Errorf("actions = %v, %v, %v; want trigger, resolve, trigger", bodies[0]["event_action"], bodies[1]["event_action"], bodies[2]["event_action"])
		}
		if bodies[0]["dedup_key"] != bodies[1]["dedup_key"] || bodies[2]["dedup_key"] == bodies[0]["dedup_key"] || bodies[1]["routing_key"] != "rk" {
			t.Errorf("dedup keys = %v, %v, %v; want the episode's twice, then another", bodies[0]["dedup_key"], bodies[1]["dedup_key"], bodies[2]["dedup_key"])
		}
	})
	t.Run("OpsgenieClosesByAlias", func(t *testing.T) {
		t.Parallel()
		base, got := service(t, 202)
		config, _ := Validate("opsgenie", json.RawMessage(`{"api_key": "gk", "api_url": "`+base+`"}`))
		for _, e := range []Event{failing, recovered} {
			if _, err := loopbackSender().Send(context.Background(), Channel{Type: "opsgenie", Config: config}, e, "k"); err != nil {
				t.Fatal(err)
			}
		}
		opened, closed := receive(t, got), receive(t, got)
		alias := opened.json(t)["alias"].(string)
		expect(t, closed, "POST", "/v2/alerts/"+alias+"/close")
		if closed.RawQuery != "identifierType=alias" || closed.Header.Get("Authorization") != "GenieKey gk" {
			t.Errorf("close = %s?%s %v", closed.Path, closed.RawQuery, closed.Header)
		}
	})
}
