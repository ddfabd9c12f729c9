// Package snowflake is the Snowflake connector: connection test, catalog and read-only queries
// through gosnowflake, with every HTTP request (login, queries, result chunks) sent through an
// http.Transport that dials with the Env's Dialer, so the egress policy applies to all of them.
//
// How Query keeps to reading. Snowflake has no read-only transaction or session mode, and DDL
// commits on its own, so neither a rolled-back transaction nor string matching could refuse a
// write. Query therefore asks the server first: it sends the statement in describe-only mode
// (Snowflake compiles it without running it) and reads the statement type id the server
// answers (statementTypeTransport reads it from the response, as the driver keeps it to
// itself). Only the SELECT type (0x1000) is then run; every other type — DML (0x3xxx), DDL
// (0x6xxx), transactions (0x5xxx), ALTER SESSION, USE, SHOW and DESCRIBE (0x4xxx),
// multi-statement (0xAxxx) — is refused before anything runs, and a text the server cannot
// compile is refused with the server's error. The session also carries
// MULTI_STATEMENT_COUNT=1 (more than one statement is refused by the server),
// STATEMENT_TIMEOUT_IN_SECONDS (the server stops long statements) and ROWS_PER_RESULTSET =
// limit+1 (the server caps the rows it returns).
//
// Limits, honestly: a SELECT can still call functions with effects outside the database
// (external functions, some SYSTEM$ functions); the check relies on Snowflake not executing
// describe-only statements and on the type ids above, which only the live test
// (DATANIKA_TEST_SNOWFLAKE_*) checks against a real server — CALL in particular is refused
// only if Snowflake does not report it as a SELECT. Proxies from the environment
// (HTTPS_PROXY) are not used: they would dial around the egress policy. The complete
// guarantee is a role that can only read: give Datanika a role granted USAGE and SELECT only,
// and set it in the connection's "role".
//
// Its SDK is heavy (about a minute to compile): it belongs in this package alone, linked only
// by package builtin.
package snowflake

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	_ "embed" // the config schema
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	_ "github.com/datanika/datanika/internal/connectors/snowflake/driverenv" // before the driver initialises

	"github.com/datanika/datanika/internal/connectors"
)

//go:embed schema.json
var schema []byte

func init() {
	// The driver logs to stderr on its own, and its messages quote server errors, which may
	// quote what was sent: secrets must never reach logs, so its logging is off. Errors still
	// reach the caller, scrubbed.
	// Both: some of its calls go around the level switch.
	sfLogger := sf.GetLogger()
	_ = sfLogger.SetLogLevel("OFF")
	sfLogger.SetOutput(io.Discard)
	// Its platform probes and native library are switched off by package driverenv, which
	// must run before the driver's own initialisation.
}

// Type is the "snowflake" connection type.
func Type() connectors.Type {
	return connectors.Type{
		Name:         "snowflake",
		Label:        "Snowflake",
		Capabilities: connectors.Capabilities{Source: true, Destination: true, SQL: true, TransformTarget: true},
		ConfigSchema: schema,
		Open: func(config map[string]any, env connectors.Env) (connectors.Connector, error) {
			return New(config, env)
		},
	}
}

// Config is the decoded config of a snowflake connection.
type Config struct {
	Account       string `json:"account"`
	User          string `json:"user"`
	Authenticator string `json:"authenticator"`
	Password      string `json:"password"`
	PrivateKey    string `json:"private_key"`
	Warehouse     string `json:"warehouse"`
	Database      string `json:"database"`
	Schema        string `json:"schema"`
	Role          string `json:"role"`
}

// Connector talks to one Snowflake account. It holds no connection between calls.
type Connector struct {
	cfg              Config
	dialer           connectors.Dialer
	secrets          []string
	statementTimeout time.Duration
	// server replaces https://<account>.snowflakecomputing.com in tests (scheme, host, port).
	server *endpoint
}

type endpoint struct {
	protocol string
	host     string
	port     int
}

var (
	_ connectors.Connector = (*Connector)(nil)
	_ connectors.Cataloger = (*Connector)(nil)
	_ connectors.Querier   = (*Connector)(nil)
)

// New makes a connector from a config that passed the type's schema.
func New(config map[string]any, env connectors.Env) (*Connector, error) {
	cfg, err := connectors.DecodeConfig("snowflake", config, Config{Authenticator: "password"})
	if err != nil {
		return nil, err
	}
	return &Connector{cfg: cfg, dialer: env.DialerOrDefault(), secrets: connectors.SecretValues(schema, config),
		statementTimeout: connectors.StatementTimeout}, nil
}

// session holds the session parameters a call needs beyond the defaults.
type session struct {
	// rowsPerResultSet caps the rows the server returns (0: no cap).
	rowsPerResultSet int
	// load is the load engine's session: no statement timeout (COPY and MERGE of a big table
	// run long; the run's context bounds them).
	load bool
}

