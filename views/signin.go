package views

import "net/url"

// queryEscape escapes a value for a URL's query.
func queryEscape(s string) string { return url.QueryEscape(s) }
