// Package mysql is the MySQL and MariaDB connector: connection test, catalog and read-only
// queries through go-sql-driver/mysql, dialing through the Env's Dialer.
package mysql

import (
	"context"
	"database/sql"
	_ "embed" // the config schema
	"net"
	"strconv"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/datanika/datanika/internal/connectors"
)

//go:embed schema.json
var schema []byte

// Type is the "mysql" connection type, for MySQL and MariaDB.
func Type() connectors.Type {
	return connectors.Type{
		Name:         "mysql",
		Label:        "MySQL / MariaDB",
		Capabilities: connectors.Capabilities{Source: true, Destination: true, SQL: true, TransformTarget: true},
		ConfigSchema: schema,
		Open: func(config map[string]any, env connectors.Env) (connectors.Connector, error) {
			return New(config, env)
		},
	}
}

// Config is the decoded config of a mysql connection.
type Config struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Database string `json:"database"`
	User     string `json:"user"`
	Password string `json:"password"`
	TLS      string `json:"tls"`
}

// Connector talks to one MySQL or MariaDB server. It holds no connection between calls.
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
	cfg, err := connectors.DecodeConfig("mysql", config, Config{Port: 3306, TLS: "preferred"})
	if err != nil {
		return nil, err
	}
	return &Connector{cfg: cfg, dialer: env.DialerOrDefault(), secrets: connectors.SecretValues(schema, config),
		statementTimeout: connectors.StatementTimeout}, nil
}

// open returns a pool of at most one connection and that connection, so session settings
// and the transaction stay on it. A driver.Connector built from a Config, rather than a DSN
// and RegisterDialContext, keeps the dialer per connector instead of global.
func (c *Connector) open(ctx context.Context) (*sql.DB, *sql.Conn, error) {
	connector, err := driver.NewConnector(c.DriverConfig())
	if err != nil {
		return nil, nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	return db, conn, nil
}

// DriverConfig is the driver config of this connection, dialing through the Env's Dialer; the
// load engine opens its own pools with it.
func (c *Connector) DriverConfig() *driver.Config {
	mc := driver.NewConfig()
	mc.Net = "tcp"
	mc.Addr = net.JoinHostPort(c.cfg.Host, strconv.Itoa(c.cfg.Port))
	mc.User = c.cfg.User
	mc.Passwd = c.cfg.Password
	mc.DBName = c.cfg.Database
	mc.TLSConfig = c.cfg.TLS
	mc.DialFunc = c.dialer.DialContext
	mc.ParseTime = true
	mc.Loc = time.UTC
	// Explicit although they are the defaults: one statement per query (the server refuses
	// "a; b"), no LOAD DATA LOCAL from our disk, no client-side interpolation.
	mc.MultiStatements = false
	mc.AllowAllFiles = false
	mc.InterpolateParams = false
	return mc
}

func closeAll(db *sql.DB, conn *sql.Conn) {
	_ = conn.Close()
	_ = db.Close()
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
		return conn.QueryRowContext(ctx, "SELECT 1").Scan(&one)
	})
}
