package load_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	_ "github.com/datanika/datanika/internal/load/myload" // the MySQL/MariaDB source and destination
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

func (e *myEnv) spec(src load.Endpoint, cfg load.Config) load.Spec {
	return load.Spec{Source: src, Destination: e.ep, DestinationSchema: e.name, Config: cfg}
}

// chinookDir is the shared dataset; tests skip loudly without it.
func chinookDir(t *testing.T) string {
	t.Helper()
	// shared/ sits beside the repository (CI lays it there too).
	candidates := []string{os.Getenv("CHINOOK_DIR"), "../../../shared/datasets/chinook", "/work/shared/datasets/chinook"}
	for _, dir := range candidates {
		if dir == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "Chinook_Sqlite.sqlite")); err == nil {
			abs, err := filepath.Abs(dir)
			require.NoError(t, err)
			return abs
		}
	}
	t.Skipf("SKIPPED — the Chinook dataset is not beside the repository (shared/datasets/chinook); set CHINOOK_DIR")
	return ""
}

var chinookTables = map[string]int64{"Album": 347, "Artist": 275, "Customer": 59, "Employee": 8, "Genre": 25,
	"Invoice": 412, "InvoiceLine": 2240, "MediaType": 5, "Playlist": 18, "PlaylistTrack": 8715, "Track": 3503}

// checkChinook compares every table of the source with its copy: counts, and the checksum of
// every column read back from PostgreSQL.
func checkChinook(t *testing.T, src load.Endpoint, srcSchema string, pg *pgEnv, res load.Result) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.Len(t, res.Tables, len(chinookTables))
	for table, rows := range chinookTables {
		dest := load.SnakeCase(table)
		require.Equal(t, rows, pg.count(t, "SELECT count(*) FROM raw."+dest), table)
		want, err := load.ChecksumTable(ctx, src, srcSchema, table, nil)
		require.NoError(t, err, table)
		require.Equal(t, rows, want.Rows, table)
		cols := pgColumns(t, pg, dest)
		got, err := load.ChecksumTable(ctx, pg.endpoint(t), "raw", dest, cols)
		require.NoError(t, err, table)
		require.Equal(t, want, got, table)
	}
}

// pgColumns lists the loaded columns, without the loader's own.
func pgColumns(t *testing.T, pg *pgEnv, table string) []string {
	t.Helper()
	rows, err := pg.conn.Query(context.Background(), `SELECT attname FROM pg_attribute WHERE attrelid = ('raw.' || $1)::regclass
		AND attnum > 0 AND NOT attisdropped AND attname NOT LIKE '\_dnk\_%' ORDER BY attnum`, table)
	require.NoError(t, err)
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		require.NoError(t, rows.Scan(&c))
		cols = append(cols, c)
	}
	return cols
}
