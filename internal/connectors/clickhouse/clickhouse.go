// Package clickhouse is the ClickHouse connector: connection test, catalog and read-only
// queries through clickhouse-go, over the native protocol (default) or HTTP, dialing through
// the Env's Dialer.
//
// Dialing: clickhouse-go's DialContext option is set to a function that dials through the
// Env's Dialer, so the egress policy sees every connection (for HTTP too: the driver's
// transport uses the same function, and its proxy-from-environment is switched off, which
// would otherwise send connections to a host the policy never saw). The driver skips its own
// TLS when DialContext is set, so for the native protocol with TLS the function also does the
// TLS handshake, verifying the certificate against the system's CAs and the host name; for
// HTTPS the transport does it. Every connection is closed when the call that opened it ends,
// so a server that stops answering mid-handshake cannot hold a call past its deadline.
//
// Read-only: every statement is sent with the settings readonly=1 (the server refuses
// INSERT, ALTER, CREATE, DROP, SET, OPTIMIZE, SYSTEM… and any change of settings inside the
// statement) and max_execution_time=30 (the server stops the statement). Query adds
// max_result_rows=limit+1 with result_overflow_mode='break', so the server stops producing rows
// past the cap; the client keeps the first limit rows and flags truncation. The server parses
// one statement per query ("SELECT 1; SELECT 2" is refused as multi-statement).
//
// Limits, honestly: a user whose profile already has readonly=1 may not send any setting, not
// even readonly itself; the server then answers "Cannot modify '…' setting in readonly mode"
// (code 164), which proves the profile is read-only, and the call is retried once without
// settings: still read-only (by the profile), bounded by the client's deadline instead of
// max_execution_time, capped by the client only. No other error is retried. Table functions
// that read from elsewhere (url, s3, remote…) are allowed by readonly=1: the reading is done by
// the user's server, not by Datanika.
package clickhouse

import (
	"context"
	"crypto/tls"
	"database/sql"
	_ "embed" // the config schema
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/datanika/datanika/internal/connectors"
)

//go:embed schema.json
var schema []byte

// Type is the "clickhouse" connection type.
func Type() connectors.Type {
	return connectors.Type{
		Name:         "clickhouse",
		Label:        "ClickHouse",
		Capabilities: connectors.Capabilities{Destination: true, SQL: true, TransformTarget: true},
		ConfigSchema: schema,
		Open: func(config map[string]any, env connectors.Env) (connectors.Connector, error) {
			return New(config, env)
		},
	}
}

// Config is the decoded config of a clickhouse connection.
type Config struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
	Secure   bool   `json:"secure"`
	Database string `json:"database"`
	User     string `json:"user"`
	Password string `json:"password"`
}

// Connector talks to one ClickHouse server. It holds no connection between calls.
type Connector struct {
	cfg              Config
	dialer           connectors.Dialer
	secrets          []string
	statementTimeout time.Duration
	// tlsConfig is nil outside tests, which use it to trust a certificate of their own.
	tlsConfig *tls.Config
}

var (
	_ connectors.Connector = (*Connector)(nil)
	_ connectors.Cataloger = (*Connector)(nil)
	_ connectors.Querier   = (*Connector)(nil)
)

// New makes a connector from a config that passed the type's schema.
func New(config map[string]any, env connectors.Env) (*Connector, error) {
	cfg, err := connectors.DecodeConfig("clickhouse", config,
		Config{Protocol: "native", Secure: true, Database: "default", User: "default"})
	if err != nil {
		return nil, err
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultPort(cfg.Protocol, cfg.Secure)
	}
	return &Connector{cfg: cfg, dialer: env.DialerOrDefault(), secrets: connectors.SecretValues(schema, config),
		statementTimeout: connectors.StatementTimeout}, nil
}

// DefaultPort is ClickHouse's port for a protocol, with or without TLS.
func DefaultPort(protocol string, secure bool) int {
	switch {
	case protocol == "http" && secure:
		return 8443
	case protocol == "http":
		return 8123
	case secure:
		return 9440
	default:
		return 9000
	}
}

// testSQL is the statement of a connection test.
const testSQL = "SELECT 1"

// sessionSettings go with every statement.
func (c *Connector) sessionSettings() ch.Settings {
	return ch.Settings{
		"readonly":           1,
		"max_execution_time": int(c.statementTimeout.Seconds()),
	}
}

// querySettings go with the statement of Query: the session's, and the row cap.
func (c *Connector) querySettings(limit int) ch.Settings {
	s := c.sessionSettings()
	s["max_result_rows"] = limit + 1
	s["result_overflow_mode"] = "break"
	return s
}

