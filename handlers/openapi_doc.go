package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/handlers/openapi"
)

// openAPIPath is where the API's OpenAPI document is served, to anyone: it says what the API
// takes, never what is stored.
const openAPIPath = "/api/openapi.json"

// handleAPIOpenAPI serves GET /api/openapi.json, the API's OpenAPI document. Clients revalidate
// it with If-None-Match after five minutes; it changes only with a new build. The server's gzip
// middleware compresses it for clients that accept that, so the ETag is weak.
func handleAPIOpenAPI() echo.HandlerFunc {
	doc, err := openapi.JSON()
	sum := sha256.Sum256(doc)
	etag := `W/"` + hex.EncodeToString(sum[:12]) + `"`
	return func(c echo.Context) error {
		if err != nil {
			return err
		}
		h := c.Response().Header()
		h.Set(echo.HeaderCacheControl, "public, max-age=300")
		h.Set("ETag", etag)
		// A weak comparison: the tag with or without W/, alone or in a list.
		if strings.Contains(c.Request().Header.Get("If-None-Match"), etag[2:]) {
			return c.NoContent(http.StatusNotModified)
		}
		return c.JSONBlob(http.StatusOK, doc)
	}
}
