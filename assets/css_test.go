package assets

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestAppCSSClosesEveryRule guards against a merge that drops a closing brace: the browser then
// reads every later rule as nested inside the open one, and they silently stop applying. app.css
// nests rules only inside at-rules (@media, @supports), so a brace opened inside a plain rule, or
// one left open at the end, is such a slip; the line of the rule left open is named.
func TestAppCSSClosesEveryRule(t *testing.T) {
	t.Parallel()

	b, err := fs.ReadFile(FS, "app.css")
	if err != nil {
		t.Fatalf("read app.css: %v", err)
	}
	src := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllStringFunc(string(b), func(c string) string {
		return strings.Repeat("\n", strings.Count(c, "\n")) // keep the line numbers
	})
	type open struct {
		line   int
		atRule bool
	}
	var stack []open
	line, start := 1, 0
	for i, r := range src {
		switch r {
		case '\n':
			line++
		case '{':
			head := strings.TrimSpace(src[start:i])
			if n := len(stack); n > 0 && !stack[n-1].atRule {
				t.Fatalf("app.css:%d: the rule opened on line %d is not closed before %q", line, stack[n-1].line, head)
			}
			stack = append(stack, open{line: line, atRule: strings.HasPrefix(head, "@")})
			start = i + 1
		case '}':
			if len(stack) == 0 {
				t.Fatalf("app.css:%d: a closing brace with no rule open", line)
			}
			stack = stack[:len(stack)-1]
			start = i + 1
		case ';':
			start = i + 1
		}
	}
	if len(stack) > 0 {
		t.Fatalf("app.css: the rule opened on line %d is never closed", stack[len(stack)-1].line)
	}
}
