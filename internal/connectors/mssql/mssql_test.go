package mssql

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/microsoft/go-mssqldb/msdsn"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/connectorstest"
	"github.com/datanika/datanika/internal/egress"
	"github.com/datanika/datanika/internal/testutil"
)

func valid() map[string]any {
	return map[string]any{"host": "sql.example.com", "port": 1433, "database": "app", "user": "sa",
		"password": "pw", "encrypt": "strict", "schema": "dbo"}
}

func newConnector(t *testing.T, conf map[string]any, env connectors.Env) *Connector {
	t.Helper()
	require.Empty(t, connectorstest.Registry(t, Type()).Validate("mssql", conf))
	c, err := New(conf, env)
	require.NoError(t, err)
	return c
}

func TestMSSQL_IsOffered(t *testing.T) {
	t.Parallel()
	r := connectorstest.Registry(t, Type())
	require.Len(t, r.Offered(), 1)
	c, err := r.Open("mssql", valid(), connectors.Env{})
	require.NoError(t, err)
	require.Implements(t, (*connectors.Cataloger)(nil), c)
	require.Implements(t, (*connectors.Querier)(nil), c)
}

func TestMSSQLConfig_ValidatesWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	connectorstest.RequireValid(t, typ, valid())
	connectorstest.RequireValid(t, typ, map[string]any{"host": "10.0.0.1", "database": "d", "user": "u"})
	for _, field := range []string{"host", "database", "user"} {
		connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), field, connectorstest.Remove), "config."+field)
	}
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "port", 70000), "config.port")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "port", "1433"), "config.port")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "password", 123), "config.password")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "encrypt", "maybe"), "config.encrypt")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "trust_server_certificate", "yes"), "config.trust_server_certificate")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "database", "app;encrypt=disable"+"\x00"), "config.database")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "user", "sa\r\n"), "config.user")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "connection_string", "server=x"), "config.connection_string")
	for _, h := range connectorstest.HostileHosts {
		connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "host", h), "config.host")
	}
}

func TestMSSQLConfig_MasksThePassword(t *testing.T) {
	t.Parallel()
	connectorstest.RequireMasked(t, Type(), valid(), []string{"password"})
}

// describeDriverConfig renders the driver config, the password replaced by whether it is set.
func describeDriverConfig(p msdsn.Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "host=%s port=%d database=%s user=%s password_set=%t instance=%q\n", p.Host, p.Port, p.Database, p.User,
		p.Password != "", p.Instance)
	fmt.Fprintf(&b, "encryption=%d trust_server_certificate=%t\n", p.Encryption, p.TrustServerCertificate)
	if p.TLSConfig == nil {
		b.WriteString("tls=none\n")
	} else {
		fmt.Fprintf(&b, "tls server_name=%s insecure_skip_verify=%t min_version=%x root_cas_set=%t client_certs=%d\n",
			p.TLSConfig.ServerName, p.TLSConfig.InsecureSkipVerify, p.TLSConfig.MinVersion, p.TLSConfig.RootCAs != nil,
			len(p.TLSConfig.Certificates))
	}
	fmt.Fprintf(&b, "protocols=%v app_name=%s workstation=%s read_only_intent=%t dial_timeout=%s conn_timeout=%s\n",
		p.Protocols, p.AppName, p.Workstation, p.ReadOnlyIntent, p.DialTimeout, p.ConnTimeout)
	fmt.Fprintf(&b, "disable_retry=%t multi_subnet_failover=%t column_encryption=%t epa=%t guid_conversion=%t timezone=%s parameters=%v\n",
		p.DisableRetry, p.MultiSubnetFailover, p.ColumnEncryption, p.EpaEnabled, p.Encoding.GuidConversion,
		p.Encoding.GetTimezone(), p.Parameters)
	return b.String()
}

