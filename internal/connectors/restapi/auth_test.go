package restapi

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// authServer answers records only to requests that pass check, 401 otherwise.
func authServer(t *testing.T, check func(r *http.Request) bool) *server {
	return serve(t, func(w http.ResponseWriter, r *http.Request) {
		if !check(r) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		writeJSON(w, items(1, 2))
	})
}

func TestAuth_EveryKindReachesTheServer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		auth  map[string]any
		check func(r *http.Request) bool
	}{
		{"none", map[string]any{"type": "none"}, func(r *http.Request) bool {
			return r.Header.Get("Authorization") == ""
		}},
		{"bearer", map[string]any{"type": "bearer", "token": "tok-123"}, func(r *http.Request) bool {
			return r.Header.Get("Authorization") == "Bearer tok-123"
		}},
		{"basic", map[string]any{"type": "basic", "username": "ann", "password": "pa ss:wörd"}, func(r *http.Request) bool {
			u, p, ok := r.BasicAuth()
			return ok && u == "ann" && p == "pa ss:wörd"
		}},
		{"api_key header", map[string]any{"type": "api_key", "name": "X-API-Key", "value": "k-1"}, func(r *http.Request) bool {
			return r.Header.Get("X-API-Key") == "k-1" && r.URL.Query().Get("X-API-Key") == ""
		}},
		{"api_key query", map[string]any{"type": "api_key", "name": "api_key", "value": "k&2=", "in": "query"}, func(r *http.Request) bool {
			return r.URL.Query().Get("api_key") == "k&2=" && r.URL.Query().Get("status") == "open"
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := authServer(t, tc.check)
			good := open(t, config(s.URL, "/items?status=open", map[string]any{"auth": tc.auth}), openPolicy(t))
			res := good.Test(t.Context())
			require.True(t, res.OK, res.Message)
			recs, _, err := readAll(t, good, "items", State{})
			require.NoError(t, err)
			require.Len(t, recs, 2)
			if tc.name == "none" {
				return
			}
			// Without the credentials the same server refuses: the check is real.
			bare := open(t, config(s.URL, "/items?status=open", nil), openPolicy(t))
			res = bare.Test(t.Context())
			require.False(t, res.OK)
			require.Contains(t, res.Message, "HTTP 401")
		})
	}
}

func TestAuth_HeadersAndUserAgent(t *testing.T) {
	t.Parallel()
	s := authServer(t, func(r *http.Request) bool {
		return r.Header.Get("X-Tenant") == "acme" && r.UserAgent() == "Datanika" && r.Header.Get("Accept") == "application/json"
	})
	c := open(t, config(s.URL, "/items", map[string]any{"headers": map[string]any{"X-Tenant": "acme"}}), openPolicy(t))
	res := c.Test(t.Context())
	require.True(t, res.OK, res.Message)
}

// tokenServer is an OAuth2 token endpoint at /token and an API at /items that wants its token.
func tokenServer(t *testing.T, tokens *atomic.Int64) *server {
	return serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token":
			tokens.Add(1)
			id, secret, ok := r.BasicAuth()
			if !ok {
				_ = r.ParseForm()
				id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
			}
			_ = r.ParseForm()
			if r.Method != http.MethodPost || r.PostForm.Get("grant_type") != "client_credentials" ||
				id != "cid" || secret != "csecret" || r.PostForm.Get("scope") != "read write" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"error": "invalid_client", "echo": "` + secret + `"}`))
				return
			}
			writeJSON(w, map[string]any{"access_token": "at-777", "token_type": "bearer", "expires_in": 3600})
		case "/items":
			if r.Header.Get("Authorization") != "Bearer at-777" {
				http.Error(w, "no token", http.StatusUnauthorized)
				return
			}
			page := r.URL.Query().Get("page")
			if page == "" {
				writeJSON(w, map[string]any{"data": items(1, 1), "next": "/items?page=2"})
				return
			}
			writeJSON(w, map[string]any{"data": items(2, 1), "next": nil})
		}
	})
}

func TestAuth_OAuth2ClientCredentialsFetchesOneTokenForAllPages(t *testing.T) {
	t.Parallel()
	var tokens atomic.Int64
	s := tokenServer(t, &tokens)
	auth := map[string]any{"type": "oauth2_client_credentials", "token_url": s.URL + "/token", "client_id": "cid",
		"client_secret": "csecret", "scopes": []any{"read", "write"}}
	c := open(t, config(s.URL, "/items", map[string]any{"auth": auth}), openPolicy(t))
	recs, r, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Equal(t, []string{"1", "2"}, ids(recs))
	require.Equal(t, 2, r.Pages())
	require.Equal(t, int64(1), tokens.Load(), "the token is reused across pages")
}

func TestAuth_OAuth2RefusedTokenFailsWithoutTheSecret(t *testing.T) {
	t.Parallel()
	var tokens atomic.Int64
	s := tokenServer(t, &tokens)
	auth := map[string]any{"type": "oauth2_client_credentials", "token_url": s.URL + "/token", "client_id": "cid",
		"client_secret": "wrong-secret-value", "scopes": []any{"read", "write"}}
	c := open(t, config(s.URL, "/items", map[string]any{"auth": auth}), openPolicy(t))
	res := c.Test(t.Context())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "oauth2 token request")
	require.Contains(t, res.Message, "401")
	require.NotContains(t, res.Message, "wrong-secret-value")

	_, _, err := readAll(t, c, "items", State{})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "wrong-secret-value")
	require.False(t, strings.Contains(err.Error(), "\n"), "one line: %q", err.Error())
}
