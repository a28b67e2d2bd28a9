package handlers

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/task"
)

// TestTheREADMEsCurlExamplesRun runs every curl line of the README's HTTP API section, in order,
// against a server on a fresh database with authentication on, as the section says to: each must
// answer 2xx, or a status its comment names. The server is wrapped in the OpenAPI check, so the
// examples must also agree with the document. Until README.md has the section's curl lines, it runs
// the copy in testdata/readme_api.md.
func TestTheREADMEsCurlExamplesRun(t *testing.T) {
	t.Parallel()
	cmds, current := readmeCurls(t, "../README.md")
	if len(cmds) == 0 || !current {
		// The section before issue 23 had examples that answer 415 and 404; its new text links the
		// OpenAPI document.
		t.Log("README.md's HTTP API section is not issue 23's text yet: running testdata/readme_api.md")
		cmds, _ = readmeCurls(t, "testdata/readme_api.md")
	}
	if len(cmds) < 30 {
		t.Fatalf("found %d curl examples, want the section's 30 or more", len(cmds))
	}
	f := setup(t, withAuth(AuthConfig{AdminUser: testAdmin}), withPool(t), func(d *Deps) { d.Channels, d.Tester = sentNotices{}, answeredTests{} })
	srv := httptest.NewServer(f.server)
	t.Cleanup(srv.Close)
	for _, cmd := range cmds {
		req, err := cmd.request(srv.URL)
		if err != nil {
			t.Fatalf("%s: %v", cmd.text, err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", cmd.text, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if ok := resp.StatusCode/100 == 2 || cmd.mentions(resp.StatusCode); !ok {
			t.Errorf("%s\nanswered %d: %s", cmd.text, resp.StatusCode, body)
		}
	}
}

// sentNotices is a channel tester that sends nothing and says the notice was sent.
type sentNotices struct{}

func (sentNotices) SendTest(_ context.Context, ch sqlcgen.Channel) (sqlcgen.Notice, error) {
	return sqlcgen.Notice{ID: 1, ChannelID: ch.ID, Event: "channel.test", Status: "sent"}, nil
}

// answeredTests is a job tester that sends nothing and says the target answered 200: the examples
// name example.com, which the tests never dial.
type answeredTests struct{}

func (answeredTests) TestTask(context.Context, string, time.Duration, task.Task, []string) (string, error) {
	return "HTTP 200 OK\n", nil
}

// curlExample is one curl command of a markdown file: its words and the comment after it.
type curlExample struct {
	text    string
	words   []string
	comment string
}

// readmeCurls reads the curl commands of the sh blocks in the "## HTTP API" section of a markdown
// file, and whether the section links the OpenAPI document.
func readmeCurls(t *testing.T, path string) ([]curlExample, bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, section, found := strings.Cut("\n"+string(b), "\n## HTTP API\n")
	if !found {
		return nil, false
	}
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	var out []curlExample
	for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
		for _, cmd := range shellCommands(block[1]) {
			if len(cmd.words) > 0 && cmd.words[0] == "curl" {
				out = append(out, cmd)
			}
		}
	}
	return out, strings.Contains(section, openAPIPath)
}

// shellCommands splits a script into commands as sh would for these examples: words, single and
// double quotes, backslash-newline, and # comments.
func shellCommands(script string) []curlExample {
	var cmds []curlExample
	cur, word, inWord := curlExample{}, strings.Builder{}, false
	endWord := func() {
		if inWord {
			cur.words = append(cur.words, word.String())
		}
		word.Reset()
		inWord = false
	}
	for i := 0; i < len(script); i++ {
		ch := script[i]
		switch {
		case ch == '\'' || ch == '"':
			end := strings.IndexByte(script[i+1:], ch)
			word.WriteString(script[i+1 : i+1+end])
			inWord, i = true, i+1+end
		case ch == '\\' && i+1 < len(script) && script[i+1] == '\n':
			endWord()
			i++
		case ch == '#' && !inWord:
			end := strings.IndexByte(script[i:], '\n')
			cur.comment, i = script[i:i+end], i+end-1
		case ch == '\n':
			endWord()
			if len(cur.words) > 0 {
				cur.text = strings.Join(cur.words, " ")
				cmds = append(cmds, cur)
			}
			cur = curlExample{}
		case ch == ' ' || ch == '\t':
			endWord()
		default:
			word.WriteByte(ch)
			inWord = true
		}
	}
	return cmds
}

// mentions reports whether the example's comment names a status.
func (c curlExample) mentions(status int) bool {
	return regexp.MustCompile(`\b` + itoa64(int64(status)) + `\b`).MatchString(c.comment)
}

// request is the example's request to the server at base, as the admin (testAdmin) whose password
// the examples call PASSWORD.
func (c curlExample) request(base string) (*http.Request, error) {
	method, target, user := "", "", testAdmin+":"+testPassword
	var header [][2]string
	var data []string
	for i := 1; i < len(c.words); i++ {
		w, next := c.words[i], ""
		if i+1 < len(c.words) {
			next = c.words[i+1]
		}
		switch w {
		case "-s":
		case "-X":
			method, i = next, i+1
		case "-H":
			name, value, _ := strings.Cut(next, ":")
			header, i = append(header, [2]string{name, strings.TrimSpace(value)}), i+1
		case "-d", "--data-binary":
			data, i = append(data, next), i+1
		case "-u":
			user, i = strings.ReplaceAll(next, "PASSWORD", testPassword), i+1
		case "-o":
			i++
		default:
			target = "http://" + strings.TrimPrefix(w, "http://")
		}
	}
	if method == "" {
		method = http.MethodGet
		if data != nil {
			method = http.MethodPost
		}
	}
	target = strings.Replace(target, "http://localhost:8000", base, 1)
	req, err := http.NewRequest(method, target, strings.NewReader(strings.Join(data, "&")))
	if err != nil {
		return nil, err
	}
	if data != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, h := range header {
		req.Header.Set(h[0], h[1])
	}
	name, password, _ := strings.Cut(user, ":")
	req.SetBasicAuth(name, password)
	return req, nil
}
