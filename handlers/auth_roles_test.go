package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
)

const aJob = `{"type": "ping", "cron": "@hourly", "payload": {"url": "https://ops:SECRETPW@example.com/health"}}`

// roleFixture is a server with a viewer, an editor and a job.
type roleFixture struct {
	*secure
	job sqlcgen.Job
}

func setupRoles(t *testing.T) *roleFixture {
	t.Helper()
	s := setupSecure(t)
	s.addUser("vera", "vera's password", roleViewer)
	s.addUser("ed", "ed's password", roleEditor)
	job, err := s.q.JobInsert(context.Background(), sqlcgen.JobInsertParams{Catchup: schedule.CatchupLatest, Name: "n", Type: "ping",
		Payload: []byte(`{"url":"https://ops:SECRETPW@example.com/health"}`), Cron: "@hourly", Timezone: "UTC",
		MaxRetries: 3, RetryDelayMs: 2000, TimeoutMs: 30000})
	if err != nil {
		t.Fatal(err)
	}
	return &roleFixture{secure: s, job: job}
}

// token makes an API token as the admin and returns it.
func (f *roleFixture) token(r role) string {
	f.t.Helper()
	code, out := f.basicJSON(http.MethodPost, "/api/tokens", testAdmin, testPassword, `{"name": "script", "role": "`+string(r)+`"}`)
	token, _ := out["token"].(string)
	if code != http.StatusCreated || !strings.HasPrefix(token, store.TokenPrefix) || out["id"] == nil {
		f.t.Fatalf("POST /api/tokens: %d %v", code, out)
	}
	return token
}

func TestAViewerOnlyLooks(t *testing.T) {
	t.Parallel()
	f := setupRoles(t)
	jobPath := fmt.Sprintf("/api/jobs/%d", f.job.ID)
	for _, path := range []string{"/api/jobs", jobPath, "/api/runs", "/api/stats"} {
		if code, _ := f.basicJSON(http.MethodGet, path, "vera", "vera's password", ""); code != http.StatusOK {
			t.Errorf("GET %s: %d", path, code)
		}
	}
	if code, out := f.basicJSON(http.MethodPost, "/api/jobs", "vera", "vera's password", aJob); code != http.StatusForbidden || out["error"] == nil {
		t.Errorf("a viewer's POST /api/jobs: %d %v, want 403 with a JSON error", code, out)
	}
	for _, req := range [][2]string{{http.MethodPost, jobPath + "/run"}, {http.MethodDelete, jobPath}, {http.MethodPut, jobPath}} {
		if code, _ := f.basicJSON(req[0], req[1], "vera", "vera's password", aJob); code != http.StatusForbidden {
			t.Errorf("a viewer's %s %s: %d, want 403", req[0], req[1], code)
		}
	}
	if n, _ := f.q.JobCount(context.Background()); n != 1 {
		t.Errorf("%d jobs, want the one there was", n)
	}
	t.Run("SeesNoSecretsAndNoActions", func(t *testing.T) {
		_, out := f.basicJSON(http.MethodGet, jobPath, "vera", "vera's password", "")
		if fmt.Sprint(out["payload"]) == "" || strings.Contains(fmt.Sprint(out["payload"]), "SECRETPW") {
			t.Errorf("a viewer's GET %s shows %v", jobPath, out["payload"])
		}
		cookie := f.loginAs("vera", "vera's password")
		for _, path := range []string{"/jobs", fmt.Sprintf("/jobs/%d", f.job.ID), "/"} {
			page := f.send(http.MethodGet, path, nil, "Cookie", cookie).Body.String()
			for _, action := range []string{`data-testid="run-now"`, `data-testid="edit"`, `data-testid="delete"`, `data-testid="nav-new"`, `data-testid="nav-tokens"`, `data-testid="nav-users"`} {
				if strings.Contains(page, action) {
					t.Errorf("%s shows a viewer %s", path, action)
				}
			}
		}
		if code := f.send(http.MethodGet, fmt.Sprintf("/jobs/%d/edit", f.job.ID), nil, "Cookie", cookie).Code; code != http.StatusForbidden {
			t.Errorf("a viewer's edit form: %d, want 403", code)
		}
		if code := f.postPage(cookie, "/jobs", url.Values{"type": {"ping"}, "cron": {"@hourly"}, "payload.url": {"https://example.com"}}); code != http.StatusForbidden {
			t.Errorf("a viewer's dashboard POST /jobs: %d, want 403", code)
		}
	})
}

func TestEveryChangeNeedsMoreThanAViewer(t *testing.T) {
	t.Parallel()
	f := setupRoles(t)
	cookie := f.loginAs("vera", "vera's password")
	token := f.pageToken(cookie)
	checked := 0
	for _, r := range f.echo.Routes() {
		rule := routeAccess[r.Method+" "+r.Path]
		if safeMethod(r.Method) || rule.min == roleViewer || r.Path == "/login" {
			continue
		}
		path := strings.NewReplacer(":id", fmt.Sprint(f.job.ID), "*", "x").Replace(r.Path)
		rec := f.send(r.Method, path, strings.NewReader(""), "Cookie", cookie, "X-CSRF-Token", token)
		if rec.Code != http.StatusForbidden {
			t.Errorf("a viewer's %s %s: %d, want 403", r.Method, path, rec.Code)
		}
		checked++
	}
	if checked < 20 {
		t.Errorf("only %d routes that change something were found", checked)
	}
}