// driverConfig builds gosnowflake's Config from our fields only: nothing is read from a DSN,
// a connections.toml or the environment, and no authenticator but password or key pair can
// be chosen, so a user's config cannot make the server open a browser, read a token file or
// call an identity provider.
func (c *Connector) driverConfig(s session) (*sf.Config, error) {
	timeout := strconv.Itoa(int(c.statementTimeout.Seconds()))
	params := map[string]*string{
		"STATEMENT_TIMEOUT_IN_SECONDS": &timeout,
		"MULTI_STATEMENT_COUNT":        ptr("1"),
		"QUERY_TAG":                    ptr("datanika"),
		"TIMEZONE":                     ptr("UTC"),
	}
	if s.load {
		delete(params, "STATEMENT_TIMEOUT_IN_SECONDS")
	}
	if s.rowsPerResultSet > 0 {
		params["ROWS_PER_RESULTSET"] = ptr(strconv.Itoa(s.rowsPerResultSet))
	}
	cfg := &sf.Config{
		Account:     c.cfg.Account,
		User:        c.cfg.User,
		Database:    c.cfg.Database,
		Schema:      c.cfg.Schema,
		Warehouse:   c.cfg.Warehouse,
		Role:        c.cfg.Role,
		Params:      params,
		Application: "datanika",
		// Every request goes through this transport, which dials with the Env's Dialer. A
		// custom transport also means the driver does its own TLS verification (system roots,
		// host name) without its OCSP or CRL fetches, which would dial outside the policy.
		Transporter: newTransport(c.dialer),
		// The caller's context bounds login and statements (the driver's own timeouts are
		// deprecated settings and stay at their defaults); one retry at most within it.
		MaxRetryCount: 1,
		// Datanika connects anew for every call: the driver's defaults keep no session alive
		// after Close and cache no token on Linux; the query context cache is off too.
		DisableQueryContextCache: true,
		DisableConsoleLogin:      sf.ConfigBoolTrue,
		// The warehouse, database, schema and role named in the config must exist and be
		// usable: the login fails at once rather than at the first query.
		ValidateDefaultParameters: sf.ConfigBoolTrue,
	}
	switch c.cfg.Authenticator {
	case "key_pair":
		key, err := parsePrivateKey(c.cfg.PrivateKey)
		if err != nil {
			return nil, err
		}
		cfg.Authenticator = sf.AuthTypeJwt
		cfg.PrivateKey = key
	default:
		cfg.Authenticator = sf.AuthTypeSnowflake
		cfg.Password = c.cfg.Password
	}
	if c.server != nil {
		cfg.Protocol, cfg.Host, cfg.Port = c.server.protocol, c.server.host, c.server.port
	}
	return cfg, nil
}

func ptr(s string) *string { return &s }

// parsePrivateKey reads an unencrypted RSA key in PKCS#8 (or PKCS#1) PEM, the form Snowflake
// key-pair authentication uses. Its messages never quote the key.
func parsePrivateKey(text string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, errors.New("private key: not a PEM block")
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" || block.Headers["Proc-Type"] != "" {
		return nil, errors.New("private key: passphrase-protected keys are not supported, use an unencrypted PKCS#8 key")
	}
	if key, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		rsaKey, ok := key.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("private key: Snowflake key-pair authentication needs an RSA key")
		}
		return rsaKey, nil
	}
	if key, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return key, nil
	}
	return nil, errors.New("private key: not an RSA key in PKCS#8 or PKCS#1 form")
}

// handle is one logged-in session: a pool of at most one connection and that connection, so
// the session (and its parameters) is the one every statement of the call runs in.
type handle struct {
	db        *sql.DB
	conn      *sql.Conn
	transport *statementTypeTransport
}

// open logs in.
func (c *Connector) open(ctx context.Context, s session) (*handle, error) {
	cfg, err := c.driverConfig(s)
	if err != nil {
		return nil, err
	}
	h := &handle{transport: cfg.Transporter.(*statementTypeTransport)}
	h.db = sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, *cfg))
	h.db.SetMaxOpenConns(1)
	h.conn, err = h.db.Conn(ctx)
	if err != nil {
		_ = h.db.Close()
		h.transport.base.CloseIdleConnections()
		return nil, err
	}
	return h, nil
}

// OpenLoad logs in for the load engine (internal/load/sqlgen): a pool of at most one
// connection and that connection, with the connector's transport, credentials and session
// parameters but no statement timeout. Close the connection, then the pool, to log out.
// Errors are scrubbed of the config's secrets.
func (c *Connector) OpenLoad(ctx context.Context) (*sql.DB, *sql.Conn, error) {
	h, err := c.open(ctx, session{load: true})
	if err != nil {
		return nil, nil, connectors.ScrubError(describe(err), c.secrets)
	}
	return h.db, h.conn, nil
}

// close logs out (the driver deletes the session on close) and drops the idle connections.
func (h *handle) close() {
	_ = h.conn.Close()
	_ = h.db.Close()
	h.transport.base.CloseIdleConnections()
}

// testStatement is the round trip of a connection test.
const testStatement = "SELECT 1"

// Test logs in and runs SELECT 1.
func (c *Connector) Test(ctx context.Context) connectors.Result {
	return connectors.Probe(ctx, c.secrets, func(ctx context.Context) error {
		h, err := c.open(ctx, session{})
		if err != nil {
			return describe(err)
		}
		defer h.close()
		var one int
		return describe(h.conn.QueryRowContext(ctx, testStatement).Scan(&one))
	})
}

// describe keeps a driver error readable: gosnowflake's errors carry a number and SQL state
// worth showing; messages are scrubbed of secrets by the caller.
func describe(err error) error {
	if err == nil {
		return nil
	}
	var sfErr *sf.SnowflakeError
	if errors.As(err, &sfErr) && sfErr.Number != 0 {
		return fmt.Errorf("snowflake error %d (%s): %w", sfErr.Number, sfErr.SQLState, err)
	}
	return err
}

// newTransport is an http.Transport whose every connection is made by dialer.
func newTransport(dialer connectors.Dialer) *statementTypeTransport {
	base := &http.Transport{
		DialContext:           dialer.DialContext,
		Proxy:                 nil, // a proxy from the environment would dial around the policy
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   connectors.TestTimeout,
		ResponseHeaderTimeout: connectors.StatementTimeout + connectors.TestTimeout,
		MaxIdleConns:          2,
		IdleConnTimeout:       30 * time.Second,
	}
	return &statementTypeTransport{base: base}
}
