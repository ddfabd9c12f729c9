package egress_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/egress"
)

func TestCheckAddr_DeniesPrivateLoopbackLinkLocalAndMetadata(t *testing.T) {
	t.Parallel()
	p, err := egress.New(false, "")
	require.NoError(t, err)
	for _, a := range []string{
		"127.0.0.1", "127.1.2.3", "::1", "10.0.0.1", "10.255.255.255", "172.16.0.1", "192.168.1.1",
		"169.254.169.254", "169.254.1.1", "fe80::1", "fd00:ec2::254", "fc00::1", "100.64.0.1", "0.0.0.0", "::",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1", "224.0.0.1",
	} {
		require.ErrorIs(t, p.CheckAddr(netip.MustParseAddr(a)), egress.ErrDenied, a)
	}
	for _, a := range []string{"8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "172.32.0.1", "100.128.0.1"} {
		require.NoError(t, p.CheckAddr(netip.MustParseAddr(a)), a)
	}
}

func TestCheckAddr_AllowPrivateStillDeniesMetadata(t *testing.T) {
	t.Parallel()
	p, err := egress.New(true, "")
	require.NoError(t, err)
	require.NoError(t, p.CheckAddr(netip.MustParseAddr("127.0.0.1")))
	require.NoError(t, p.CheckAddr(netip.MustParseAddr("10.1.2.3")))
	require.ErrorIs(t, p.CheckAddr(netip.MustParseAddr("169.254.169.254")), egress.ErrDenied)
	require.ErrorIs(t, p.CheckAddr(netip.MustParseAddr("::ffff:169.254.169.254")), egress.ErrDenied)
}

func TestCheckAddr_AllowlistOpensAddressesAndRanges(t *testing.T) {
	t.Parallel()
	p, err := egress.New(false, "10.1.0.0/16, 192.168.7.7 ,db.internal")
	require.NoError(t, err)
	require.NoError(t, p.CheckAddr(netip.MustParseAddr("10.1.200.3")))
	require.NoError(t, p.CheckAddr(netip.MustParseAddr("192.168.7.7")))
	require.ErrorIs(t, p.CheckAddr(netip.MustParseAddr("10.2.0.1")), egress.ErrDenied)
	_, err = egress.New(false, "10.0.0.0/99")
	require.Error(t, err)
}

func TestDialer_ChecksTheResolvedAddressOfANameThatPointsInside(t *testing.T) {
	t.Parallel()
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = ln.Close() }()
	_, port, _ := net.SplitHostPort(ln.Addr().String())

	p, _ := egress.New(false, "")
	d := p.Dialer(2 * time.Second)
	// "localhost" looks harmless as a name; it resolves to loopback, and that is what is checked.
	_, err = d.DialContext(context.Background(), "tcp", net.JoinHostPort("localhost", port))
	require.ErrorIs(t, err, egress.ErrDenied)
	_, err = d.DialContext(context.Background(), "tcp", net.JoinHostPort("::ffff:127.0.0.1", port))
	require.ErrorIs(t, err, egress.ErrDenied)

	// Allowed, the same dial goes through.
	open, _ := egress.New(true, "")
	conn, err := open.Dialer(2*time.Second).DialContext(context.Background(), "tcp", net.JoinHostPort("127.0.0.1", port))
	require.NoError(t, err)
	_ = conn.Close()

	// An allowlisted host name is trusted whatever it resolves to.
	named, _ := egress.New(false, "localhost")
	conn, err = named.Dialer(2*time.Second).DialContext(context.Background(), "tcp", net.JoinHostPort("localhost", port))
	require.NoError(t, err)
	_ = conn.Close()
}

func TestHTTPClient_ARedirectToAPrivateAddressIsRefused(t *testing.T) {
	t.Parallel()
	inside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("internal secrets"))
	}))
	defer inside.Close()

	// The public-facing server lives on 127.0.0.2, which the allowlist opens; 127.0.0.1 stays closed.
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.2:0")
	require.NoError(t, err)
	outside := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inside.URL+"/admin", http.StatusFound)
	}))
	_ = outside.Listener.Close()
	outside.Listener = ln
	outside.Start()
	defer outside.Close()

	p, _ := egress.New(false, "127.0.0.2/32")
	client := p.HTTPClient(5 * time.Second)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, outside.URL, nil)
	res, err := client.Do(req)
	if res != nil {
		_ = res.Body.Close()
	}
	require.ErrorIs(t, err, egress.ErrDenied)

	// Directly, the inside server is refused too.
	req, _ = http.NewRequestWithContext(context.Background(), http.MethodGet, inside.URL, nil)
	res, err = client.Do(req)
	if res != nil {
		_ = res.Body.Close()
	}
	require.ErrorIs(t, err, egress.ErrDenied)
}