func TestAnEditorChangesJobsButNotTokensOrUsers(t *testing.T) {
	t.Parallel()
	f := setupRoles(t)
	if code, _ := f.basicJSON(http.MethodPost, "/api/jobs", "ed", "ed's password", aJob); code != http.StatusCreated {
		t.Errorf("an editor's POST /api/jobs: %d", code)
	}
	if code, _ := f.basicJSON(http.MethodGet, fmt.Sprintf("/api/jobs/%d", f.job.ID), "ed", "ed's password", ""); code != http.StatusOK {
		t.Errorf("an editor's GET of a job: %d", code)
	}
	for _, req := range [][3]string{
		{http.MethodPost, "/api/tokens", `{"name": "mine"}`}, {http.MethodGet, "/api/tokens", ""},
		{http.MethodPost, "/api/users", `{"name": "eve", "password": "12345678", "role": "admin"}`}, {http.MethodGet, "/api/users", ""},
	} {
		if code, out := f.basicJSON(req[0], req[1], "ed", "ed's password", req[2]); code != http.StatusForbidden || out["error"] == nil {
			t.Errorf("an editor's %s %s: %d %v, want 403 with a JSON error", req[0], req[1], code, out)
		}
	}
	cookie := f.loginAs("ed", "ed's password")
	if code := f.send(http.MethodGet, "/settings/tokens", nil, "Cookie", cookie).Code; code != http.StatusForbidden {
		t.Errorf("an editor's tokens page: %d", code)
	}
	page := f.send(http.MethodGet, "/jobs", nil, "Cookie", cookie).Body.String()
	if !strings.Contains(page, `data-testid="run-now"`) || strings.Contains(page, `data-testid="nav-tokens"`) {
		t.Error("an editor's job list lacks Run now or shows Tokens")
	}
}

func TestATokenCannotMakeTokens(t *testing.T) {
	t.Parallel()
	f := setupRoles(t)
	admin := f.token(roleAdmin)
	if code, _ := f.bearerJSON(http.MethodGet, "/api/jobs", admin, ""); code != http.StatusOK {
		t.Fatalf("an admin token's GET /api/jobs: %d", code)
	}
	for _, req := range [][3]string{
		{http.MethodPost, "/api/tokens", `{"name": "again", "role": "admin"}`}, {http.MethodGet, "/api/tokens", ""},
		{http.MethodDelete, "/api/tokens/1", ""}, {http.MethodPost, "/api/users", `{"name": "eve", "password": "12345678"}`},
	} {
		if code, out := f.bearerJSON(req[0], req[1], admin, req[2]); code != http.StatusForbidden || out["error"] == nil {
			t.Errorf("a token's %s %s: %d %v, want 403", req[0], req[1], code, out)
		}
	}
	// The dashboard's token form does not take a bearer token either.
	rec := f.send(http.MethodPost, "/settings/tokens", strings.NewReader("name=again&role=admin"), "Authorization", "Bearer "+admin)
	if rec.Code != http.StatusForbidden {
		t.Errorf("POST /settings/tokens with a bearer token: %d", rec.Code)
	}
	if rows, _ := f.q.APITokenList(context.Background()); len(rows) != 1 {
		t.Errorf("%d tokens, want the one made by the admin", len(rows))
	}
}

func TestATokenActsWithItsRoleAndNeverAboveItsOwner(t *testing.T) {
	t.Parallel()
	f := setupRoles(t)
	viewer := f.token(roleViewer)
	if code, _ := f.bearerJSON(http.MethodPost, "/api/jobs", viewer, aJob); code != http.StatusForbidden {
		t.Errorf("a viewer token's POST /api/jobs: %d", code)
	}
	editor := f.token(roleEditor)
	if code, _ := f.bearerJSON(http.MethodPost, "/api/jobs", editor, aJob); code != http.StatusCreated {
		t.Errorf("an editor token's POST /api/jobs: %d", code)
	}
	if code, out := f.basicJSON(http.MethodPost, "/api/tokens", testAdmin, testPassword, `{"name": "x", "role": "root"}`); code != http.StatusUnprocessableEntity || out["fields"] == nil {
		t.Errorf("a token with an unknown role: %d %v", code, out)
	}
	// An admin's token made editor-only when its owner is demoted.
	if code, _ := f.basicJSON(http.MethodPost, "/api/users", testAdmin, testPassword, `{"name": "ada", "password": "ada's password", "role": "admin"}`); code != http.StatusCreated {
		t.Fatalf("create ada: %d", code)
	}
	code, out := f.basicJSON(http.MethodPost, "/api/tokens", "ada", "ada's password", `{"name": "ada's", "role": "admin"}`)
	if code != http.StatusCreated {
		t.Fatalf("ada's token: %d %v", code, out)
	}
	adas := out["token"].(string)
	ada, _ := f.q.UserGetByName(context.Background(), "ada")
	if code, _ := f.basicJSON(http.MethodPut, fmt.Sprintf("/api/users/%d", ada.ID), testAdmin, testPassword, `{"role": "viewer"}`); code != http.StatusOK {
		t.Fatalf("demote ada: %d", code)
	}
	if code, _ := f.bearerJSON(http.MethodPost, "/api/jobs", adas, aJob); code != http.StatusForbidden {
		t.Errorf("the admin token of a demoted owner creates jobs: %d", code)
	}
}