// TestMSSQL_SendsTheGoldenConfigAndStatements pins what the connector sends: the driver config
// per encryption mode and every statement besides the user's.
func TestMSSQL_SendsTheGoldenConfigAndStatements(t *testing.T) {
	// Not parallel: it sets an environment variable the driver's DSN parser would read.
	t.Setenv("MSSQL_USE_EPA", "true")
	var b strings.Builder
	for _, tc := range []struct {
		encrypt string
		trust   bool
	}{{"disable", false}, {"false", false}, {"true", false}, {"true", true}, {"strict", false}, {"strict", true}} {
		conf := connectorstest.With(valid(), "encrypt", tc.encrypt)
		conf["trust_server_certificate"] = tc.trust
		conf["password"] = "Secret-Pa55"
		p, err := newConnector(t, conf, connectors.Env{}).driverConfig()
		require.NoError(t, err)
		require.Equal(t, "Secret-Pa55", p.Password)
		fmt.Fprintf(&b, "## driver config: encrypt=%s trust_server_certificate=%t\n%s\n", tc.encrypt, tc.trust, describeDriverConfig(p))
	}
	c := newConnector(t, valid(), connectors.Env{})
	section := func(name, sql string) { fmt.Fprintf(&b, "-- %s\n%s\n\n", name, sql) }
	section("test", testSQL)
	section("query: session, limit 1000", c.sessionSQL(1000))
	section("query: read-only check, before the statement (its plan must be one SELECT)", showplanOnSQL)
	section("query: read-only check, after", showplanOffSQL)
	section("query: then the statement runs in BEGIN TRANSACTION … ROLLBACK", "")
	section("catalog: schemas", schemasSQL)
	section("catalog: columns", columnsSQL)
	out := b.String()
	require.NotContains(t, out, "Secret-Pa55")
	testutil.Golden(t, "testdata/sent.golden", out)
}

func TestMSSQL_ReadOnlyCheckAcceptsOnlyOneSelectAsTheServerReportsIt(t *testing.T) {
	t.Parallel()
	// Plans written after SQL Server's showplanxml schema (ShowPlanXML/BatchSequence/Batch/
	// Statements/Stmt*), trimmed to what the check reads.
	cases := []struct {
		file string
		want []string
		ok   bool
	}{
		{"select.xml", []string{"SELECT"}, true},
		{"select_with_udf.xml", []string{"SELECT"}, true},
		{"select_without_query.xml", []string{"SELECT WITHOUT QUERY"}, true},
		{"select_into.xml", []string{"SELECT INTO"}, false},
		{"select_then_delete.xml", []string{"SELECT", "DELETE"}, false},
		{"insert_output.xml", []string{"INSERT"}, false},
		{"if_then_update.xml", []string{"COND"}, false},
		{"exec_proc.xml", []string{"EXECUTE PROC"}, false},
		{"commit.xml", []string{"COMMIT TRANSACTION"}, false},
	}
	for _, tc := range cases {
		raw, err := os.ReadFile(filepath.Join("testdata", "plans", tc.file))
		require.NoError(t, err)
		types, err := statementTypes([]string{string(raw)})
		require.NoError(t, err, tc.file)
		require.Equal(t, tc.want, types, tc.file)
		require.Equal(t, tc.ok, len(types) == 1 && isSelect(types[0]), tc.file)
	}
	types, err := statementTypes(nil)
	require.NoError(t, err)
	require.Empty(t, types, "no plan (SET SHOWPLAN_XML OFF as the text) is not a SELECT")
	_, err = statementTypes([]string{"<ShowPlanXML><BatchSequence"})
	require.Error(t, err)
	require.Equal(t, "2 statements (SELECT, DELETE)", describeTypes([]string{"SELECT", "DELETE"}))
}

