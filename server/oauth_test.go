package server

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/oauth"
)

// fakeProvider is an OAuth provider (GitHub-shaped) that checks PKCE like a real one.
type fakeProvider struct {
	srv *httptest.Server
	mu  sync.Mutex
	// codes issued by "authorize": code -> the PKCE challenge it was issued for
	codes map[string]string
	// the person behind every code
	user     map[string]any
	emails   []map[string]any
	exchange int
}

func newFakeProvider(t *testing.T) *fakeProvider {
	t.Helper()
	f := &fakeProvider{codes: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		f.mu.Lock()
		challenge, ok := f.codes[r.Form.Get("code")]
		delete(f.codes, r.Form.Get("code"))
		f.exchange++
		f.mu.Unlock()
		sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge || r.Form.Get("client_secret") != "gh-secret" {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"provider-access","token_type":"bearer"}`))
	})
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer provider-access" {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("GET /api/user", auth(func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(f.user)
	}))
	mux.HandleFunc("GET /api/user/emails", auth(func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(f.emails)
	}))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// authorize plays the person approving at the provider: it issues a code for the challenge in
// the authorization URL and returns the callback URL the browser would be sent to.
func (f *fakeProvider) authorize(t *testing.T, authURL string) string {
	t.Helper()
	u, err := url.Parse(authURL)
	require.NoError(t, err)
	q := u.Query()
	require.Equal(t, "S256", q.Get("code_challenge_method"))
	require.NotEmpty(t, q.Get("state"))
	code := "code-" + q.Get("state")[:8]
	f.mu.Lock()
	f.codes[code] = q.Get("code_challenge")
	f.mu.Unlock()
	cb, err := url.Parse(q.Get("redirect_uri"))
	require.NoError(t, err)
	return cb.Path + "?code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(q.Get("state"))
}

func (f *fakeProvider) person(id int64, email string, verified bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.user = map[string]any{"id": id, "login": "octo", "name": "Octo Cat"}
	f.emails = []map[string]any{
		{"email": "secondary@example.com", "primary": false, "verified": true},
		{"email": email, "primary": true, "verified": verified},
	}
}

func setupOAuth(t *testing.T) (*testServer, *fakeProvider) {
	t.Helper()
	fake := newFakeProvider(t)
	s := setupDB(t, func(d *Deps) {
		d.OAuth = oauth.Providers(oauth.Settings{
			GitHubClientID: "gh-client", GitHubClientSecret: "gh-secret", RedirectBase: "http://datanika.test",
			GitHubAuthURL: fake.srv.URL + "/authorize", GitHubTokenURL: fake.srv.URL + "/token", GitHubAPIBase: fake.srv.URL + "/api",
		})
		d.OAuthClient = fake.srv.Client()
	})
	return s, fake
}

// browser keeps cookies between requests, as a browser would.
type browser struct {
	s       *testServer
	cookies map[string]string
}

func (b *browser) get(t *testing.T, path, bearer string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptestRequest(http.MethodGet, path, "")
	return b.do(req, bearer)
}

func (b *browser) do(req *http.Request, bearer string) *httptest.ResponseRecorder {
	req.Header.Set("X-Requested-With", "datanika") // as the app sends it
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	rec := serve(b.s, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return rec
}

func (b *browser) signInWithProvider(t *testing.T, fake *fakeProvider) *httptest.ResponseRecorder {
	t.Helper()
	start := b.get(t, "/api/v1/auth/oauth/github/start?redirect=/pipelines", "")
	require.Equal(t, http.StatusFound, start.Code, start.Body.String())
	return b.get(t, fake.authorize(t, start.Header().Get("Location")), "")
}

func TestOAuth_ProvidersListsOnlyConfiguredOnes(t *testing.T) {
	t.Parallel()
	s, _ := setupOAuth(t)
	list := decode[api.AuthProviderList](t, s.call(t, http.MethodGet, "/api/v1/auth/providers", "", nil), http.StatusOK)
	require.Len(t, list.Providers, 1)
	require.Equal(t, api.AuthProviderName("github"), list.Providers[0].Name)

	none := setup(t)
	empty := decode[api.AuthProviderList](t, none.call(t, http.MethodGet, "/api/v1/auth/providers", "", nil), http.StatusOK)
	require.Empty(t, empty.Providers)
	decodeProblem(t, none.call(t, http.MethodGet, "/api/v1/auth/oauth/github/start", "", nil), http.StatusNotFound)
}

func TestOAuth_NewVerifiedPersonGetsAnAccountAndNoTokenTravelsInTheURL(t *testing.T) {
	t.Parallel()
	s, fake := setupOAuth(t)
	fake.person(4242, "Octo@Example.com", true)
	b := &browser{s: s, cookies: map[string]string{}}

	cb := b.signInWithProvider(t, fake)
	require.Equal(t, http.StatusFound, cb.Code, cb.Body.String())
	loc := cb.Header().Get("Location")
	require.Equal(t, "/auth/complete?redirect=%2Fpipelines", loc)
	require.NotContains(t, loc, "token")
	require.NotEmpty(t, b.cookies[refreshCookieName])
	require.NotContains(t, b.cookies, oauthCookieName, "the flow cookie is cleared")

	// The app trades the cookie for an access token.
	req := httptestRequest(http.MethodPost, "/api/v1/auth/refresh", "")
	tok := decode[api.TokenResponse](t, b.do(req, ""), http.StatusOK)
	require.Equal(t, "octo@example.com", tok.User.Email)
	require.Equal(t, api.Role("owner"), tok.Role)

	// Signing in again finds the same user.
	b2 := &browser{s: s, cookies: map[string]string{}}
	require.Equal(t, http.StatusFound, b2.signInWithProvider(t, fake).Code)
	tok2 := decode[api.TokenResponse](t, b2.do(httptestRequest(http.MethodPost, "/api/v1/auth/refresh", ""), ""), http.StatusOK)
	require.Equal(t, tok.User.Id, tok2.User.Id)
}

func TestOAuth_UnverifiedEmailIsRefused(t *testing.T) {
	t.Parallel()
	s, fake := setupOAuth(t)
	fake.person(1, "unverified@example.com", false)
	b := &browser{s: s, cookies: map[string]string{}}
	cb := b.signInWithProvider(t, fake)
	require.Equal(t, "/sign-in?oauth_error=email_unverified", cb.Header().Get("Location"))
	require.NotContains(t, b.cookies, refreshCookieName)
	require.Zero(t, countRows(t, s, "users"))
}

func TestOAuth_ExistingPasswordAccountIsNeverLinkedByEmailAlone(t *testing.T) {
	t.Parallel()
	s, fake := setupOAuth(t)
	email := uniqueEmail("victim")
	victim := s.signup(t, email, "Victim")
	fake.person(7, email, true)

	b := &browser{s: s, cookies: map[string]string{}}
	cb := b.signInWithProvider(t, fake)
	require.Equal(t, "/sign-in?oauth_error=account_exists", cb.Header().Get("Location"))
	require.NotContains(t, b.cookies, refreshCookieName)

	// Signed in, the owner of the account links the provider; then it signs them in.
	linker := &browser{s: s, cookies: map[string]string{}}
	rec := linker.do(httptestRequest(http.MethodPost, "/api/v1/auth/oauth/github/link", `{"redirect":"/settings"}`), victim.AccessToken)
	link := decode[api.OAuthAuthorizeURL](t, rec, http.StatusOK)
	cb = linker.get(t, fake.authorize(t, link.AuthorizeUrl), "")
	require.Equal(t, "/auth/complete?redirect=%2Fsettings", cb.Header().Get("Location"))

	b3 := &browser{s: s, cookies: map[string]string{}}
	require.Equal(t, http.StatusFound, b3.signInWithProvider(t, fake).Code)
	tok := decode[api.TokenResponse](t, b3.do(httptestRequest(http.MethodPost, "/api/v1/auth/refresh", ""), ""), http.StatusOK)
	require.Equal(t, victim.User.Id, tok.User.Id)
}

func TestOAuth_ForgedOrMissingStateIsRefused(t *testing.T) {
	t.Parallel()
	s, fake := setupOAuth(t)
	fake.person(9, "state@example.com", true)
	b := &browser{s: s, cookies: map[string]string{}}
	start := b.get(t, "/api/v1/auth/oauth/github/start", "")
	cbURL := fake.authorize(t, start.Header().Get("Location"))

	forged := strings.Replace(cbURL, "state=", "state=x", 1)
	require.Equal(t, "/sign-in?oauth_error=failed", b.get(t, forged, "").Header().Get("Location"))

	// Without the flow cookie (another browser), the callback is refused too.
	stranger := &browser{s: s, cookies: map[string]string{}}
	require.Equal(t, "/sign-in?oauth_error=failed", stranger.get(t, cbURL, "").Header().Get("Location"))

	// An open redirect is not possible: only app paths come back.
	b2 := &browser{s: s, cookies: map[string]string{}}
	start = b2.get(t, "/api/v1/auth/oauth/github/start?redirect=//evil.example/x", "")
	cb := b2.get(t, fake.authorize(t, start.Header().Get("Location")), "")
	require.Equal(t, "/auth/complete?redirect=%2F", cb.Header().Get("Location"))
	require.Zero(t, countRows(t, s, "users")-1, "only the last flow created an account")
}