func TestUsersAPI(t *testing.T) {
	t.Parallel()
	f := setupRoles(t)
	admin := func(method, target, body string) (int, map[string]any) {
		return f.basicJSON(method, target, testAdmin, testPassword, body)
	}
	code, out := admin(http.MethodPost, "/api/users", `{"name": "cat", "password": "cat's password", "role": "editor"}`)
	if code != http.StatusCreated || out["role"] != "editor" || out["password"] != nil || out["password_hash"] != nil {
		t.Fatalf("create: %d %v", code, out)
	}
	id := fmt.Sprint(out["id"])
	t.Run("BadInputNamesTheField", func(t *testing.T) {
		for body, field := range map[string]string{
			`{"name": "cat", "password": "12345678"}`:                      "name",
			`{"name": "dan", "password": "short"}`:                         "password",
			`{"name": "dan", "password": "12345678", "role": "superuser"}`: "role",
			`{"name": "with space", "password": "12345678"}`:               "name",
		} {
			code, out := admin(http.MethodPost, "/api/users", body)
			fields, _ := out["fields"].(map[string]any)
			if code != http.StatusUnprocessableEntity || fields[field] == nil {
				t.Errorf("%s: %d %v, want 422 on %s", body, code, out, field)
			}
		}
	})
	_, list := admin(http.MethodGet, "/api/users", "")
	if users, _ := list["users"].([]any); len(users) != 4 {
		t.Errorf("GET /api/users: %v", list)
	}
	cookie := f.loginAs("cat", "cat's password")
	if code, out := admin(http.MethodPut, "/api/users/"+id, `{"disabled": true}`); code != http.StatusOK || out["disabled"] != true {
		t.Fatalf("disable: %d %v", code, out)
	}
	if f.loggedIn(cookie) {
		t.Error("a disabled user's session still opens pages")
	}
	if code, _ := f.basicJSON(http.MethodGet, "/api/jobs", "cat", "cat's password", ""); code != http.StatusUnauthorized {
		t.Errorf("a disabled user's Basic request: %d", code)
	}
	t.Run("TheBootstrapAdminStays", func(t *testing.T) {
		boot, _ := f.q.UserGetByName(context.Background(), testAdmin)
		path := fmt.Sprintf("/api/users/%d", boot.ID)
		if code, _ := admin(http.MethodPut, path, `{"role": "viewer"}`); code != http.StatusUnprocessableEntity {
			t.Errorf("demote the bootstrap admin: %d", code)
		}
		if code, _ := admin(http.MethodDelete, path, ""); code != http.StatusConflict {
			t.Errorf("delete the bootstrap admin: %d", code)
		}
	})
	if code, _ := admin(http.MethodDelete, "/api/users/"+id, ""); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	if _, err := f.q.UserGetByName(context.Background(), "cat"); err == nil {
		t.Error("the deleted user is still there")
	}
}

func TestUsersPages(t *testing.T) {
	t.Parallel()
	f := setupRoles(t)
	cookie := f.login()
	if page := f.send(http.MethodGet, "/", nil, "Cookie", cookie).Body.String(); !strings.Contains(page, `data-testid="nav-users"`) {
		t.Error("an admin's pages do not link to the users")
	}
	if code := f.postPage(cookie, "/settings/users", url.Values{"name": {"dee"}, "password": {"x"}, "role": {"viewer"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("a user with a short password: %d", code)
	}
	if code := f.postPage(cookie, "/settings/users", url.Values{"name": {"dee"}, "password": {"dee's password"}, "role": {"editor"}}); code != http.StatusSeeOther {
		t.Fatalf("add a user: %d", code)
	}
	dee, err := f.q.UserGetByName(context.Background(), "dee")
	if err != nil || dee.Role != "editor" {
		t.Fatalf("dee: %+v %v", dee, err)
	}
	theirs := f.loginAs("dee", "dee's password")
	path := fmt.Sprintf("/settings/users/%d", dee.ID)
	if code := f.postPage(cookie, path, url.Values{"role": {"viewer"}, "password": {"a reset password"}}); code != http.StatusSeeOther {
		t.Fatalf("reset dee: %d", code)
	}
	if f.loggedIn(theirs) {
		t.Error("a reset password left the user's session open")
	}
	f.loginAs("dee", "a reset password")
	if code := f.postPage(cookie, path+"/delete", url.Values{}); code != http.StatusSeeOther {
		t.Errorf("delete dee: %d", code)
	}
}
