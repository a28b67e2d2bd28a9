package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/assets"
	"github.com/cronflow/cronflow/views"
)

// assetNames are the files of assets.FS that pages link to.
var assetNames = []string{"pico.min.css", "app.css", "htmx.min.js", "app.js", "passkeys.js"}

// assetURLs are the pages' links to the assets, each with a hash of its content (see views.Assets).
var assetURLs = sync.OnceValue(func() views.Assets {
	v := make(map[string]string, len(assetNames))
	for _, name := range assetNames {
		b, _ := fs.ReadFile(assets.FS, name)
		sum := sha256.Sum256(b)
		v[name] = "/assets/" + name + "?v=" + hex.EncodeToString(sum[:6])
	}
	return views.Assets{PicoCSS: v["pico.min.css"], AppCSS: v["app.css"], HTMX: v["htmx.min.js"], AppJS: v["app.js"],
		PasskeysJS: v["passkeys.js"]}
})

// assetMaxAge is how long a browser keeps an asset: links carry a content hash, so a year is safe.
const assetMaxAge = 365 * 24 * time.Hour

// handleAssets serves GET /assets/*, the embedded CSS and JavaScript, cached for a year.
func handleAssets() echo.HandlerFunc {
	files := http.FileServer(http.FS(assets.FS))
	return func(c echo.Context) error {
		name := c.Param("*")
		if name == "" || strings.HasSuffix(name, "/") {
			return echo.NewHTTPError(http.StatusNotFound, "Not found.")
		}
		if _, err := fs.Stat(assets.FS, name); err != nil {
			return echo.NewHTTPError(http.StatusNotFound, "Not found.")
		}
		c.Response().Header().Set("Cache-Control", "public, max-age="+itoa64(int64(assetMaxAge.Seconds()))+", immutable")
		r := c.Request().Clone(c.Request().Context())
		r.URL.Path = "/" + name
		files.ServeHTTP(c.Response(), r)
		return nil
	}
}
