package handlers

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/cronflow/cronflow/handlers/openapi"
)

// The check that keeps handlers/openapi/openapi.yaml true: every request to /api/ that a test sends
// through a fixture's server, and the answer, is checked against the document.

// contract is the OpenAPI document as the tests load it, and a router that finds its operations.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

// loadContract reads and validates the document once for every test.
var loadContract = sync.OnceValues(func() (*contract, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.YAML)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &contract{doc: doc, router: router}, nil
})

func mustContract(t *testing.T) *contract {
	t.Helper()
	c, err := loadContract()
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return c
}

// checkAPI serves requests with next, and checks every one to /api/ and its answer against the
// document: a test fails on a route the document lacks, a status or body it does not describe, or a
// request it refuses that the server accepted. A request the document refuses may still be sent,
// to see the server refuse it too.
func checkAPI(t *testing.T, next http.Handler) http.Handler {
	c := mustContract(t)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r)
			return
		}
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		if problem := c.check(r, body, rec); problem != "" {
			t.Errorf("OpenAPI: %s %s answered %d: %s", r.Method, r.URL.RequestURI(), rec.Code, problem)
		}
	})
}

// check returns what is wrong with an exchange by the document, or "".
func (c *contract) check(r *http.Request, body []byte, rec *httptest.ResponseRecorder) string {
	ctx := context.Background()
	answer, err := plainBody(rec)
	if err != nil {
		return err.Error()
	}
	req := r.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		if rec.Code == http.StatusNotFound || rec.Code == http.StatusMethodNotAllowed {
			return errorShaped(answer)
		}
		return "the document has no such operation (" + err.Error() + "); add it to handlers/openapi/openapi.yaml"
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	reqErr := openapi3filter.ValidateRequest(ctx, in)
	if reqErr != nil && rec.Code < 400 {
		return "the document refuses a request that the server accepted: " + reqErr.Error()
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	out.SetBodyBytes(answer)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return "the answer does not match the document: " + err.Error()
	}
	return ""
}

// plainBody is an answer's body, unzipped if it was gzip'd.
func plainBody(rec *httptest.ResponseRecorder) ([]byte, error) {
	if rec.Header().Get("Content-Encoding") != "gzip" {
		return rec.Body.Bytes(), nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// errorShaped says what is wrong with an answer that should be the API's error body, or "".
func errorShaped(body []byte) string {
	var e map[string]any
	if err := json.Unmarshal(body, &e); err != nil {
		return "the answer is not the API's JSON error: " + err.Error()
	}
	if s, ok := e["error"].(string); !ok || s == "" {
		return "the answer has no error message"
	}
	return ""
}
