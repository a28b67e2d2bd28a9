package task

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
)

// SplitAddresses reads a form's list of addresses separated by commas, semicolons or line breaks.
func SplitAddresses(s string) []string {
	out := []string{}
	for _, a := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' }) {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// parseRecipients reads a list of recipients: one address or a list of up to maxRecipients
// addresses, of which a required list needs one. It returns the bare addresses ("Ann
// <ann@example.com>" becomes "ann@example.com"), or a problem.
func parseRecipients(raw json.RawMessage, required bool) ([]string, string) {
	if (len(raw) == 0 || string(raw) == "null") && !required {
		return nil, ""
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil, "need at least one address"
	}
	var list []string
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		list = []string{one}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, "must be an address or a list of addresses"
	}
	switch {
	case len(list) == 0 && required:
		return nil, "need at least one address"
	case len(list) > maxRecipients:
		return nil, fmt.Sprintf("must list at most %d addresses", maxRecipients)
	}
	addrs := make([]string, 0, len(list))
	for _, s := range list {
		addr, err := mail.ParseAddress(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Sprintf("include “%s”, which is not an email address", strings.TrimSpace(s))
		}
		if !dotAtom(addr.Address[:strings.LastIndex(addr.Address, "@")]) {
			return nil, fmt.Sprintf("include “%s”, whose quoted local part Cronflow cannot send to: use an address without quotes", strings.TrimSpace(s))
		}
		addrs = append(addrs, addr.Address)
	}
	return addrs, ""
}

// dotAtom reports whether an address's local part is a dot-atom (RFC 5322): atoms of letters,
// digits and !#$%&'*+-/=?^_`{|}~ (or any non-ASCII, RFC 6531) joined by single dots. A quoted
// local part ("a b,c"@example.com) is not: lists split it at its comma and servers refuse it.
func dotAtom(local string) bool {
	if local == "" {
		return false
	}
	for _, atom := range strings.Split(local, ".") {
		if atom == "" {
			return false
		}
		for _, r := range atom {
			if r < 0x80 && !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)) {
				return false
			}
		}
	}
	return true
}
