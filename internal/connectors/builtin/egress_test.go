package builtin_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/builtin"
	"github.com/datanika/datanika/internal/egress"
)

// forward accepts on a loopback port and pipes every connection to target: a second address
// of the same server, standing in for a managed warehouse apart from the metadata database.
func forward(t *testing.T, target string) int {
	t.Helper()
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() { _ = in.Close() }()
				out, err := new(net.Dialer).DialContext(context.Background(), "tcp", target)
				if err != nil {
					return
				}
				defer func() { _ = out.Close() }()
				go func() { _, _ = io.Copy(out, in) }()
				_, _ = io.Copy(in, out)
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestEgress_ManagedAndTenantConnectionsReachWhatThePolicySays is the table of issue #14 item 1:
// {managed, tenant connection} × {postgres, mysql, rest_api, s3, a redirect} × {the warehouse's
// port, another port of that host, the metadata database}, with private egress off and on. The
// metadata database is the local PostgreSQL (5432); the warehouse, another port of this host
// forwarding to it; "another port", a plain HTTP server. Only the managed connection reaches the
// warehouse when private egress is off, and nothing reaches the metadata database.
func TestEgress_ManagedAndTenantConnectionsReachWhatThePolicySays(t *testing.T) {
	t.Parallel()
	const metaPort = 5432
	warehousePort := forward(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(metaPort)))
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"id": 1}]`))
	}))
	t.Cleanup(other.Close)
	otherPort := other.Listener.Addr().(*net.TCPAddr).Port

	// The redirector stands for a public API: 127.0.0.2 is allowlisted.
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.2:0")
	require.NoError(t, err)
	redirector := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:"+r.URL.Query().Get("to")+"/items", http.StatusFound)
	}))
	_ = redirector.Listener.Close()
	redirector.Listener = ln
	redirector.Start()
	t.Cleanup(redirector.Close)

	targets := map[string]int{"warehouse port": warehousePort, "other port": otherPort, "metadata database": metaPort}
	configs := map[string]func(port int) (string, map[string]any){
		"postgres": func(port int) (string, map[string]any) {
			return "postgres", map[string]any{"host": "127.0.0.1", "port": port, "database": "postgres", "user": "postgres", "sslmode": "disable"}
		},
		"mysql": func(port int) (string, map[string]any) {
			return "mysql", map[string]any{"host": "127.0.0.1", "port": port, "user": "root"}
		},
		"rest_api": func(port int) (string, map[string]any) {
			return "rest_api", map[string]any{"base_url": fmt.Sprintf("http://127.0.0.1:%d", port), "resources": []any{map[string]any{"name": "items", "path": "/items"}}}
		},
		"s3": func(port int) (string, map[string]any) {
			return "s3", map[string]any{"bucket": "data", "endpoint": fmt.Sprintf("http://127.0.0.1:%d", port), "force_path_style": true}
		},
		"redirect": func(port int) (string, map[string]any) {
			return "rest_api", map[string]any{"base_url": redirector.URL, "resources": []any{map[string]any{"name": "items", "path": "/start", "params": map[string]any{"to": strconv.Itoa(port)}}}}
		},
	}
	registry := builtin.Registry()
	for _, allowPrivate := range []bool{false, true} {
		policy, err := egress.New(allowPrivate, "127.0.0.2/32")
		require.NoError(t, err)
		require.NoError(t, policy.Protect(context.Background(), "127.0.0.1", metaPort))
		require.NoError(t, policy.Manage(context.Background(), "127.0.0.1", uint16(warehousePort))) //nolint:gosec // a port
		for _, managed := range []bool{true, false} {
			dialer := policy.Dialer(connectors.TestTimeout)
			if managed {
				dialer = policy.ManagedDialer(connectors.TestTimeout)
			}
			for kind, build := range configs {
				for target, port := range targets {
					want := "denied"
					switch {
					case target == "metadata database":
					case target == "warehouse port" && managed, allowPrivate:
						want = "reached"
					}
					name := fmt.Sprintf("private=%v managed=%v %s → %s", allowPrivate, managed, kind, target)
					typ, cfg := build(port)
					c, err := registry.Open(typ, cfg, connectors.Env{Dialer: dialer})
					require.NoError(t, err, name)
					// A reached server that speaks another protocol may keep silent: what counts
					// is whether the policy let the dial through, decided at once.
					ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
					res := c.Test(ctx)
					cancel()
					got := "reached"
					if !res.OK && strings.Contains(res.Message, "egress denied") {
						got = "denied"
					}
					require.Equal(t, want, got, "%s: %s", name, res.Message)
				}
			}
		}
	}
}
