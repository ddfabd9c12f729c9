package mssql

import (
	"context"
	"database/sql"

	"github.com/datanika/datanika/internal/connectors"
)

// Open gives the load engine (internal/load) one connection, dialed through the Env's Dialer
// like every other call: a pool of at most one connection, which lives no longer than ctx.
// Errors are scrubbed of the config's secrets.
func (c *Connector) Open(ctx context.Context) (*sql.DB, *sql.Conn, error) {
	db, conn, err := c.open(ctx)
	if err != nil {
		return nil, nil, connectors.ScrubError(err, c.secrets)
	}
	return db, conn, nil
}

// DefaultSchema is the config's schema, or dbo.
func (c *Connector) DefaultSchema() string {
	if c.cfg.Schema != "" {
		return c.cfg.Schema
	}
	return "dbo"
}
