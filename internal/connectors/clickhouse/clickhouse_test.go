package clickhouse

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/ch-go/proto"
	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/connectorstest"
	"github.com/datanika/datanika/internal/egress"
	"github.com/datanika/datanika/internal/testutil"
)

func valid() map[string]any {
	return map[string]any{"host": "ch.example.com", "port": 9440, "protocol": "native", "secure": true,
		"database": "default", "user": "default", "password": "pw"}
}

func newConnector(t *testing.T, conf map[string]any, env connectors.Env) *Connector {
	t.Helper()
	require.Empty(t, connectorstest.Registry(t, Type()).Validate("clickhouse", conf))
	c, err := New(conf, env)
	require.NoError(t, err)
	return c
}

func TestClickHouse_IsOffered(t *testing.T) {
	t.Parallel()
	r := connectorstest.Registry(t, Type())
	require.Len(t, r.Offered(), 1)
	c, err := r.Open("clickhouse", valid(), connectors.Env{})
	require.NoError(t, err)
	require.Implements(t, (*connectors.Cataloger)(nil), c)
	require.Implements(t, (*connectors.Querier)(nil), c)
}

func TestClickHouseConfig_ValidatesWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	connectorstest.RequireValid(t, typ, valid())
	connectorstest.RequireValid(t, typ, map[string]any{"host": "10.0.0.1"})
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "host", connectorstest.Remove), "config.host")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "protocol", "grpc"), "config.protocol")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "secure", "true"), "config.secure")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "port", 70000), "config.port")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "port", "9440"), "config.port")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "password", 123), "config.password")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "database", "a\nb"), "config.database")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "user", "u\x00"), "config.user")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "settings", map[string]any{"readonly": 0}), "config.settings")
	for _, h := range connectorstest.HostileHosts {
		connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "host", h), "config.host")
	}
}

func TestClickHouseConfig_MasksThePassword(t *testing.T) {
	t.Parallel()
	connectorstest.RequireMasked(t, Type(), valid(), []string{"password"})
}

func TestClickHouse_PortDefaultsToTheProtocols(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		protocol string
		secure   bool
		port     int
	}{{"native", true, 9440}, {"native", false, 9000}, {"http", true, 8443}, {"http", false, 8123}} {
		c := newConnector(t, map[string]any{"host": "h", "protocol": tc.protocol, "secure": tc.secure}, connectors.Env{})
		require.Equal(t, tc.port, c.cfg.Port, "%s secure=%t", tc.protocol, tc.secure)
	}
	c := newConnector(t, map[string]any{"host": "h"}, connectors.Env{})
	require.Equal(t, Config{Host: "h", Port: 9440, Protocol: "native", Secure: true, Database: "default", User: "default"}, c.cfg)
}

func describeSettings(s ch.Settings) string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, s[k]))
	}
	return strings.Join(parts, " ")
}

// describeOptions renders the driver options, the password replaced by whether it is set.
func describeOptions(o *ch.Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "protocol=%s addr=%v database=%s user=%s password_set=%t\n", o.Protocol, o.Addr, o.Auth.Database,
		o.Auth.Username, o.Auth.Password != "")
	if o.TLS == nil {
		b.WriteString("tls=none\n")
	} else {
		fmt.Fprintf(&b, "tls server_name=%s insecure_skip_verify=%t min_version=%x\n", o.TLS.ServerName, o.TLS.InsecureSkipVerify, o.TLS.MinVersion)
	}
	fmt.Fprintf(&b, "dial_context_set=%t dial_timeout=%s read_timeout=%s max_open_conns=%d max_idle_conns=%d\n",
		o.DialContext != nil, o.DialTimeout, o.ReadTimeout, o.MaxOpenConns, o.MaxIdleConns)
	fmt.Fprintf(&b, "client_info=%v connection_settings=[%s] compression=%v http_proxy=%v\n", o.ClientInfo.Products,
		describeSettings(o.Settings), o.Compression, o.HTTPProxyURL)
	rt, err := o.TransportFunc(&http.Transport{Proxy: http.ProxyFromEnvironment})
	if err == nil {
		fmt.Fprintf(&b, "transport_proxy_from_environment=%t\n", rt.(*http.Transport).Proxy != nil)
	}
	return b.String()
}

