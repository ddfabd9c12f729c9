// Package mssql is the Microsoft SQL Server connector: connection test, catalog and read-only
// queries through microsoft/go-mssqldb, dialing through the Env's Dialer.
//
// Wiring: the driver's msdsn.Config is built field by field from our config (no connection
// string, so no option can be smuggled in through a value, and nothing is read from files or
// the environment), and the driver Connector's Dialer is set to the Env's Dialer, wrapped so
// the driver hands it the host name unresolved (the egress policy resolves and checks it at
// dial time). Every connection is closed when the call that opened it ends: the driver does
// not watch the context during login or TLS handshake, so a silent server would otherwise hold
// a call forever.
//
// Read-only: SQL Server has no read-only transaction or session, so Query does three things,
// the first of which is the guarantee and the other two are backstops:
//  1. It asks the server what the text is. With SET SHOWPLAN_XML ON the server compiles the
//     text without running it and answers the plan of every statement in it, each with its
//     StatementType. Query goes on only when the server reports exactly one top-level
//     statement and it is a SELECT ("SELECT INTO", INSERT/UPDATE/DELETE/MERGE, EXECUTE, DDL,
//     COMMIT, SET… are refused, and so is a second statement). This is the server's parse,
//     not string matching.
//  2. It runs the statement inside a transaction that is always rolled back.
//  3. The session has SET LOCK_TIMEOUT (lock waits end), SET ROWCOUNT limit+1 (the server
//     stops after the cap), SET XACT_ABORT ON and a low deadlock priority.
//
// The statement runs under a context deadline of StatementTimeout: when it passes, the driver
// sends an attention and the server stops the statement (SQL Server has no server-side
// statement timeout setting).
//
// Limits, honestly: the login needs the SHOWPLAN permission in the database (GRANT SHOWPLAN TO
// the user; members of db_owner have it), or every query is refused with the server's
// "SHOWPLAN permission denied". A SELECT can still have effects that a rollback does not undo:
// NEXT VALUE FOR a sequence, and a call through a linked server (OPENQUERY) whose effect is on
// that other server. Scalar functions cannot write. The catalog and test need no such
// permission.
package mssql

import (
	"context"
	"crypto/tls"
	"database/sql"
	_ "embed" // the config schema
	"errors"
	"net"
	"strconv"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
	"github.com/microsoft/go-mssqldb/msdsn"

	"github.com/datanika/datanika/internal/connectors"
)

//go:embed schema.json
var schema []byte

// Type is the "mssql" connection type.
func Type() connectors.Type {
	return connectors.Type{
		Name:         "mssql",
		Label:        "Microsoft SQL Server",
		Capabilities: connectors.Capabilities{Source: true, Destination: true, SQL: true, TransformTarget: true},
		ConfigSchema: schema,
		Open: func(config map[string]any, env connectors.Env) (connectors.Connector, error) {
			return New(config, env)
		},
	}
}

// Config is the decoded config of an mssql connection.
type Config struct {
	Host                   string `json:"host"`
	Port                   int    `json:"port"`
	Database               string `json:"database"`
	User                   string `json:"user"`
	Password               string `json:"password"`
	Encrypt                string `json:"encrypt"`
	TrustServerCertificate bool   `json:"trust_server_certificate"`
	Schema                 string `json:"schema"`
}

// Connector talks to one SQL Server database. It holds no connection between calls.
type Connector struct {
	cfg              Config
	dialer           connectors.Dialer
	secrets          []string
	statementTimeout time.Duration
}

var (
	_ connectors.Connector = (*Connector)(nil)
	_ connectors.Cataloger = (*Connector)(nil)
	_ connectors.Querier   = (*Connector)(nil)
)

// New makes a connector from a config that passed the type's schema.
func New(config map[string]any, env connectors.Env) (*Connector, error) {
	cfg, err := connectors.DecodeConfig("mssql", config, Config{Port: 1433, Encrypt: "true"})
	if err != nil {
		return nil, err
	}
	return &Connector{cfg: cfg, dialer: env.DialerOrDefault(), secrets: connectors.SecretValues(schema, config),
		statementTimeout: connectors.StatementTimeout}, nil
}