func (c *Connector) tls() *tls.Config {
	if !c.cfg.Secure {
		return nil
	}
	if c.tlsConfig != nil {
		return c.tlsConfig.Clone()
	}
	return &tls.Config{ServerName: c.cfg.Host, MinVersion: tls.VersionTLS12}
}

// options builds the driver's options; dial is the function every connection is made with.
func (c *Connector) options(dial func(ctx context.Context, addr string) (net.Conn, error)) *ch.Options {
	protocol := ch.Native
	if c.cfg.Protocol == "http" {
		protocol = ch.HTTP
	}
	return &ch.Options{
		Protocol: protocol,
		Addr:     []string{net.JoinHostPort(c.cfg.Host, strconv.Itoa(c.cfg.Port))},
		Auth:     ch.Auth{Database: c.cfg.Database, Username: c.cfg.User, Password: c.cfg.Password},
		// For HTTP the transport does TLS over the dialed connection when this is set; for
		// the native protocol dial does it.
		TLS:         c.tls(),
		DialContext: dial,
		DialTimeout: connectors.TestTimeout,
		// Per read: a statement sends progress while it runs, and ends by max_execution_time.
		ReadTimeout:     connectors.TestTimeout + c.statementTimeout,
		MaxOpenConns:    1,
		MaxIdleConns:    1,
		ConnMaxLifetime: connectors.TestTimeout + c.statementTimeout,
		ClientInfo: ch.ClientInfo{Products: []struct {
			Name    string
			Version string
		}{{Name: "datanika", Version: ""}}},
		TransportFunc: func(t *http.Transport) (http.RoundTripper, error) {
			t.Proxy = nil // a proxy from the environment would be dialed instead of the host
			return t, nil
		},
	}
}

// dialFunc returns the dial function of one call: through the Env's Dialer, TLS for the
// native protocol, and every connection closed when opCtx ends.
func (c *Connector) dialFunc(opCtx context.Context) func(ctx context.Context, addr string) (net.Conn, error) {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		conn, err := c.dialer.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		context.AfterFunc(opCtx, func() { _ = conn.Close() })
		if c.cfg.Protocol == "http" || !c.cfg.Secure {
			return conn, nil
		}
		tc := tls.Client(conn, c.tls())
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, err
		}
		return tc, nil
	}
}

// run opens a client for one call and hands fn a context carrying settings. The context has
// no deadline of its own (clickhouse-go would turn one into a max_execution_time of its
// choosing) but ends with ctx. A profile that is already read-only refuses any setting: then
// fn runs once more without settings (see the package comment).
func (c *Connector) run(ctx context.Context, settings ch.Settings, fn func(ctx context.Context, conn driver.Conn) error) error {
	err := c.attempt(ctx, settings, fn)
	if settings != nil && readOnlyProfile(err) {
		err = c.attempt(ctx, nil, fn)
	}
	return err
}

func (c *Connector) attempt(ctx context.Context, settings ch.Settings, fn func(ctx context.Context, conn driver.Conn) error) error {
	opCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	conn, err := ch.Open(c.options(c.dialFunc(opCtx)))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	qctx, qcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer qcancel()
	stop := context.AfterFunc(ctx, qcancel)
	defer stop()
	if settings != nil {
		qctx = ch.Context(qctx, ch.WithSettings(settings))
	}
	err = fn(qctx, conn)
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w: %v", ctx.Err(), err) //nolint:errorlint // the cause is the context's
	}
	return err
}

// readOnlyProfile tells the server's answer to a setting sent by a user whose profile is
// already read-only (code 164, READONLY) from every other error, a refused write included
// ("Cannot execute query in readonly mode"), which must never be retried.
func readOnlyProfile(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "164") && strings.Contains(msg, "setting in readonly mode")
}

// Test connects and runs SELECT 1 with the session settings.
func (c *Connector) Test(ctx context.Context) connectors.Result {
	return connectors.Probe(ctx, c.secrets, func(ctx context.Context) error {
		return c.run(ctx, c.sessionSettings(), func(ctx context.Context, conn driver.Conn) error {
			var one uint8
			return conn.QueryRow(ctx, testSQL).Scan(&one)
		})
	})
}

// OpenDB gives the load engine (internal/load/sqlgen) a database/sql pool of at most one
// connection with the connector's dialing, TLS and credentials, but none of its read-only
// settings: a load creates tables and inserts. Its connections close when ctx ends; reads may
// wait as long as loadReadTimeout, since an INSERT … SELECT of a big table answers at its end.
func (c *Connector) OpenDB(ctx context.Context) *sql.DB {
	opts := c.options(c.dialFunc(ctx))
	opts.ReadTimeout = loadReadTimeout
	opts.ConnMaxLifetime = 0
	return ch.OpenDB(opts)
}

// loadReadTimeout bounds one read of a load's statement.
const loadReadTimeout = time.Hour