func TestMSSQL_ValuesBecomeJSONFriendly(t *testing.T) {
	t.Parallel()
	day := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	require.Equal(t, "12345678901234567890.123", jsonValue([]byte("12345678901234567890.123"), "DECIMAL"))
	require.Equal(t, "12.3400", jsonValue([]byte("12.3400"), "MONEY"))
	require.Equal(t, "6F9619FF-8B86-D011-B42D-00C04FC964FF",
		jsonValue([]byte{0x6F, 0x96, 0x19, 0xFF, 0x8B, 0x86, 0xD0, 0x11, 0xB4, 0x2D, 0x00, 0xC0, 0x4F, 0xC9, 0x64, 0xFF}, "UNIQUEIDENTIFIER"))
	require.Equal(t, "AAEC", jsonValue([]byte{0, 1, 2}, "VARBINARY"))
	require.Equal(t, "2026-03-04", jsonValue(day, "DATE"))
	require.Equal(t, "2026-03-04T00:00:00Z", jsonValue(day, "DATETIME2"))
	require.Equal(t, int64(7), jsonValue(int64(7), "INT"))
	require.Nil(t, jsonValue(nil, "NVARCHAR"))
}

// tdsServer speaks just enough of TDS to answer the pre-login without encryption, read the
// login with its password, and refuse it quoting the password — a hostile server, to prove the
// message is scrubbed.
func tdsServer(t *testing.T) (port int, received <-chan string) {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	got := make(chan string, 10)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serveTDS(conn, got)
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, got
}

func readTDS(r io.Reader) (typ byte, payload []byte, err error) {
	for {
		hdr := make([]byte, 8)
		if _, err := io.ReadFull(r, hdr); err != nil {
			return 0, nil, err
		}
		body := make([]byte, int(binary.BigEndian.Uint16(hdr[2:4]))-8)
		if _, err := io.ReadFull(r, body); err != nil {
			return 0, nil, err
		}
		typ = hdr[0]
		payload = append(payload, body...)
		if hdr[1]&0x01 != 0 {
			return typ, payload, nil
		}
	}
}

func writeTDS(w io.Writer, typ byte, payload []byte) error {
	hdr := []byte{typ, 0x01, 0, 0, 0, 0, 1, 0}
	binary.BigEndian.PutUint16(hdr[2:4], uint16(len(payload)+8)) //nolint:gosec // small test packets
	_, err := w.Write(append(hdr, payload...))
	return err
}

func ucs2(s string) []byte {
	var b bytes.Buffer
	for _, u := range utf16.Encode([]rune(s)) {
		_ = binary.Write(&b, binary.LittleEndian, u)
	}
	return b.Bytes()
}

