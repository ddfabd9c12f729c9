// Package dbtest holds the test helpers that the load engine's test packages share (load,
// myload, pgload): fresh PostgreSQL and MariaDB databases, a load run with the tests' defaults,
// the Chinook dataset and its check, MySQL TIME edge values, and the widening check.
//
// It imports internal/load only, never a source or destination package, so that internal tests
// of those packages (package myload, package pgload) can use it without an import cycle; a test
// registers the sources and destinations it runs with blank imports of its own.
package dbtest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // the "mysql" database/sql driver
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/testutil"
)

// PG is a fresh PostgreSQL database used as source (schema src) and destination.
type PG struct {
	URL  string
	Conn *pgx.Conn
}

// NewPG makes a fresh PostgreSQL database, dropped after the test, and connects to it.
func NewPG(t *testing.T) *PG {
	t.Helper()
	u := testutil.EmptyDatabase(t)
	conn, err := pgx.Connect(context.Background(), u)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return &PG{URL: u, Conn: conn}
}

// Exec runs each statement, failing the test on the first error.
func (e *PG) Exec(t *testing.T, sqls ...string) {
	t.Helper()
	for _, s := range sqls {
		_, err := e.Conn.Exec(context.Background(), s)
		require.NoError(t, err, s)
	}
}

// Endpoint is the database as a load endpoint.
func (e *PG) Endpoint(t *testing.T) load.Endpoint {
	t.Helper()
	ep, err := load.ParseURL(e.URL)
	require.NoError(t, err)
	return ep
}

// Count runs q, which selects one integer.
func (e *PG) Count(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, e.Conn.QueryRow(context.Background(), q, args...).Scan(&n), q)
	return n
}

// MustConfig parses a pipeline configuration.
func MustConfig(t *testing.T, js string) load.Config {
	t.Helper()
	cfg, err := load.ParseConfig([]byte(js))
	require.NoError(t, err)
	return cfg
}

// RunLoad runs spec with a minute's timeout, pipeline "test" and destination schema "raw"
// unless spec names them.
func RunLoad(t *testing.T, spec load.Spec) (load.Result, error) {
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

// MySQLDB makes a fresh MariaDB database, dropped after the test, and returns a handle on it
// and its mysql:// URL.
func MySQLDB(t *testing.T) (*sql.DB, string) {
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
	return db, MySQLURL(dsn, name)
}

// MySQLURL turns a go-sql-driver DSN (user[:pass]@tcp(host:port)) into the mysql:// URL of
// database name (none: "").
func MySQLURL(dsn, name string) string {
	dsn = strings.TrimSuffix(dsn, "/")
	userPart, hostPart, _ := strings.Cut(dsn, "@tcp(")
	hostPart = strings.TrimSuffix(hostPart, ")")
	u := url.URL{Scheme: "mysql", Host: hostPart, Path: "/" + name}
	if user, pass, ok := strings.Cut(userPart, ":"); ok {
		u.User = url.UserPassword(user, pass)
	} else {
		u.User = url.User(userPart)
	}
	return u.String()
}

// My is a fresh MariaDB database used as the destination; its name is the destination schema.
type My struct {
	DB   *sql.DB
	EP   load.Endpoint
	Name string
}

// NewMyDest makes a fresh MariaDB database, dropped after the test, as a destination.
func NewMyDest(t *testing.T) *My {
	t.Helper()
	db, u := MySQLDB(t)
	ep, err := load.ParseURL(u)
	require.NoError(t, err)
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	return &My{DB: db, EP: ep, Name: strings.TrimPrefix(parsed.Path, "/")}
}

// MyDestBeside is a destination database beside a test's source database (NewMyDest would
// make the test's database again, dropping the source).
func MyDestBeside(t *testing.T, srcDB *sql.DB, srcURL string) *My {
	t.Helper()
	ep, err := load.ParseURL(srcURL)
	require.NoError(t, err)
	parsed, err := url.Parse(srcURL)
	require.NoError(t, err)
	my := &My{DB: srcDB, EP: ep, Name: strings.TrimPrefix(parsed.Path, "/") + "_out"}
	t.Cleanup(func() { _, _ = srcDB.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+my.Name+"`") })
	return my
}

// Exec runs each statement, failing the test on the first error.
func (e *My) Exec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		_, err := e.DB.ExecContext(context.Background(), s)
		require.NoError(t, err, s)
	}
}

// Count runs q, which selects one integer.
func (e *My) Count(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, e.DB.QueryRowContext(context.Background(), q, args...).Scan(&n), q)
	return n
}

// LoaderTables counts the loader's own leftovers (staging, new and old tables) in a database.
func (e *My) LoaderTables(t *testing.T, schema string) int64 {
	t.Helper()
	return e.Count(t, `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?
		AND (TABLE_NAME LIKE '\_dnk\_new\_%' OR TABLE_NAME LIKE '\_dnk\_old\_%' OR TABLE_NAME LIKE '\_dnk\_stage\_%')`, schema)
}

// Spec loads from src into this database with cfg.
func (e *My) Spec(src load.Endpoint, cfg load.Config) load.Spec {
	return load.Spec{Source: src, Destination: e.EP, DestinationSchema: e.Name, Config: cfg}
}

