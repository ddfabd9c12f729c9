// Package redshift is the Amazon Redshift connector: connection test, catalog and read-only
// queries. Redshift speaks PostgreSQL's wire protocol, so it connects with pgx through the
// postgres connector's hardened connection config (dialing through the Env's Dialer, nothing
// taken from the server's environment), with Redshift's own defaults: port 5439 and TLS always
// (sslmode require, verify-ca or verify-full; never disable).
//
// What it sends differs from the postgres connector where Redshift differs from PostgreSQL:
//   - The startup packet carries only application_name. The session is set up afterwards with
//     SET statement_timeout (milliseconds, which Redshift supports) and, when a default schema
//     is configured, SET search_path to the quoted name.
//   - Query runs the statement inside BEGIN READ ONLY … ROLLBACK: Redshift's BEGIN accepts
//     READ ONLY, so the server itself refuses writes and DDL. The statement goes through the
//     extended protocol as one unnamed prepared statement, so the server also refuses several
//     statements in one text. The statement timeout ends long statements on the server; a
//     context deadline (connect timeout plus statement timeout) covers a server that stops
//     answering.
//   - The catalog reads pg_catalog (pg_class, pg_namespace, pg_attribute, format_type) and
//     information_schema (primary keys), which exist both on Redshift's leader node and on
//     PostgreSQL; no function Redshift lacks is used. Late-binding views keep no columns in
//     pg_attribute: on a server that says it is Redshift (version()), their columns come from
//     pg_get_late_binding_view_cols(). Spectrum external tables are not listed.
//
// Limits, honestly: READ ONLY is Redshift's promise; it is exercised against a real cluster
// only when DATANIKA_TEST_REDSHIFT_URL is set (the suite otherwise runs the same code against
// the local PostgreSQL as a protocol stand-in). Functions with side effects outside the
// transaction (none that write tables) are not the transaction's to stop.
package redshift

import (
	"context"
	_ "embed" // the config schema
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/postgres"
)

//go:embed schema.json
var schema []byte

// Type is the "redshift" connection type.
func Type() connectors.Type {
	return connectors.Type{
		Name:         "redshift",
		Label:        "Amazon Redshift",
		Capabilities: connectors.Capabilities{Destination: true, SQL: true, TransformTarget: true},
		ConfigSchema: schema,
		Open: func(config map[string]any, env connectors.Env) (connectors.Connector, error) {
			return New(config, env)
		},
	}
}

// DefaultPort is Redshift's port.
const DefaultPort = 5439

// Config is the decoded config of a redshift connection.
type Config struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Database string `json:"database"`
	User     string `json:"user"`
	Password string `json:"password"`
	SSLMode  string `json:"sslmode"`
	Schema   string `json:"schema"`
	// S3Staging is where loads write the files of Redshift's COPY (see Staging).
	S3Staging *S3Staging `json:"s3_staging"`
}

// Connector talks to one Redshift database. It holds no connection between calls.
type Connector struct {
	cfg              Config
	env              connectors.Env
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
	cfg, err := connectors.DecodeConfig("redshift", config, Config{Port: DefaultPort, SSLMode: "require"})
	if err != nil {
		return nil, err
	}
	return &Connector{cfg: cfg, env: env, secrets: connectors.SecretValues(schema, config),
		statementTimeout: connectors.StatementTimeout}, nil
}

// Statements the connector sends besides the user's, golden-tested.
const (
	testSQL  = "SELECT 1"
	beginSQL = "BEGIN READ ONLY"
)

// sessionSQL returns the statements that set up a session, in order.
func (c *Connector) sessionSQL() []string {
	out := []string{"SET statement_timeout TO " + strconv.FormatInt(c.statementTimeout.Milliseconds(), 10)}
	if c.cfg.Schema != "" {
		out = append(out, "SET search_path TO "+pgx.Identifier{c.cfg.Schema}.Sanitize())
	}
	return out
}

// connConfig builds the pgx config through the postgres connector, which pins every setting
// pgx would otherwise read from the environment. The default schema is left out of it: it is
// set by a statement, not a startup parameter.
func (c *Connector) connConfig() (*pgx.ConnConfig, error) {
	pc, err := postgres.New(map[string]any{"host": c.cfg.Host, "port": c.cfg.Port, "database": c.cfg.Database,
		"user": c.cfg.User, "password": c.cfg.Password, "sslmode": c.cfg.SSLMode}, c.env)
	if err != nil {
		return nil, err
	}
	cc, err := pc.ConnConfig()
	if err != nil {
		return nil, err
	}
	cc.RuntimeParams = map[string]string{"application_name": "datanika"}
	return cc, nil
}

// connect opens a connection and sets the session up.
func (c *Connector) connect(ctx context.Context) (*pgx.Conn, error) {
	cc, err := c.connConfig()
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, err
	}
	for _, stmt := range c.sessionSQL() {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			closeConn(ctx, conn)
			return nil, err
		}
	}
	return conn, nil
}

// closeConn ends a connection even when ctx is already done, briefly.
func closeConn(ctx context.Context, conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

// Test connects, sets the session up and runs SELECT 1.
func (c *Connector) Test(ctx context.Context) connectors.Result {
	return connectors.Probe(ctx, c.secrets, func(ctx context.Context) error {
		conn, err := c.connect(ctx)
		if err != nil {
			return err
		}
		defer closeConn(ctx, conn)
		var one int
		return conn.QueryRow(ctx, testSQL).Scan(&one)
	})
}

// Query runs one statement in a READ ONLY transaction that is always rolled back.
func (c *Connector) Query(ctx context.Context, sql string, limit int) (connectors.QueryResult, error) {
	limit = connectors.RowLimit(limit)
	ctx, cancel := context.WithTimeout(ctx, connectors.TestTimeout+c.statementTimeout)
	defer cancel()
	conn, err := c.connect(ctx)
	if err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	defer closeConn(ctx, conn)
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{BeginQuery: beginSQL})
	if err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	res, err := postgres.ReadRows(ctx, tx, sql, limit)
	if err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	return res, nil
}

// isRedshift tells Redshift from a PostgreSQL server by its version string.
func isRedshift(version string) bool {
	return strings.Contains(version, "Redshift")
}