// TestClickHouse_SendsTheGoldenOptionsSettingsAndStatements pins what the connector sends:
// the driver options per protocol, the settings of every statement and of Query, and the SQL.
func TestClickHouse_SendsTheGoldenOptionsSettingsAndStatements(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for _, tc := range []struct {
		protocol string
		secure   bool
	}{{"native", true}, {"native", false}, {"http", true}, {"http", false}} {
		conf := connectorstest.With(valid(), "protocol", tc.protocol)
		conf["secure"] = tc.secure
		delete(conf, "port")
		conf["password"] = "Secret-Pa55"
		c := newConnector(t, conf, connectors.Env{})
		o := c.options(c.dialFunc(context.Background()))
		require.Equal(t, "Secret-Pa55", o.Auth.Password)
		fmt.Fprintf(&b, "## options: protocol=%s secure=%t\n%s\n", tc.protocol, tc.secure, describeOptions(o))
	}
	c := newConnector(t, valid(), connectors.Env{})
	fmt.Fprintf(&b, "## settings of every statement\n%s\n\n", describeSettings(c.sessionSettings()))
	fmt.Fprintf(&b, "## settings of Query with limit 1000\n%s\n\n", describeSettings(c.querySettings(1000)))
	fmt.Fprintf(&b, "## test\n%s;\n\n## catalog: schemas\n%s;\n\n## catalog: columns\n%s;\n", testSQL, schemasSQL, columnsSQL)
	out := b.String()
	require.NotContains(t, out, "Secret-Pa55")
	testutil.Golden(t, "testdata/sent.golden", out)
}

// fakeNative speaks just enough of ClickHouse's native protocol to read the client's hello
// and refuse it with an exception quoting the password — a hostile server, to prove messages
// are scrubbed. With cert set it speaks TLS.
func fakeNative(t *testing.T, cert *tls.Certificate) (port int, received <-chan proto.ClientHello) {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	if cert != nil {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12})
	}
	t.Cleanup(func() { _ = ln.Close() })
	got := make(chan proto.ClientHello, 10)
	serve := func(conn net.Conn) {
		defer func() { _ = conn.Close() }()
		r := proto.NewReader(conn)
		code, err := r.UVarInt()
		if err != nil || proto.ClientCode(code) != proto.ClientCodeHello {
			return
		}
		var hello proto.ClientHello
		if hello.Decode(r) != nil {
			return
		}
		got <- hello
		var b proto.Buffer
		b.PutUVarInt(uint64(proto.ServerCodeException))
		exc := proto.Exception{Code: 516, Name: "DB::Exception",
			Message: hello.User + ": Authentication failed: password " + hello.Password + " is incorrect"}
		exc.EncodeAware(&b, 0)
		_, _ = conn.Write(b.Buf)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.Copy(io.Discard, conn)
	}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(conn)
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, got
}

func receive[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		require.FailNow(t, "the server received nothing")
		panic("unreachable")
	}
}

func TestClickHouse_NativeWrongPasswordAnswersNotOKWithoutThePassword(t *testing.T) {
	t.Parallel()
	port, received := fakeNative(t, nil)
	const password = "Wr0ng-Pa55word!"
	conf := map[string]any{"host": "127.0.0.1", "port": port, "secure": false, "user": "reader", "password": password, "database": "sales"}
	dialer := &connectorstest.CountingDialer{}
	res := newConnector(t, conf, connectors.Env{Dialer: dialer}).Test(context.Background())
	require.False(t, res.OK)
	hello := receive(t, received)
	require.Equal(t, password, hello.Password, "the password really went to the server")
	require.Equal(t, "reader", hello.User)
	require.Equal(t, "sales", hello.Database)
	require.Positive(t, dialer.Dials(), "every dial goes through the Env's Dialer")
	require.Contains(t, res.Message, "Authentication failed")
	require.NotContains(t, res.Message, password)
}

func TestClickHouse_NativeTLSIsVerifiedAndCarriesTheLogin(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.NotFoundHandler()) // only for its self-signed certificate
	t.Cleanup(srv.Close)
	cert := srv.TLS.Certificates[0]
	port, received := fakeNative(t, &cert)
	const password = "TLS-Pa55word!"
	conf := map[string]any{"host": "127.0.0.1", "port": port, "secure": true, "password": password}

	// Unknown authority: the handshake fails, nothing is sent.
	res := newConnector(t, conf, connectors.Env{}).Test(context.Background())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "certificate")
	require.Empty(t, received)

	// Trusted: the hello travels inside TLS.
	c := newConnector(t, conf, connectors.Env{})
	c.tlsConfig = &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs,
		ServerName: "example.com", MinVersion: tls.VersionTLS12}
	res = c.Test(context.Background())
	require.False(t, res.OK)
	require.Equal(t, password, receive(t, received).Password)
	require.NotContains(t, res.Message, password)
}

