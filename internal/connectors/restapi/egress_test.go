package restapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/connectorstest"
	"github.com/datanika/datanika/internal/egress"
)

// localhostOnly is a policy that denies private addresses but trusts the host name
// "localhost": the API's own host passes, anything it redirects to on a private address does not.
func localhostOnly(t *testing.T) connectors.Env {
	t.Helper()
	p, err := egress.New(false, "localhost")
	require.NoError(t, err)
	return connectors.Env{Dialer: p.Dialer(connectors.TestTimeout)}
}

// viaLocalhost names a 127.0.0.1 test server by the host name localhost.
func viaLocalhost(s *server) string {
	return strings.Replace(s.URL, "127.0.0.1", "localhost", 1)
}

func TestEgress_PolicyDecidesAtDialTime(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, items(1, 1)) })
	strict, err := egress.New(false, "")
	require.NoError(t, err)
	res := open(t, config(s.URL, "/items", nil), connectors.Env{Dialer: strict.Dialer(connectors.TestTimeout)}).Test(t.Context())
	require.False(t, res.OK, "a loopback API is denied when private addresses are not allowed")
	require.Contains(t, res.Message, "denied")
	require.Empty(t, s.requests())

	res = open(t, config(s.URL, "/items", nil), openPolicy(t)).Test(t.Context())
	require.True(t, res.OK, res.Message)
	require.Contains(t, res.Message, "HTTP 200 OK")

	var dialer connectorstest.CountingDialer
	res = open(t, config(s.URL, "/items", nil), connectors.Env{Dialer: &dialer}).Test(t.Context())
	require.True(t, res.OK, res.Message)
	require.Equal(t, int64(1), dialer.Dials(), "requests dial through the Env's Dialer")
}

func TestEgress_RedirectToAPrivateAddressIsRefused(t *testing.T) {
	t.Parallel()
	inside := serve(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, items(1, 1)) })
	api := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inside.URL+"/secret-metadata", http.StatusFound)
	})
	c := open(t, config(viaLocalhost(api), "/items", nil), localhostOnly(t))

	res := c.Test(t.Context())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "denied")

	_, _, err := readAll(t, c, "items", State{})
	require.ErrorIs(t, err, egress.ErrDenied)
	require.Len(t, api.requests(), 2, "one request each for Test and Read: a denial is not retried")
	require.Empty(t, inside.requests(), "the private address was never reached")
}

func TestEgress_TokenRequestDialsThroughThePolicy(t *testing.T) {
	t.Parallel()
	idp := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"access_token": "at", "token_type": "bearer"})
	})
	api := serve(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, items(1, 1)) })
	auth := map[string]any{"type": "oauth2_client_credentials", "token_url": idp.URL + "/token", "client_id": "cid",
		"client_secret": "the-client-secret"}
	c := open(t, config(viaLocalhost(api), "/items", map[string]any{"auth": auth}), localhostOnly(t))
	res := c.Test(t.Context())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "denied")
	require.NotContains(t, res.Message, "the-client-secret")
	require.Empty(t, idp.requests())
	require.Empty(t, api.requests(), "no token, no API request")
}

func TestEgress_RedirectToAnotherHostDropsCredentials(t *testing.T) {
	t.Parallel()
	other := serve(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, items(1, 1)) })
	api := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/moved", http.StatusMovedPermanently)
	})
	c := open(t, config(viaLocalhost(api), "/items", map[string]any{
		"auth":    map[string]any{"type": "api_key", "name": "X-API-Key", "value": "key-1"},
		"headers": map[string]any{"X-Tenant": "acme"},
	}), openPolicy(t))
	res := c.Test(t.Context())
	require.True(t, res.OK, res.Message)
	require.Equal(t, "key-1", api.requests()[0].Header.Get("X-API-Key"))
	got := other.requests()[0].Header
	require.Empty(t, got.Get("X-API-Key"))
	require.Empty(t, got.Get("X-Tenant"))
	require.Equal(t, "Datanika", got.Get("User-Agent"))
}

func TestEgress_RedirectsAreBounded(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, r.URL.Path+"x", http.StatusFound) })
	res := open(t, config(s.URL, "/items", nil), openPolicy(t)).Test(t.Context())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "stopped after 5 redirects")
	require.Len(t, s.requests(), maxRedirects, "the first request and the redirects followed before the limit")
}
