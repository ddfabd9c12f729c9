package transform

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"testing"

	_ "github.com/go-sql-driver/mysql" // database/sql driver "mysql"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/testutil"
	"github.com/datanika/datanika/internal/transform/dialect"
)

// mysqlTarget creates a database dnk_test_<random> on the local MariaDB/MySQL and drops it,
// with any custom-schema databases made from its name, after the test.
func mysqlTarget(t *testing.T) (*sql.DB, string) {
	t.Helper()
	dsn := testutil.MySQLDSN(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "dnk_test_" + hex.EncodeToString(b)
	db, err := sql.Open("mysql", dsn+"?parseTime=true&multiStatements=false")
	require.NoError(t, err)
	ctx := context.Background()
	_, err = db.ExecContext(ctx, "create database "+dialect.MySQL.Quote(name))
	require.NoError(t, err)
	t.Cleanup(func() {
		for _, n := range databasesLike(ctx, db, name+"%") {
			_, _ = db.ExecContext(ctx, "drop database "+dialect.MySQL.Quote(n))
		}
		_ = db.Close()
	})
	return db, name
}

func TestJaffleShop_BuildsPassesAndRebuildsIncrementallyOnMariaDB(t *testing.T) {
	t.Parallel()
	dir := jaffleDir(t, true)
	db, schema := mysqlTarget(t)
	testJaffleShop(t, db, dialect.MySQL, schema, dir, func(q string) string { return q })
}

func databasesLike(ctx context.Context, db *sql.DB, pattern string) []string {
	rows, err := db.QueryContext(ctx, "select schema_name from information_schema.schemata where schema_name like ?", pattern)
	if err != nil {
		return nil
	}
	defer func() { _ = rows.Close() }()
	var names []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			names = append(names, n)
		}
	}
	if rows.Err() != nil {
		return nil
	}
	return names
}
