package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // to create test files

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/connectorstest"
)

func TestSQLiteConfig_AcceptsAFileID(t *testing.T) {
	t.Parallel()
	connectorstest.RequireValid(t, Type(), map[string]any{"file_id": 7})
}

func TestSQLiteConfig_RejectsBadInputWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	connectorstest.RequireInvalid(t, typ, map[string]any{}, "config.file_id")
	connectorstest.RequireInvalid(t, typ, map[string]any{"file_id": "7"}, "config.file_id")
	connectorstest.RequireInvalid(t, typ, map[string]any{"file_id": 0}, "config.file_id")
	connectorstest.RequireInvalid(t, typ, map[string]any{"file_id": 1.5}, "config.file_id")
	// Paths are never user-chosen.
	connectorstest.RequireInvalid(t, typ, map[string]any{"file_id": 1, "path": "/etc/passwd"}, "config.path")
}

func TestSQLiteConfig_HasNothingToMask(t *testing.T) {
	t.Parallel()
	r := connectorstest.Registry(t, Type())
	require.Equal(t, map[string]any{"file_id": 7}, r.Mask("sqlite", map[string]any{"file_id": 7}))
}

func TestSQLite_NewNeedsAFileResolver(t *testing.T) {
	t.Parallel()
	_, err := New(map[string]any{"file_id": 1}, connectors.Env{})
	require.ErrorIs(t, err, ErrNoFiles)
}

// makeFile writes a SQLite database with the given statements and returns a connector on it
// (as file 1) and its path.
func makeFile(t *testing.T, stmts ...string) (*Connector, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "up?load #1.sqlite") // characters a URI would cut at
	db, err := sql.Open("sqlite", uri(path)+"?mode=rwc")
	require.NoError(t, err)
	for _, s := range stmts {
		_, err := db.ExecContext(context.Background(), s)
		require.NoError(t, err, s)
	}
	require.NoError(t, db.Close())
	return connectorFor(t, path), path
}

func connectorFor(t *testing.T, path string) *Connector {
	t.Helper()
	files := func(_ context.Context, id int64) (string, error) {
		if id != 1 {
			return "", errors.New("no such file")
		}
		return path, nil
	}
	c, err := New(map[string]any{"file_id": 1}, connectors.Env{Files: files})
	require.NoError(t, err)
	return c
}

func digest(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return sha256.Sum256(b)
}

func TestSQLite_TestAnswersOKForADatabaseFile(t *testing.T) {
	t.Parallel()
	c, _ := makeFile(t, "CREATE TABLE t (id INTEGER)")
	res := c.Test(context.Background())
	require.True(t, res.OK, res.Message)
}

func TestSQLite_TestAnswersNotOKForAFileThatIsNotADatabase(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "notes.sqlite")
	require.NoError(t, os.WriteFile(path, []byte("just some text, long enough to look like a header maybe"), 0o600))
	res := connectorFor(t, path).Test(context.Background())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "not a database")
	require.NotContains(t, res.Message, path)
}

func TestSQLite_TestAnswersNotOKForAMissingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gone.sqlite")
	res := connectorFor(t, path).Test(context.Background())
	require.False(t, res.OK)
	require.NotContains(t, res.Message, path, "the server's file layout is not shown")
	_, err := os.Stat(path)
	require.True(t, os.IsNotExist(err), "read-only open must not create the file")

	files := func(context.Context, int64) (string, error) { return "", errors.New("file 9 not found") }
	c, err := New(map[string]any{"file_id": 9}, connectors.Env{Files: files})
	require.NoError(t, err)
	res = c.Test(context.Background())
	require.False(t, res.OK)
	require.Contains(t, res.Message, "not found")
}

func TestSQLite_CatalogListsTablesViewsAndColumns(t *testing.T) {
	t.Parallel()
	c, _ := makeFile(t,
		`CREATE TABLE orders (id INTEGER, line int NOT NULL, note TEXT NOT NULL, amount NUMERIC(12,2), loose, PRIMARY KEY (id, line))`,
		`CREATE VIEW big AS SELECT id FROM orders WHERE amount > 100`,
		`CREATE TABLE "we""ird name" ("col ""x""" text)`)
	schemas, err := c.Catalog(context.Background())
	require.NoError(t, err)
	require.Equal(t, []connectors.Schema{{Name: "main", Tables: []connectors.Table{
		{Name: "big", Kind: connectors.KindView, Columns: []connectors.Column{{Name: "id", Type: "INTEGER", Nullable: true}}},
		{Name: "orders", Kind: connectors.KindTable, Columns: []connectors.Column{
			{Name: "id", Type: "INTEGER", PrimaryKey: true},
			{Name: "line", Type: "INT", PrimaryKey: true},
			{Name: "note", Type: "TEXT"},
			{Name: "amount", Type: "NUMERIC(12,2)", Nullable: true},
			{Name: "loose", Type: "ANY", Nullable: true},
		}},
		{Name: `we"ird name`, Kind: connectors.KindTable, Columns: []connectors.Column{{Name: `col "x"`, Type: "TEXT", Nullable: true}}},
	}}}, schemas)
}

