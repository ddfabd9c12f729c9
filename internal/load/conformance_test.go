package load_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
	"github.com/datanika/datanika/internal/testutil"
)

// The destination conformance suite (package loadtest) against the destinations that run
// here; the warehouses' run it in package sqlgen, behind their live-test variables.

func TestConformance_Postgres(t *testing.T) {
	t.Parallel()
	loadtest.Exercise(t, func(t *testing.T) *loadtest.Target {
		u := testutil.EmptyDatabase(t)
		ep, err := load.ParseURL(u)
		require.NoError(t, err)
		db, err := sql.Open("pgx", u)
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		return &loadtest.Target{
			Endpoint:      ep,
			DB:            db,
			Quote:         load.Postgres.Quote,
			Text:          func(expr string) string { return "CAST(" + expr + " AS text)" },
			Bind:          func(n int) string { return fmt.Sprintf("$%d", n) },
			DropSchema:    func(s string) string { return "DROP SCHEMA IF EXISTS " + load.Postgres.Quote(s) + " CASCADE" },
			MaxIdentifier: 63,
			Char:          true,
			Duration:      true,
		}
	})
}

func TestConformance_MariaDB(t *testing.T) {
	t.Parallel()
	loadtest.Exercise(t, func(t *testing.T) *loadtest.Target {
		dsn := strings.TrimSuffix(testutil.MySQLDSN(t), "/")
		ep, err := load.ParseURL(dbtest.MySQLURL(dsn, ""))
		require.NoError(t, err)
		db, err := sql.Open("mysql", dsn+"/")
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		require.NoError(t, db.PingContext(context.Background()))
		return &loadtest.Target{
			Endpoint:      ep,
			DB:            db,
			Quote:         load.MySQL.Quote,
			Text:          func(expr string) string { return "CAST(" + expr + " AS CHAR)" },
			Bind:          func(int) string { return "?" },
			DropSchema:    func(s string) string { return "DROP DATABASE IF EXISTS " + load.MySQL.Quote(s) },
			MaxIdentifier: 64,
			Char:          true,
			Duration:      true,
		}
	})
}
