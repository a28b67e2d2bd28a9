// Package assets holds the static files the dashboard serves: vendored, pinned
// copies of htmx and Pico CSS, and Cronflow's own app.css. They are compiled
// into the binary so that a deployment is one file and never depends on a CDN.
// VERSIONS.md says which versions these are and how to refresh them.
package assets

import "embed"

// FS holds htmx.min.js, pico.min.css, app.css, app.js, passkeys.js and the two vendored licences,
// each at the top level under its own name. Serve it under a fixed prefix
// (for example /assets/) and link the files from the layout.
//
//go:embed htmx.min.js pico.min.css app.css app.js passkeys.js LICENSE.htmx LICENSE.pico
var FS embed.FS