func TestSQLite_CatalogAndQueryReadChinookInPlace(t *testing.T) {
	t.Parallel()
	path := "/work/shared/datasets/chinook/Chinook_Sqlite.sqlite"
	if _, err := os.Stat(path); err != nil {
		t.Skip("the Chinook dataset is not on this machine")
	}
	before := digest(t, path)
	c := connectorFor(t, path)
	schemas, err := c.Catalog(context.Background())
	require.NoError(t, err)
	var names []string
	for _, tb := range schemas[0].Tables {
		names = append(names, tb.Name)
	}
	require.Contains(t, names, "Album")
	require.Contains(t, names, "Track")
	res, err := c.Query(context.Background(), "SELECT Name FROM Artist ORDER BY ArtistId", 2)
	require.NoError(t, err)
	require.Equal(t, [][]any{{"AC/DC"}, {"Accept"}}, res.Rows)
	require.True(t, res.Truncated)
	require.Equal(t, before, digest(t, path), "the file is not modified")
}

func TestSQLite_QueryReturnsJSONFriendlyValues(t *testing.T) {
	t.Parallel()
	c, _ := makeFile(t, "CREATE TABLE v (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)",
		"INSERT INTO v VALUES (9007199254740993, 1.5, 'héllo', X'000102', NULL)")
	res, err := c.Query(context.Background(), "SELECT * FROM v", 10)
	require.NoError(t, err)
	require.Equal(t, []string{"i", "r", "s", "b", "n"}, res.Columns)
	require.Equal(t, [][]any{{int64(9007199254740993), 1.5, "héllo", "AAEC", nil}}, res.Rows)
}

func TestSQLite_QueryCapsRowsAndFlagsTruncation(t *testing.T) {
	t.Parallel()
	c, _ := makeFile(t, "CREATE TABLE t (id INTEGER)")
	start := time.Now()
	res, err := c.Query(context.Background(),
		"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 50000000) SELECT x FROM n", 3)
	require.NoError(t, err)
	require.Less(t, time.Since(start), 3*time.Second, "the rest of the rows is not computed")
	require.Equal(t, [][]any{{int64(1)}, {int64(2)}, {int64(3)}}, res.Rows)
	require.True(t, res.Truncated)
}

func TestSQLite_QueryWritesAndDDLAreRefusedBySQLite(t *testing.T) {
	t.Parallel()
	c, path := makeFile(t, "CREATE TABLE t (id INTEGER)", "INSERT INTO t VALUES (1)")
	before := digest(t, path)
	out := filepath.Join(t.TempDir(), "copy.sqlite")
	other := filepath.Join(t.TempDir(), "other.sqlite")
	for _, stmt := range []string{
		"INSERT INTO t VALUES (2)",
		"UPDATE t SET id = 3",
		"DELETE FROM t",
		"CREATE TABLE t2 (id INTEGER)",
		"DROP TABLE t",
		"CREATE TEMP TABLE tt (id INTEGER)",
		"PRAGMA user_version = 5",
		"VACUUM",
		"VACUUM INTO '" + out + "'",
		"ATTACH DATABASE '" + other + "' AS other",
	} {
		_, err := c.Query(context.Background(), stmt, 10)
		require.Error(t, err, stmt)
	}
	require.Equal(t, before, digest(t, path), "the file is not modified")
	_, err := os.Stat(out)
	require.True(t, os.IsNotExist(err), "VACUUM INTO wrote no file")
	_, err = os.Stat(other)
	require.True(t, os.IsNotExist(err), "ATTACH opened no file")
}

func TestSQLite_QueryRefusesMoreThanOneStatement(t *testing.T) {
	t.Parallel()
	c, _ := makeFile(t, "CREATE TABLE t (id INTEGER)")
	_, err := c.Query(context.Background(), "SELECT 1; SELECT 2", 10)
	require.ErrorIs(t, err, ErrManyStatements)
}

func TestSQLite_QueryStopsAtTheStatementTimeout(t *testing.T) {
	t.Parallel()
	c, _ := makeFile(t, "CREATE TABLE t (id INTEGER)")
	c.statementTimeout = 300 * time.Millisecond
	start := time.Now()
	_, err := c.Query(context.Background(),
		"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5000000000) SELECT count(*) FROM n", 10)
	require.Error(t, err)
	require.Less(t, time.Since(start), 3*time.Second)
}
