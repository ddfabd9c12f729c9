package connection

import (
	"database/sql"
	"fmt"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/datanika/datanika/internal/connectors"
)

// SQLDB opens a database/sql pool on a stored PostgreSQL or MySQL/MariaDB connection for the
// transform engine: the connector's own driver config, dialing through the egress policy (the
// managed dialer for the org's Warehouse, the policy's dialer for every other). The caller
// closes it. maxConns bounds its connections.
func (s *Service) SQLDB(c Connection, maxConns int) (*sql.DB, error) {
	return s.SQLDBEnv(c, s.envFor(c), maxConns)
}

// SQLDBEnv is SQLDB with the Env a run gives the org's connectors (run.WorkerConfig.Env): its
// Dialer is the egress policy's.
func (s *Service) SQLDBEnv(c Connection, env connectors.Env, maxConns int) (*sql.DB, error) {
	conn, err := s.registry.Open(c.Type, c.Config, env)
	if err != nil {
		return nil, fmt.Errorf("open the %s connection: %w", c.Type, err)
	}
	var db *sql.DB
	switch k := conn.(type) {
	case interface {
		ConnConfig() (*pgx.ConnConfig, error)
	}:
		cc, err := k.ConnConfig()
		if err != nil {
			return nil, err
		}
		// The engine runs the same catalog lookups for every node: prepared once per
		// connection they take one round trip instead of two. (Extended protocol either way,
		// so a text of several statements is still refused.)
		cc.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
		db = stdlib.OpenDB(*cc)
	case interface{ DriverConfig() *mysql.Config }:
		mc, err := mysql.NewConnector(k.DriverConfig())
		if err != nil {
			return nil, err
		}
		db = sql.OpenDB(mc)
	default:
		return nil, fmt.Errorf("a %s connection does not run models", c.Type)
	}
	db.SetMaxOpenConns(max(maxConns, 1))
	return db, nil
}

// Secrets are the secret values of a connection's config, for scrubbing them out of messages.
func (s *Service) Secrets(c Connection) []string { return s.registry.Secrets(c.Type, c.Config) }