var encryptions = map[string]msdsn.Encryption{
	"disable": msdsn.EncryptionDisabled,
	"false":   msdsn.EncryptionOff,
	"true":    msdsn.EncryptionRequired,
	"strict":  msdsn.EncryptionStrict,
}

// driverConfig builds the driver's config from our fields only.
func (c *Connector) driverConfig() (msdsn.Config, error) {
	enc, ok := encryptions[c.cfg.Encrypt]
	if !ok {
		return msdsn.Config{}, errors.New("mssql: unknown encrypt mode")
	}
	p := msdsn.Config{
		Host:       c.cfg.Host,
		Port:       uint64(c.cfg.Port), //nolint:gosec // the schema bounds it to 1..65535
		Database:   c.cfg.Database,
		User:       c.cfg.User,
		Password:   c.cfg.Password,
		Encryption: enc,
		// Not the server's host name, which is none of the user's server's business.
		Workstation: "datanika",
		AppName:     "datanika",
		Protocols:   []string{"tcp"},
		// The caller's context bounds connecting too; this only caps it.
		DialTimeout:         connectors.TestTimeout,
		KeepAlive:           30 * time.Second,
		DisableRetry:        true,
		MultiSubnetFailover: false,
		Parameters:          map[string]string{},
		ProtocolParameters:  map[string]any{},
		Encoding:            msdsn.EncodeParameters{Timezone: time.UTC, GuidConversion: true},
	}
	if enc != msdsn.EncryptionDisabled {
		// Strict encryption always verifies, as the driver's own DSN parser does.
		trust := c.cfg.TrustServerCertificate && enc != msdsn.EncryptionStrict
		tc, err := msdsn.SetupTLS("", "", trust, c.cfg.Host, "")
		if err != nil {
			return msdsn.Config{}, err
		}
		tc.MinVersion = tls.VersionTLS12
		p.TLSConfig, p.TrustServerCertificate = tc, trust
	}
	return p, nil
}

// hostDialer dials through the Env's Dialer. Being a mssql.HostDialer makes the driver pass
// the host name instead of resolving it itself; every connection closes when opCtx ends.
type hostDialer struct {
	dialer connectors.Dialer
	host   string
	opCtx  context.Context //nolint:containedctx // the call the connection belongs to
}

func (d hostDialer) HostName() string { return d.host }

func (d hostDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := d.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	context.AfterFunc(d.opCtx, func() { _ = conn.Close() })
	return conn, nil
}

var _ mssql.HostDialer = hostDialer{}

// open returns a pool of at most one connection and that connection, so the session
// settings and the transaction stay on it. The connection lives no longer than ctx.
func (c *Connector) open(ctx context.Context) (*sql.DB, *sql.Conn, error) {
	p, err := c.driverConfig()
	if err != nil {
		return nil, nil, err
	}
	connector := mssql.NewConnectorConfig(p)
	connector.Dialer = hostDialer{dialer: c.dialer, host: c.cfg.Host, opCtx: ctx}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	return db, conn, nil
}

func closeAll(db *sql.DB, conn *sql.Conn) {
	_ = conn.Close()
	_ = db.Close()
}

// Statements the connector sends besides the user's, golden-tested.
const (
	testSQL        = "SELECT 1"
	showplanOnSQL  = "SET SHOWPLAN_XML ON"
	showplanOffSQL = "SET SHOWPLAN_XML OFF"
)

// sessionSQL sets up the session of a query, in one batch.
func (c *Connector) sessionSQL(limit int) string {
	return "SET NOCOUNT ON; SET XACT_ABORT ON; SET IMPLICIT_TRANSACTIONS OFF; SET DEADLOCK_PRIORITY LOW; " +
		"SET LOCK_TIMEOUT " + strconv.FormatInt(c.statementTimeout.Milliseconds(), 10) + "; " +
		"SET ROWCOUNT " + strconv.Itoa(limit+1) + ";"
}

// Test connects and runs SELECT 1.
func (c *Connector) Test(ctx context.Context) connectors.Result {
	return connectors.Probe(ctx, c.secrets, func(ctx context.Context) error {
		db, conn, err := c.open(ctx)
		if err != nil {
			return err
		}
		defer closeAll(db, conn)
		var one int
		return conn.QueryRowContext(ctx, testSQL).Scan(&one)
	})
}
