// Package postgres is the PostgreSQL connector: connection test, catalog and read-only queries
// through pgx, dialing through the Env's Dialer.
package postgres

import (
	"context"
	_ "embed" // the config schema
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/internal/connectors"
)

//go:embed schema.json
var schema []byte

// Type is the "postgres" connection type.
func Type() connectors.Type {
	return connectors.Type{
		Name:         "postgres",
		Label:        "PostgreSQL",
		Capabilities: connectors.Capabilities{Source: true, Destination: true, SQL: true, TransformTarget: true},
		ConfigSchema: schema,
		Open: func(config map[string]any, env connectors.Env) (connectors.Connector, error) {
			return New(config, env)
		},
	}
}

// Config is the decoded config of a postgres connection.
type Config struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Database string `json:"database"`
	User     string `json:"user"`
	Password string `json:"password"`
	SSLMode  string `json:"sslmode"`
	Schema   string `json:"schema"`
}

// Connector talks to one PostgreSQL database. It holds no connection between calls.
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
	cfg, err := connectors.DecodeConfig("postgres", config, Config{Port: 5432, SSLMode: "prefer"})
	if err != nil {
		return nil, err
	}
	return &Connector{cfg: cfg, dialer: env.DialerOrDefault(), secrets: connectors.SecretValues(schema, config),
		statementTimeout: connectors.StatementTimeout}, nil
}

// connConfig builds the pgx config from our fields only. pgx reads PG* environment variables
// and ~/.pgpass for whatever a connection string leaves out; every such setting is overwritten
// here, so the server's own environment (say, its PGPASSWORD) never travels to a user's host.
func (c *Connector) connConfig() (*pgx.ConnConfig, error) {
	u := url.URL{
		Scheme: "postgres",
		Host:   net.JoinHostPort(c.cfg.Host, strconv.Itoa(c.cfg.Port)),
		Path:   "/" + c.cfg.Database,
		User:   url.User(c.cfg.User),
	}
	// Explicit empty values override the environment: no client certificate or key of the
	// server's own (PGSSLCERT, PGSSLKEY) is ever presented to a user's host.
	q := url.Values{"sslmode": {c.cfg.SSLMode}, "sslcert": {""}, "sslkey": {""}, "sslpassword": {""},
		"sslrootcert": {""}, "passfile": {""}, "target_session_attrs": {"any"}}
	if c.cfg.SSLMode == "verify-ca" || c.cfg.SSLMode == "verify-full" {
		q.Set("sslrootcert", "system") // the system's CAs, not a file named by the environment
	}
	u.RawQuery = q.Encode()
	cc, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, err
	}
	cc.Password = c.cfg.Password
	cc.RuntimeParams = map[string]string{"application_name": "datanika"}
	if c.cfg.Schema != "" {
		cc.RuntimeParams["search_path"] = pgx.Identifier{c.cfg.Schema}.Sanitize()
	}
	cc.KerberosSrvName, cc.KerberosSpn = "", ""
	cc.RequireAuth, cc.ChannelBinding = "", "prefer"
	cc.MinProtocolVersion, cc.MaxProtocolVersion = "3.0", "3.0"
	cc.OAuthTokenProvider = nil
	cc.ValidateConnect, cc.AfterConnect = nil, nil // PGTARGETSESSIONATTRS would set the first
	cc.ConnectTimeout = 0                          // the caller's context bounds connecting
	cc.DialFunc = c.dialer.DialContext
	// Hand the host name to the Dialer unresolved, so the egress policy sees the name the
	// user typed (allowlists name hosts) and resolves it itself, at dial time.
	cc.LookupFunc = func(_ context.Context, host string) ([]string, error) { return []string{host}, nil }
	// Extended protocol with an unnamed statement: the server parses the text as one
	// statement and refuses several ("cannot insert multiple commands into a prepared
	// statement"), and nothing stays cached on the server.
	cc.DefaultQueryExecMode = pgx.QueryExecModeDescribeExec
	return cc, nil
}

// ConnConfig is the pgx config of this connection as the load engine uses it: dialing through
// the Env's Dialer, nothing taken from the server's environment, and neither read-only nor
// bounded by a statement timeout (a load writes, and may run for hours).
func (c *Connector) ConnConfig() (*pgx.ConnConfig, error) {
	return c.connConfig()
}

// connect opens a connection for the interactive calls (test, catalog, query): read-only by
// default and with a statement timeout from the start, so that even a statement outside
// Query's transaction could neither write nor run for long.
func (c *Connector) connect(ctx context.Context) (*pgx.Conn, error) {
	cc, err := c.connConfig()
	if err != nil {
		return nil, err
	}
	cc.RuntimeParams["default_transaction_read_only"] = "on"
	cc.RuntimeParams["statement_timeout"] = strconv.FormatInt(c.statementTimeout.Milliseconds(), 10)
	return pgx.ConnectConfig(ctx, cc)
}

// closeConn ends a connection even when ctx is already done, briefly.
func closeConn(ctx context.Context, conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

// Test connects and runs SELECT 1.
func (c *Connector) Test(ctx context.Context) connectors.Result {
	return connectors.Probe(ctx, c.secrets, func(ctx context.Context) error {
		conn, err := c.connect(ctx)
		if err != nil {
			return err
		}
		defer closeConn(ctx, conn)
		var one int
		return conn.QueryRow(ctx, "SELECT 1").Scan(&one)
	})
}
