package handlers

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// zitadelIdP is an independent OpenID provider on 127.0.0.1: zitadel's op package with the
// in-memory storage of its example server. The wrapper adds what the example lacks: a signing key
// the test can rotate, a groups claim in the ID token, and a login step that signs in whoever
// the test names next.
type zitadelIdP struct {
	*storage.Storage
	t        *testing.T
	srv      *httptest.Server
	provider *op.Provider

	mu     sync.Mutex
	key    *rsa.PrivateKey
	kid    string
	users  map[string]*storage.User // by id
	groups map[string][]string      // by user id
	next   string                   // the user id the next login signs in
	// unknownCodes counts the codes exchanged that the provider did not know (or knew no more).
	unknownCodes int
}

// zitadelUsers is the provider's user store: the test's users, by id.
type zitadelUsers struct{ idp *zitadelIdP }

func (u zitadelUsers) GetUserByID(id string) *storage.User {
	u.idp.mu.Lock()
	defer u.idp.mu.Unlock()
	return u.idp.users[id]
}

func (u zitadelUsers) GetUserByUsername(name string) *storage.User {
	u.idp.mu.Lock()
	defer u.idp.mu.Unlock()
	for _, user := range u.idp.users {
		if user.Username == name {
			return user
		}
	}
	return nil
}

func (zitadelUsers) ExampleClientID() string { return storage.ServiceUserID }

func newZitadelIdP(t *testing.T, redirectURL string) *zitadelIdP {
	t.Helper()
	idp := &zitadelIdP{t: t, users: map[string]*storage.User{}, groups: map[string][]string{}}
	idp.rotate()
	clients := map[string]*storage.Client{testClientID: storage.WebClient(testClientID, "s3cret", redirectURL)}
	idp.Storage = storage.NewStorageWithClients(zitadelUsers{idp}, clients)
	idp.srv = httptest.NewUnstartedServer(nil)
	issuer := "http://" + idp.srv.Listener.Addr().String()
	cfg := &op.Config{CryptoKey: sha256.Sum256([]byte("cronflow test")), CodeMethodS256: true, AuthMethodPost: true}
	p, err := op.NewProvider(cfg, idp, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	idp.provider = p
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/username", idp.login)
	mux.Handle("/", p)
	idp.srv.Config.Handler = mux
	idp.srv.Start()
	t.Cleanup(idp.srv.Close)
	return idp
}

// signInNext makes id a user of the provider in groups, signed in by the next login.
func (idp *zitadelIdP) signInNext(id string, groups ...string) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	idp.users[id] = &storage.User{ID: id, Username: id, Password: "pw-" + id, Email: id + "@example.test", EmailVerified: true}
	idp.groups[id] = groups
	idp.next = id
}

// login is the provider's login page, answered at once for the user the test named.
func (idp *zitadelIdP) login(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("authRequestID")
	idp.mu.Lock()
	next := idp.next
	idp.mu.Unlock()
	if err := idp.CheckUsernamePassword(next, "pw-"+next, id); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	http.Redirect(w, r, idp.provider.AuthorizationEndpoint().Relative()+"/callback?id="+url.QueryEscape(id), http.StatusFound)
}

// rotate replaces the signing key by a new one under a new id; the key set lists only the new one.
func (idp *zitadelIdP) rotate() {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		idp.t.Fatal(err)
	}
	idp.mu.Lock()
	defer idp.mu.Unlock()
	idp.key, idp.kid = key, rand.Text()
}

// AuthRequestByCode counts the codes the example storage does not find: spent or never issued.
func (idp *zitadelIdP) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	req, err := idp.Storage.AuthRequestByCode(ctx, code)
	if err != nil {
		idp.mu.Lock()
		idp.unknownCodes++
		idp.mu.Unlock()
	}
	return req, err
}

// zitadelKey is a key as op reads it, for signing and for the key set.
type zitadelKey struct {
	id  string
	key *rsa.PrivateKey
	pub bool
}

func (k zitadelKey) ID() string                                  { return k.id }
func (k zitadelKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k zitadelKey) Algorithm() jose.SignatureAlgorithm          { return jose.RS256 }
func (k zitadelKey) Use() string                                 { return "sig" }
func (k zitadelKey) Key() any {
	if k.pub {
		return &k.key.PublicKey
	}
	return k.key
}

