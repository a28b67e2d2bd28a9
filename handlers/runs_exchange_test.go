package handlers

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/worker/task"
)

func TestCopyAsCurlQuotesEveryValueAndPutsSecretsBackAsVariables(t *testing.T) {
	t.Parallel()
	req := &task.ExchangeRequest{Method: "POST", URL: "https://api.example.test/hooks?key={{secrets.API_KEY}}",
		Headers:   []task.Header{{Name: "Authorization", Value: "Bearer {{secrets.API_TOKEN}}"}, {Name: "X-Note", Value: "it's"}},
		Body:      `{"token": "{{ secrets.API_TOKEN }}"}`,
		BodyBytes: 36}
	got := curlCommand(req)
	want := "curl -X 'POST' 'https://api.example.test/hooks?key='\"$CRONFLOW_SECRET_API_KEY\" \\\n" +
		"  -H 'Authorization: Bearer '\"$CRONFLOW_SECRET_API_TOKEN\" \\\n" +
		"  -H 'X-Note: it'\\''s' \\\n" +
		"  --data-raw '{\"token\": \"'\"$CRONFLOW_SECRET_API_TOKEN\"'\"}'"
	if got != want {
		t.Errorf("curl =\n%s\nwant\n%s", got, want)
	}
	// The shell reads it back as the words it was made of, each secret filled in from the environment.
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	script := "curl() { for a in \"$@\"; do printf '%s\\n' \"$a\"; done; }\n" + got
	cmd := exec.Command(sh, "-c", script)
	cmd.Env = []string{"CRONFLOW_SECRET_API_KEY=k1", "CRONFLOW_SECRET_API_TOKEN=t2"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	wantWords := []string{"-X", "POST", "https://api.example.test/hooks?key=k1", "-H", "Authorization: Bearer t2", "-H", "X-Note: it's",
		"--data-raw", `{"token": "t2"}`}
	if strings.Join(words, "|") != strings.Join(wantWords, "|") {
		t.Errorf("the shell reads %q, want %q", words, wantWords)
	}
}

func TestACutBodyIsSaidSoInTheCurlCommandAndOnThePage(t *testing.T) {
	t.Parallel()
	x := &task.Exchange{Request: &task.ExchangeRequest{Method: "GET", URL: "http://127.0.0.1/", BodyBytes: 40 << 10, BodyTruncated: true, Body: "x"},
		Timings: &task.Timings{FirstByteMs: 5, TotalMs: 10}}
	v := toExchangeView(x)
	if !strings.HasPrefix(v.Curl, "# The body was cut at 16 KiB") || !strings.Contains(v.Request.BodyNote, "40 KiB") {
		t.Errorf("curl %q, note %q", v.Curl, v.Request.BodyNote)
	}
	if v.Response != nil || len(v.Timings) != 5 || v.Timings[3].Percent != 50 {
		t.Errorf("view = %+v", v)
	}
	if toExchangeView(nil).Kind != "" || toExchangeView(&task.Exchange{Mail: &task.MailExchange{Server: "smtp:25"}}).Kind != "mail" {
		t.Error("an attempt without an HTTP exchange is shown as one")
	}
}