// TestClickHouse_HTTPSendsTheSettingsAndScrubsTheAnswer runs the HTTP protocol, with a proxy in
// the environment that must be ignored, against a server that refuses the login quoting the
// password.
func TestClickHouse_HTTPSendsTheSettingsAndScrubsTheAnswer(t *testing.T) {
	// Not parallel: it sets HTTP_PROXY, which must be ignored.
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	const password = "Http-Pa55word!"
	type request struct {
		query, body string
		password    bool
	}
	got := make(chan request, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, pw, _ := r.BasicAuth()
		got <- request{query: r.URL.RawQuery, body: string(body), password: pw == password}
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = fmt.Fprintf(w, "Code: 516. DB::Exception: reader: Authentication failed: password %s is incorrect. (AUTHENTICATION_FAILED)", pw)
	}))
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	conf := map[string]any{"host": "127.0.0.1", "port": port, "protocol": "http", "secure": false, "user": "reader", "password": password}
	dialer := &connectorstest.CountingDialer{}
	res := newConnector(t, conf, connectors.Env{Dialer: dialer}).Test(context.Background())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "Authentication failed")
	require.NotContains(t, res.Message, password)
	require.Positive(t, dialer.Dials())
	req := receive(t, got)
	require.True(t, req.password, "the password really went to the server")
	require.Contains(t, req.query, "readonly=1", "even the driver's hello goes read-only")
}

func TestClickHouse_ClosedPortAnswersNotOKAtOnce(t *testing.T) {
	t.Parallel()
	conf := map[string]any{"host": "127.0.0.1", "port": connectorstest.ClosedPort(t), "secure": false, "password": "pw-closed"}
	connectorstest.RequireClosedPortFails(t, newConnector(t, conf, connectors.Env{}), "pw-closed")
}

func TestClickHouse_UnreachableHostAnswersWithinTheTimeout(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		conf   map[string]any
		dialer connectors.Dialer
	}{
		"dial that hangs":      {conf: map[string]any{"host": "ch.example.com"}, dialer: connectorstest.HangingDialer{}},
		"silent native server": {conf: map[string]any{"host": "127.0.0.1", "port": connectorstest.SilentServer(t), "secure": false}},
		"silent TLS server":    {conf: map[string]any{"host": "127.0.0.1", "port": connectorstest.SilentServer(t)}},
		"silent HTTP server":   {conf: map[string]any{"host": "127.0.0.1", "port": connectorstest.SilentServer(t), "protocol": "http", "secure": false}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tc.conf["password"] = "pw-unreachable"
			connectorstest.RequireUnreachableFails(t, newConnector(t, tc.conf, connectors.Env{Dialer: tc.dialer}), 2500*time.Millisecond, "pw-unreachable")
		})
	}
}

func TestClickHouse_EgressPolicyDeniesLoopbackAtDialTime(t *testing.T) {
	t.Parallel()
	strict, err := egress.New(false, "")
	require.NoError(t, err)
	port, received := fakeNative(t, nil)
	conf := map[string]any{"host": "127.0.0.1", "port": port, "secure": false, "password": "pw"}
	res := newConnector(t, conf, connectors.Env{Dialer: strict.Dialer(connectors.TestTimeout)}).Test(context.Background())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "denied")
	require.Empty(t, received, "nothing reached the server")
}

func TestClickHouse_OnlyASettingRefusedByAReadOnlyProfileIsRetried(t *testing.T) {
	t.Parallel()
	require.True(t, readOnlyProfile(errors.New("code: 164, message: Cannot modify 'readonly' setting in readonly mode")))
	require.True(t, readOnlyProfile(errors.New("[HTTP 500] Code: 164. DB::Exception: Cannot modify 'max_execution_time' setting in readonly mode. (READONLY)")))
	require.False(t, readOnlyProfile(errors.New("code: 164, message: default: Cannot execute query in readonly mode. For queries over HTTP, method GET implies readonly")),
		"a refused write is never retried without settings")
	require.False(t, readOnlyProfile(nil))
}

func TestClickHouse_ValuesBecomeJSONFriendly(t *testing.T) {
	t.Parallel()
	s := "x"
	var nilString *string
	day := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in     any
		dbType string
		want   any
	}{
		{&s, "Nullable(String)", "x"},
		{nilString, "Nullable(String)", nil},
		{day, "Date", "2026-03-04"},
		{&day, "Nullable(Date32)", "2026-03-04"},
		{day, "DateTime", "2026-03-04T00:00:00Z"},
		{[]string{"a", "b"}, "Array(String)", []any{"a", "b"}},
		{[]*int64{nil}, "Array(Nullable(Int64))", []any{nil}},
		{map[string]uint64{"k": 1}, "Map(String, UInt64)", map[string]any{"k": uint64(1)}},
		{net.ParseIP("10.0.0.1").To4(), "IPv4", "10.0.0.1"},
		{uint64(18446744073709551615), "UInt64", uint64(18446744073709551615)},
	} {
		require.Equal(t, tc.want, jsonValue(reflect.ValueOf(tc.in), tc.dbType), "%s", tc.dbType)
	}
}