// SigningKey overrides the example storage's fixed key with the rotating one.
func (idp *zitadelIdP) SigningKey(context.Context) (op.SigningKey, error) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	return zitadelKey{id: idp.kid, key: idp.key}, nil
}

// SignatureAlgorithms is the rotating key's algorithm.
func (idp *zitadelIdP) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet lists only the current key, so that a relying party must fetch it again after a rotation.
func (idp *zitadelIdP) KeySet(context.Context) ([]op.Key, error) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	return []op.Key{zitadelKey{id: idp.kid, key: idp.key, pub: true}}, nil
}

// SetUserinfoFromRequest puts the user's name, email and groups into the ID token.
func (idp *zitadelIdP) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, _ []string) error {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	if u := idp.users[req.GetSubject()]; u != nil {
		info.PreferredUsername = u.Username
		info.Email, info.EmailVerified = u.Email, oidc.Bool(u.EmailVerified)
		info.AppendClaims("groups", idp.groups[u.ID])
	}
	return nil
}

// zitadelFixture is a server whose single sign-on goes to the zitadel provider.
type zitadelFixture struct {
	*fixture
	idp *zitadelIdP
}

func setupZitadel(t *testing.T, roles string) *zitadelFixture {
	t.Helper()
	const redirect = "http://cronflow.test/login/oidc/callback"
	idp := newZitadelIdP(t, redirect)
	rules, problems := ParseOIDCRoles(roles)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	f := setup(t, withAuth(AuthConfig{OIDC: &OIDCConfig{Issuer: idp.srv.URL, ClientID: testClientID, ClientSecret: "s3cret",
		RedirectURL: redirect, Name: "Zitadel", RoleClaim: "groups", Roles: rules}}))
	return &zitadelFixture{fixture: f, idp: idp}
}

// start begins a sign-in at Cronflow: the provider's authorize URL and the browser's state cookie.
func (z *zitadelFixture) start() (authorize, stateCookie string) {
	z.t.Helper()
	rec := z.send(http.MethodGet, "/login/oidc?next=/runs", nil)
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), z.idp.srv.URL+"/") {
		z.t.Fatalf("start: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == oidcCookie {
			stateCookie = c.Name + "=" + c.Value
		}
	}
	return rec.Header().Get("Location"), stateCookie
}

// atProvider follows the provider's redirects from authorize until it sends the browser back to
// Cronflow, and returns that callback's path and query.
func (z *zitadelFixture) atProvider(authorize string) string {
	z.t.Helper()
	client := &http.Client{CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host != z.idp.srv.Listener.Addr().String() {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := client.Get(authorize)
	if err != nil {
		z.t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Path != "/login/oidc/callback" || back.Query().Get("code") == "" {
		z.t.Fatalf("provider answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return back.RequestURI()
}

// signIn signs user in through the provider and returns Cronflow's answer to the callback, the
// callback and the browser's state cookie, to replay.
func (z *zitadelFixture) signIn(user string, groups ...string) (rec *httptest.ResponseRecorder, callback, cookie string) {
	z.t.Helper()
	z.idp.signInNext(user, groups...)
	authorize, cookie := z.start()
	callback = z.atProvider(authorize)
	return z.send(http.MethodGet, callback, nil, "Cookie", cookie), callback, cookie
}

// roleOf is the stored role of the user name, "" if there is no such user.
func (z *zitadelFixture) roleOf(name string) string {
	z.t.Helper()
	u, err := z.q.UserGetByName(context.Background(), name)
	if err != nil {
		return ""
	}
	return u.Role
}

// publishedKeyIDs are the key ids the provider's key set lists.
func (idp *zitadelIdP) publishedKeyIDs() []string {
	idp.t.Helper()
	resp, err := http.Get(idp.srv.URL + "/keys")
	if err != nil {
		idp.t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		idp.t.Fatal(err)
	}
	var ids []string
	for _, k := range set.Keys {
		ids = append(ids, k.KeyID)
	}
	return ids
}