// MyColumnTypes is information_schema's COLUMN_TYPE of a destination table's columns, by name.
func MyColumnTypes(t *testing.T, my *My, table string) map[string]string {
	t.Helper()
	rows, err := my.DB.QueryContext(context.Background(), `SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, my.Name, table)
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	types := map[string]string{}
	for rows.Next() {
		var n, typ string
		require.NoError(t, rows.Scan(&n, &typ))
		types[n] = typ
	}
	require.NoError(t, rows.Err())
	return types
}

// SQLiteFile makes a SQLite database file in the test's temporary directory from stmts and
// returns its path.
func SQLiteFile(t *testing.T, stmts ...string) string {
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

// ChinookDir is the shared dataset; tests skip loudly without it. shared/ sits beside the
// repository (CI lays it there too): beside the directory of go.mod, found from the test's
// working directory up.
func ChinookDir(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("CHINOOK_DIR")}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				candidates = append(candidates, filepath.Join(dir, "..", "shared", "datasets", "chinook"))
				break
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	candidates = append(candidates, "/work/shared/datasets/chinook")
	for _, dir := range candidates {
		if dir == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "Chinook_Sqlite.sqlite")); err == nil { //nolint:gosec // a test helper: the dataset beside the repository, or CHINOOK_DIR
			abs, err := filepath.Abs(dir)
			require.NoError(t, err)
			return abs
		}
	}
	t.Skipf("SKIPPED — the Chinook dataset is not beside the repository (shared/datasets/chinook); set CHINOOK_DIR")
	return ""
}

// ChinookTables is every table of Chinook with its rows.
var ChinookTables = map[string]int64{"Album": 347, "Artist": 275, "Customer": 59, "Employee": 8, "Genre": 25,
	"Invoice": 412, "InvoiceLine": 2240, "MediaType": 5, "Playlist": 18, "PlaylistTrack": 8715, "Track": 3503}

// CheckChinook compares every table of the source with its copy: counts, and the checksum of
// every column read back from PostgreSQL.
func CheckChinook(t *testing.T, src load.Endpoint, srcSchema string, pg *PG, res load.Result) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.Len(t, res.Tables, len(ChinookTables))
	for table, rows := range ChinookTables {
		dest := load.SnakeCase(table)
		require.Equal(t, rows, pg.Count(t, "SELECT count(*) FROM raw."+dest), table)
		want, err := load.ChecksumTable(ctx, src, srcSchema, table, nil)
		require.NoError(t, err, table)
		require.Equal(t, rows, want.Rows, table)
		cols := PGColumns(t, pg, dest)
		got, err := load.ChecksumTable(ctx, pg.Endpoint(t), "raw", dest, cols)
		require.NoError(t, err, table)
		require.Equal(t, want, got, table)
	}
}

// PGColumns lists the loaded columns of raw.table, without the loader's own.
func PGColumns(t *testing.T, pg *PG, table string) []string {
	t.Helper()
	rows, err := pg.Conn.Query(context.Background(), `SELECT attname FROM pg_attribute WHERE attrelid = ('raw.' || $1)::regclass
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

// DurationRows are MySQL TIME values at the edges of their range (±838:59:59.999999), beyond
// a day, below zero (also "-00:00:00.x", negative without a whole second) and NULL, for
// TIME, TIME(3) and TIME(6).
var DurationRows = [][3]string{
	{"838:59:59", "838:59:59.999", "838:59:59.999999"},
	{"-838:59:59", "-838:59:59.999", "-838:59:59.999999"},
	{"00:00:00", "-00:00:00.001", "-00:00:00.000001"},
	{"24:00:00", "100:00:00.5", "12:34:56.789012"},
	{"-01:02:03", "23:59:59.999", "-23:59:59.999999"},
	{"", "", ""}, // NULL
}

// MakeDurations creates table durations (id, t0 TIME, t3 TIME(3), t6 TIME(6)) in a MySQL
// database with DurationRows, ids from 1.
func MakeDurations(t *testing.T, my *sql.DB) {
	t.Helper()
	var values []string
	for i, r := range DurationRows {
		v := []string{strconv.Itoa(i + 1)}
		for _, s := range r {
			if s == "" {
				v = append(v, "NULL")
			} else {
				v = append(v, "'"+s+"'")
			}
		}
		values = append(values, "("+strings.Join(v, ", ")+")")
	}
	_, err := my.ExecContext(context.Background(), "CREATE TABLE durations (id INT PRIMARY KEY, t0 TIME, t3 TIME(3), t6 TIME(6));"+
		"INSERT INTO durations VALUES "+strings.Join(values, ", "))
	require.NoError(t, err)
}

// The answers of CheckWidening's cases besides the wider type's DDL.
const (
	WidenFits         = "fits"
	WidenIncompatible = "incompatible"
)

// CheckWidening runs cases of (column type, source type, expected: WidenFits,
// WidenIncompatible or the wider type's DDL).
func CheckWidening(t *testing.T, widen func(have, want string) load.Widening, cases [][3]string) {
	t.Helper()
	for _, c := range cases {
		got := widen(c[0], c[1])
		var s string
		switch got.Verdict {
		case load.FitsAsIs:
			s = WidenFits
		case load.Incompatible:
			s = WidenIncompatible
		case load.WidenTo:
			s = got.To
		}
		require.Equal(t, c[2], s, "column %s receiving %s", c[0], c[1])
	}
}
