package myload_test

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	_ "github.com/datanika/datanika/internal/load/pgload" // the PostgreSQL source and destination
	"github.com/datanika/datanika/internal/testutil"
)

// pgEnv is a fresh PostgreSQL database used as source (schema src) and destination.
type pgEnv struct {
	url  string
	conn *pgx.Conn
}

func newPG(t *testing.T) *pgEnv {
	t.Helper()
	u := testutil.EmptyDatabase(t)
	conn, err := pgx.Connect(context.Background(), u)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return &pgEnv{url: u, conn: conn}
}

func (e *pgEnv) exec(t *testing.T, sqls ...string) {
	t.Helper()
	for _, s := range sqls {
		_, err := e.conn.Exec(context.Background(), s)
		require.NoError(t, err, s)
	}
}

func (e *pgEnv) endpoint(t *testing.T) load.Endpoint {
	t.Helper()
	ep, err := load.ParseURL(e.url)
	require.NoError(t, err)
	return ep
}

func (e *pgEnv) count(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, e.conn.QueryRow(context.Background(), q, args...).Scan(&n), q)
	return n
}

func mustConfig(t *testing.T, js string) load.Config {
	t.Helper()
	cfg, err := load.ParseConfig([]byte(js))
	require.NoError(t, err)
	return cfg
}

func runLoad(t *testing.T, spec load.Spec) (load.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if spec.Pipeline == "" {
		spec.Pipeline = "test"
	}
	if spec.DestinationSchema == "" {
		spec.DestinationSchema = "raw"
	}
	return load.Run(ctx, spec, nil, nil)
}

// mysqlDB makes a fresh MariaDB database, dropped after the test, and returns a handle on it
// and its mysql:// URL.
func mysqlDB(t *testing.T) (*sql.DB, string) {
	t.Helper()
	dsn := testutil.MySQLDSN(t)
	admin, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	name := "dnk_load_" + strings.ReplaceAll(strings.ToLower(t.Name()), "/", "_")
	if len(name) > 60 {
		name = name[:60]
	}
	ctx := context.Background()
	_, err = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`")
	require.NoError(t, err)
	_, err = admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4")
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`") })
	db, err := sql.Open("mysql", strings.TrimSuffix(dsn, "/")+"/"+name+"?multiStatements=true")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	// The DSN is user[:pass]@tcp(host:port)/; the command line takes a URL.
	cfg := strings.TrimSuffix(dsn, "/")
	userPart, hostPart, _ := strings.Cut(cfg, "@tcp(")
	hostPart = strings.TrimSuffix(hostPart, ")")
	u := url.URL{Scheme: "mysql", Host: hostPart, Path: "/" + name}
	if user, pass, ok := strings.Cut(userPart, ":"); ok {
		u.User = url.UserPassword(user, pass)
	} else {
		u.User = url.User(userPart)
	}
	return db, u.String()
}

// myEnv is a fresh MariaDB database used as the destination; its name is the destination
// schema.
type myEnv struct {
	db   *sql.DB
	ep   load.Endpoint
	name string
}

func newMyDest(t *testing.T) *myEnv {
	t.Helper()
	db, u := mysqlDB(t)
	ep, err := load.ParseURL(u)
	require.NoError(t, err)
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	return &myEnv{db: db, ep: ep, name: strings.TrimPrefix(parsed.Path, "/")}
}

func (e *myEnv) exec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		_, err := e.db.ExecContext(context.Background(), s)
		require.NoError(t, err, s)
	}
}

func (e *myEnv) count(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, e.db.QueryRowContext(context.Background(), q, args...).Scan(&n), q)
	return n
}

// loaderTables counts the loader's own leftovers (staging, new and old tables) in a database.
func (e *myEnv) loaderTables(t *testing.T, schema string) int64 {
	t.Helper()
	return e.count(t, `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?
		AND (TABLE_NAME LIKE '\_dnk\_new\_%' OR TABLE_NAME LIKE '\_dnk\_old\_%' OR TABLE_NAME LIKE '\_dnk\_stage\_%')`, schema)
}

func (e *myEnv) spec(src load.Endpoint, cfg load.Config) load.Spec {
	return load.Spec{Source: src, Destination: e.ep, DestinationSchema: e.name, Config: cfg}
}

func sqliteFile(t *testing.T, stmts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "src.sqlite")
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer func() { _ = db.Close() }()
	for _, s := range stmts {
		_, err := db.ExecContext(context.Background(), s)
		require.NoError(t, err, s)
	}
	return path
}