func serveTDS(conn net.Conn, got chan<- string) {
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if typ, _, err := readTDS(conn); err != nil || typ != 0x12 {
		return
	}
	// VERSION (6 bytes) and ENCRYPTION = not supported, then the terminator.
	prelogin := []byte{0x00, 0, 11, 0, 6, 0x01, 0, 17, 0, 1, 0xFF, 16, 0, 0, 0, 0, 0, 0x02}
	if writeTDS(conn, 0x04, prelogin) != nil {
		return
	}
	typ, login, err := readTDS(conn)
	if err != nil || typ != 0x10 || len(login) < 48 {
		return
	}
	off, n := int(binary.LittleEndian.Uint16(login[44:46])), int(binary.LittleEndian.Uint16(login[46:48]))
	if off+2*n > len(login) {
		return
	}
	units := make([]uint16, n)
	for i := range units {
		lo, hi := login[off+2*i], login[off+2*i+1]
		// Each byte is XORed with 0xA5, then its nibbles were swapped.
		lo, hi = lo^0xA5, hi^0xA5
		units[i] = uint16(lo<<4|lo>>4) | uint16(hi<<4|hi>>4)<<8
	}
	password := string(utf16.Decode(units))
	got <- password

	msg := ucs2("Login failed for user 'sa'. Password '" + password + "' is wrong.")
	var tok bytes.Buffer
	_ = binary.Write(&tok, binary.LittleEndian, int32(18456))
	tok.Write([]byte{1, 14})
	_ = binary.Write(&tok, binary.LittleEndian, uint16(len(msg)/2)) //nolint:gosec // small
	tok.Write(msg)
	server := ucs2("fake")
	tok.WriteByte(byte(len(server) / 2))
	tok.Write(server)
	tok.WriteByte(0)
	_ = binary.Write(&tok, binary.LittleEndian, int32(1))
	var resp bytes.Buffer
	resp.WriteByte(0xAA)
	_ = binary.Write(&resp, binary.LittleEndian, uint16(tok.Len())) //nolint:gosec // small
	resp.Write(tok.Bytes())
	resp.Write([]byte{0xFD, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	_ = writeTDS(conn, 0x04, resp.Bytes())
	_, _ = io.Copy(io.Discard, conn)
}

func receive(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		require.FailNow(t, "the server received nothing")
		return ""
	}
}

// redirectDialer records the addresses it is asked for and dials another one: it proves the
// driver hands the host name over unresolved.
type redirectDialer struct {
	to    string
	mu    sync.Mutex
	addrs []string
}

func (d *redirectDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	var nd net.Dialer
	return nd.DialContext(ctx, network, d.to)
}

func TestMSSQL_WrongPasswordAnswersNotOKWithoutThePassword(t *testing.T) {
	t.Parallel()
	port, received := tdsServer(t)
	const password = "Wr0ng-Pa55word!"
	conf := map[string]any{"host": "sql.example.com", "database": "app", "user": "sa", "password": password, "encrypt": "false"}
	dialer := &redirectDialer{to: fmt.Sprintf("127.0.0.1:%d", port)}
	res := newConnector(t, conf, connectors.Env{Dialer: dialer}).Test(context.Background())
	require.False(t, res.OK)
	require.Equal(t, password, receive(t, received), "the password really went to the server")
	require.Contains(t, res.Message, "Login failed")
	require.NotContains(t, res.Message, password)
	require.Equal(t, []string{"sql.example.com:1433"}, dialer.addrs, "the Dialer gets the host name, unresolved")
}

func TestMSSQL_RequiredEncryptionRefusesAServerWithoutIt(t *testing.T) {
	t.Parallel()
	port, received := tdsServer(t)
	conf := map[string]any{"host": "127.0.0.1", "port": port, "database": "app", "user": "sa", "password": "never-sent"}
	res := newConnector(t, conf, connectors.Env{}).Test(context.Background())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "encryption")
	require.Empty(t, received, "no login travels to a server that will not encrypt")
}

func TestMSSQL_ClosedPortAnswersNotOKAtOnce(t *testing.T) {
	t.Parallel()
	conf := map[string]any{"host": "127.0.0.1", "port": connectorstest.ClosedPort(t), "database": "d", "user": "u", "password": "pw-closed"}
	connectorstest.RequireClosedPortFails(t, newConnector(t, conf, connectors.Env{}), "pw-closed")
}

func TestMSSQL_UnreachableHostAnswersWithinTheTimeout(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		host   string
		port   int
		dialer connectors.Dialer
	}{
		"dial that hangs":                  {host: "sql.example.com", port: 1433, dialer: connectorstest.HangingDialer{}},
		"silent server (pre-login unread)": {host: "127.0.0.1", port: connectorstest.SilentServer(t)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conf := map[string]any{"host": tc.host, "port": tc.port, "database": "d", "user": "u", "password": "pw-unreachable"}
			connectorstest.RequireUnreachableFails(t, newConnector(t, conf, connectors.Env{Dialer: tc.dialer}), 2500*time.Millisecond, "pw-unreachable")
		})
	}
}

func TestMSSQL_EgressPolicyDeniesLoopbackAtDialTime(t *testing.T) {
	t.Parallel()
	strict, err := egress.New(false, "")
	require.NoError(t, err)
	port, received := tdsServer(t)
	conf := map[string]any{"host": "127.0.0.1", "port": port, "database": "d", "user": "u", "password": "pw", "encrypt": "false"}
	res := newConnector(t, conf, connectors.Env{Dialer: strict.Dialer(connectors.TestTimeout)}).Test(context.Background())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "denied")
	require.Empty(t, received, "nothing reached the server")
}
