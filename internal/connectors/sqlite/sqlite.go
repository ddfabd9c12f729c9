// Package sqlite is the SQLite connector: a file uploaded through /files, opened read-only
// with the pure-Go modernc.org/sqlite driver (no cgo). It never takes a path from users, only
// a file id that the host's FileResolver turns into a path.
package sqlite

import (
	"context"
	"database/sql"
	_ "embed" // the config schema
	"errors"
	"fmt"
	"strings"
	"time"

	driver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/datanika/datanika/internal/connectors"
)

//go:embed schema.json
var schema []byte

// Type is the "sqlite" connection type.
func Type() connectors.Type {
	return connectors.Type{
		Name:         "sqlite",
		Label:        "SQLite (uploaded file)",
		Capabilities: connectors.Capabilities{Source: true, SQL: true},
		ConfigSchema: schema,
		Open: func(config map[string]any, env connectors.Env) (connectors.Connector, error) {
			return New(config, env)
		},
	}
}

// Config is the decoded config of a sqlite connection.
type Config struct {
	FileID int64 `json:"file_id"`
}

// Connector reads one uploaded SQLite file. It holds no open file between calls.
type Connector struct {
	cfg              Config
	files            connectors.FileResolver
	statementTimeout time.Duration
}

var (
	_ connectors.Connector = (*Connector)(nil)
	_ connectors.Cataloger = (*Connector)(nil)
	_ connectors.Querier   = (*Connector)(nil)
)

// ErrNoFiles is returned by New when the Env has no FileResolver.
var ErrNoFiles = errors.New("sqlite: no file resolver")

// New makes a connector from a config that passed the type's schema.
func New(config map[string]any, env connectors.Env) (*Connector, error) {
	if env.Files == nil {
		return nil, ErrNoFiles
	}
	cfg, err := connectors.DecodeConfig("sqlite", config, Config{})
	if err != nil {
		return nil, err
	}
	return &Connector{cfg: cfg, files: env.Files, statementTimeout: connectors.StatementTimeout}, nil
}

// dsn opens path read-only: mode=ro makes SQLite refuse every write to the file (and fail
// rather than create a missing one), and query_only refuses writes on the connection as well.
// The path is escaped for the URI form, where '?' and '#' would end it.
func dsn(path string) string {
	return uri(path) + "?mode=ro&_query_only=1"
}

func uri(path string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// open returns a pool of one connection to the file and that connection. ATTACH is disabled
// (a limit of zero attached databases): it would let a query open any other file the server
// can read. Errors never show the file's path on the server; neither do the errors of the
// returned connection when passed through hidePath.
func (c *Connector) open(ctx context.Context) (db *sql.DB, conn *sql.Conn, hidePath func(error) error, err error) {
	path, err := c.files(ctx, c.cfg.FileID)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("file %d: %w", c.cfg.FileID, err)
	}
	hidePath = func(err error) error {
		if err == nil {
			return nil
		}
		return errors.New(strings.ReplaceAll(err.Error(), path, fmt.Sprintf("file %d", c.cfg.FileID)))
	}
	connector, err := driver.NewConnector(dsn(path))
	if err != nil {
		return nil, nil, nil, hidePath(err)
	}
	db = sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	conn, err = db.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return nil, nil, nil, hidePath(err)
	}
	if _, err := driver.Limit(conn, sqlite3.SQLITE_LIMIT_ATTACHED, 0); err != nil {
		closeAll(db, conn)
		return nil, nil, nil, hidePath(err)
	}
	return db, conn, hidePath, nil
}

// Open is open for the load engine: a read-only connection to the file, its pool (close both
// when done) and a function that takes the file's path out of errors.
func (c *Connector) Open(ctx context.Context) (db *sql.DB, conn *sql.Conn, hidePath func(error) error, err error) {
	return c.open(ctx)
}

func closeAll(db *sql.DB, conn *sql.Conn) {
	_ = conn.Close()
	_ = db.Close()
}

// Test opens the file and reads its schema table, which fails for a file that is not a
// SQLite database (SELECT 1 alone would not read the file at all).
func (c *Connector) Test(ctx context.Context) connectors.Result {
	return connectors.Probe(ctx, nil, func(ctx context.Context) error {
		db, conn, hidePath, err := c.open(ctx)
		if err != nil {
			return err
		}
		defer closeAll(db, conn)
		var n int
		return hidePath(conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n))
	})
}
