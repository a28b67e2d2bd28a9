package task

import (
	"net/url"
	"strings"
)

// redacted stands in for every secret taken out of a URL.
const redacted = "xxxxx"

// redactUserinfo masks a URL's user-info: a password, or a user name given alone, which is then
// usually a token (https://TOKEN@host/).
func redactUserinfo(u *url.URL) {
	if u.User == nil {
		return
	}
	if _, hasPassword := u.User.Password(); hasPassword {
		u.User = url.UserPassword(u.User.Username(), redacted)
		return
	}
	u.User = url.User(redacted)
}

// redactPath masks the segments of a URL's path that look like secrets: generic webhooks often
// carry their token as a path segment, with no query at all.
func redactPath(u *url.URL) {
	segments := strings.Split(u.EscapedPath(), "/")
	changed := false
	for i, seg := range segments {
		plain, err := url.PathUnescape(seg)
		if err == nil && secretLooking(plain) && !onlyPlaceholders(plain) {
			segments[i], changed = redacted, true
		}
	}
	if !changed {
		return
	}
	u.RawPath = strings.Join(segments, "/")
	u.Path, _ = url.PathUnescape(u.RawPath)
}

// minSecretLength is the shortest path segment taken for a secret.
const minSecretLength = 16

// secretLooking reports whether a path segment looks like a random token rather than a word: at
// least 16 characters of the alphabets tokens are written in (base64, hex, UUIDs), letters and
// digits mixed. Masking a segment that was not secret costs nothing but a less telling list.
func secretLooking(seg string) bool {
	if len(seg) < minSecretLength {
		return false
	}
	var letters, digits bool
	for _, r := range seg {
		switch {
		case r >= '0' && r <= '9':
			digits = true
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			letters = true
		case strings.ContainsRune("-_.~+=", r):
		default:
			return false
		}
	}
	return letters && digits
}
