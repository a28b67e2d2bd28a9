package store

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Tags and a description on jobs (issue 27), so that a person can organise many jobs and find them.

// Limits on a job's tags and description, so that a chip stays short and a list of them readable.
const (
	MaxTags           = 20
	MaxTagLength      = 32
	MaxDescriptionLen = 1000
)

// tagPattern is what a tag may be: lower-case letters, digits, '-', '_' and ':' (for "team:ops").
var tagPattern = regexp.MustCompile(`^[a-z0-9_:-]+$`)

// ValidTag reports whether s may be a tag, for the filters that take one from a URL.
func ValidTag(s string) bool { return len(s) <= MaxTagLength && tagPattern.MatchString(s) }

// readTags checks a job's tags as given: a JSON list of strings. Tags not given at all come back
// nil, which JobUpdate reads as "as they are"; duplicates are dropped and the order is kept.
func readTags(raw json.RawMessage, problems map[string]string) []string {
	if !present(raw) {
		return nil
	}
	var given []string
	if err := json.Unmarshal(raw, &given); err != nil {
		problems["tags"] = `must be a list of tags such as ["billing", "team:ops"]`
		return nil
	}
	tags := []string{}
	for _, t := range given {
		t = strings.TrimSpace(t)
		switch {
		case t == "":
			continue
		case len(t) > MaxTagLength:
			problems["tags"] = fmt.Sprintf("has the tag “%.40s”, longer than %d characters", t, MaxTagLength)
		case !tagPattern.MatchString(t):
			problems["tags"] = fmt.Sprintf("has the tag “%.40s”: a tag holds lower-case letters, digits, '-', '_' and ':' only", t)
		case !slices.Contains(tags, t):
			tags = append(tags, t)
		}
	}
	if len(tags) > MaxTags {
		problems["tags"] = fmt.Sprintf("must list at most %d tags, not %d", MaxTags, len(tags))
	}
	return tags
}

// readDescription checks a job's description; nil when it was not given.
func readDescription(raw json.RawMessage, problems map[string]string) *string {
	if !present(raw) {
		return nil
	}
	var d string
	if err := json.Unmarshal(raw, &d); err != nil {
		problems["description"] = "must be a JSON string"
		return nil
	}
	d = strings.TrimSpace(d)
	switch {
	case len([]rune(d)) > MaxDescriptionLen:
		problems["description"] = fmt.Sprintf("must be at most %d characters, not %d", MaxDescriptionLen, len([]rune(d)))
	case strings.ContainsRune(d, 0):
		problems["description"] = "must not contain NUL characters"
	}
	return &d
}

// SplitTags reads tags typed in a form field, separated by commas or spaces, as a JSON list for
// JobInput.Tags; the checks are readTags'.
func SplitTags(text string) json.RawMessage {
	fields := strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	raw, _ := json.Marshal(append([]string{}, fields...)) // strings: it cannot fail
	return raw
}

// tagsLiteral is a job's tags as an array literal ('{a,b}') for the import's batch statements; a
// tag holds no comma, brace, quote or space (tagPattern).
func tagsLiteral(tags []string) string {
	return "{" + strings.Join(tags, ",") + "}"
}
