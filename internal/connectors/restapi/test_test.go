package restapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/connectorstest"
)

func TestTest_ReportsStatusAndRecords(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, map[string]any{"data": items(1, 3)}) })
	res := open(t, config(s.URL, "/items", nil), openPolicy(t)).Test(t.Context())
	require.True(t, res.OK, res.Message)
	require.Equal(t, "connected: HTTP 200 OK, 3 records on the first page of items", res.Message)
	require.Len(t, s.requests(), 1, "one GET, even when auto pagination could go on")
}

func TestTest_FailsWithStatusAndShortReason(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "resource gone\n"+strings.Repeat("x", 5000), http.StatusGone)
	})
	res := open(t, config(s.URL, "/items", nil), openPolicy(t)).Test(t.Context())
	require.False(t, res.OK)
	require.True(t, strings.HasPrefix(res.Message, "GET "+s.URL+"/items: HTTP 410 Gone: resource gone xxx"), res.Message)
	require.Less(t, len(res.Message), 300, "a short reason, not the whole body")
	require.Len(t, s.requests(), 1, "a test makes one attempt")
}

func TestTest_TimesOutWithinTheTestTimeout(t *testing.T) {
	t.Parallel()
	c := open(t, config(fmt.Sprintf("http://127.0.0.1:%d", connectorstest.SilentServer(t)), "/items", nil), openPolicy(t))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res := c.Test(ctx)
	require.False(t, res.OK)
	require.Less(t, time.Since(start), 3*time.Second)
	require.Contains(t, res.Message, "no answer within")
}

// echo answers 401 with everything it was sent: headers, the URL with its query string.
func echo(t *testing.T) *server {
	return serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = fmt.Fprintf(w, "denied for %s %q %q %q", r.URL.String(), r.Header.Get("Authorization"),
			r.Header.Get("X-API-Key"), r.Header.Get("X-Secret-Header"))
	})
}

func TestTest_SecretsNeverInMessages(t *testing.T) {
	t.Parallel()
	s := echo(t)
	cases := []struct {
		auth    map[string]any
		secrets []string
	}{
		{map[string]any{"type": "bearer", "token": "bearer-secret-1"}, []string{"bearer-secret-1"}},
		{map[string]any{"type": "basic", "username": "ann", "password": "basic-pass-2"},
			[]string{"basic-pass-2", base64.StdEncoding.EncodeToString([]byte("ann:basic-pass-2"))}},
		{map[string]any{"type": "api_key", "name": "X-API-Key", "value": "hdr-key-3"}, []string{"hdr-key-3"}},
		{map[string]any{"type": "api_key", "name": "api_key", "value": "q key/4&=", "in": "query"},
			[]string{"q key/4&=", url.QueryEscape("q key/4&="), "key/4"}},
	}
	for _, tc := range cases {
		cfg := config(s.URL, "/items?x=1", map[string]any{"auth": tc.auth, "headers": map[string]any{"X-Secret-Header": "hdr-val-5"}})
		c := open(t, cfg, openPolicy(t))
		res := c.Test(t.Context())
		require.False(t, res.OK)
		require.Contains(t, res.Message, "HTTP 401")
		require.Contains(t, res.Message, connectors.Masked, "the echo was scrubbed, not dropped")
		_, _, err := readAll(t, c, "items", State{})
		require.Error(t, err)
		for _, secret := range append(tc.secrets, "hdr-val-5") {
			require.NotContains(t, res.Message, secret)
			require.NotContains(t, err.Error(), secret)
		}
	}
}

func TestTest_APIKeyInQueryNeverInNetworkErrors(t *testing.T) {
	t.Parallel()
	base := fmt.Sprintf("http://127.0.0.1:%d", connectorstest.ClosedPort(t))
	c := open(t, config(base, "/items", map[string]any{
		"auth":  map[string]any{"type": "api_key", "name": "key", "value": "net-key-6", "in": "query"},
		"retry": map[string]any{"max_attempts": 2, "backoff_seconds": 0},
	}), openPolicy(t))
	res := c.Test(t.Context())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "refused")
	require.NotContains(t, res.Message, "net-key-6")
	require.NotContains(t, res.Message, "key=")

	_, _, err := readAll(t, c, "items", State{})
	require.ErrorContains(t, err, "gave up after 2 attempts")
	require.NotContains(t, err.Error(), "net-key-6")
}

func TestTest_BodyThatIsNotJSONFails(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(nil) })
	res := open(t, config(s.URL, "/items", nil), openPolicy(t)).Test(t.Context())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "empty, not JSON")
}
