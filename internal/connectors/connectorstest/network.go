package connectorstest

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
)

// Blackhole is an address that swallows packets (or is unroutable): a dial to it hangs until
// its deadline, the worst case for a connection test.
const Blackhole = "10.255.255.1"

// CountingDialer dials directly and counts the dials, so tests can prove a connector goes
// through the Dialer it was given (where the egress policy will sit).
type CountingDialer struct {
	dials atomic.Int64
	d     net.Dialer
}

// DialContext counts and dials.
func (c *CountingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c.dials.Add(1)
	return c.d.DialContext(ctx, network, addr)
}

// Dials returns how many dials were made.
func (c *CountingDialer) Dials() int64 { return c.dials.Load() }

// ClosedPort returns a local TCP port with nothing listening on it.
func ClosedPort(t testing.TB) int {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// HangingDialer never connects: it waits for the context to end, like a dial to a host that
// drops every packet.
type HangingDialer struct{}

// DialContext blocks until ctx is done.
func (HangingDialer) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// SilentServer accepts connections and never says a word, like a server stuck before its
// greeting. It returns the port.
func SilentServer(t testing.TB) int {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	t.Cleanup(func() { close(done); _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { <-done; _ = conn.Close() }()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// RequireClosedPortFails asserts what every connector's Test does against a closed port: it
// answers not OK at once (within 2 s), and its message does not repeat password.
func RequireClosedPortFails(t testing.TB, c connectors.Tester, password string) {
	t.Helper()
	start := time.Now()
	res := c.Test(context.Background())
	require.False(t, res.OK)
	require.Less(t, time.Since(start), 2*time.Second)
	require.NotContains(t, res.Message, password)
}

// RequireUnreachableFails asserts what every connector's Test does against a host that never
// answers (a hanging dial, a blackhole, a server that accepts and stays silent): under a context
// of 1.5 s it answers not OK within the given bound, and its message does not repeat password
// (when one is given). It returns the result for checks of the connector's own.
func RequireUnreachableFails(t testing.TB, c connectors.Tester, within time.Duration, password string) connectors.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	res := c.Test(ctx)
	require.False(t, res.OK)
	require.Less(t, time.Since(start), within)
	if password != "" {
		require.NotContains(t, res.Message, password)
	}
	t.Log(res.Message)
	return res
}
