package transform

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/testutil"
	"github.com/datanika/datanika/internal/transform/dialect"
)

// postgresTarget is an empty database of its own on the local server, dropped after the test.
func postgresTarget(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", testutil.EmptyDatabase(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func runDir(t *testing.T, db *sql.DB, d *dialect.Dialect, schema, dir, command, sel string, mutate ...func(*Options)) *Summary {
	t.Helper()
	p := loadDir(t, dir)
	opts := Options{Dialect: d, TargetSchema: schema, Threads: 4}
	for _, m := range mutate {
		m(&opts)
	}
	e, err := New(context.Background(), p, opts)
	require.NoError(t, err)
	s, err := e.Run(context.Background(), db, command, sel, "")
	require.NoError(t, err)
	return s
}

func byID(s *Summary) map[string]Result {
	out := map[string]Result{}
	for _, r := range s.Nodes {
		out[r.UniqueID] = r
	}
	return out
}

func requireAllOK(t *testing.T, s *Summary) {
	t.Helper()
	for _, r := range s.Nodes {
		require.Truef(t, r.ok(), "%s: %s %s", r.UniqueID, r.Status, r.Message)
	}
	require.Equal(t, StatusSuccess, s.Status)
}

func scalar[T any](t *testing.T, db *sql.DB, q string, args ...any) T {
	t.Helper()
	var v T
	require.NoError(t, db.QueryRowContext(context.Background(), q, args...).Scan(&v), q)
	return v
}

func appendLine(t *testing.T, path, line string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	_, err = f.WriteString(line + "\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func TestJaffleShop_BuildsPassesAndRebuildsIncrementallyOnPostgres(t *testing.T) {
	t.Parallel()
	dir := jaffleDir(t, true)
	db := postgresTarget(t)
	testJaffleShop(t, db, dialect.Postgres, "analytics", dir, func(q string) string { return q })
}

// testJaffleShop is the acceptance scenario on any live dialect; ph rewrites $1 placeholders.
func testJaffleShop(t *testing.T, db *sql.DB, d *dialect.Dialect, schema, dir string, ph func(string) string) {
	first := runDir(t, db, d, schema, dir, CmdBuild, "")
	requireAllOK(t, first)
	res := byID(first)
	require.Equal(t, StatusSuccess, res["model.jaffle_shop.customers"].Status)
	require.Equal(t, StatusPass, res["test.jaffle_shop.relationships_orders_customer_id__customer_id__ref_customers_.c6ec7f58f2"].Status)
	require.Equal(t, int64(113), res["seed.jaffle_shop.raw_payments"].RowsAffected)
	require.NotContains(t, res, "model.jaffle_shop.order_payments", "ephemeral models are not run")
	var tests int
	for _, r := range first.Nodes {
		if r.ResourceType == "test" {
			tests++
		}
	}
	require.GreaterOrEqual(t, tests, 20)

	q := func(s string) string { return strings.ReplaceAll(ph(s), `"`, quoteChar(d)) }
	require.Equal(t, 100, scalar[int](t, db, q(`select count(*) from "`+schema+`"."customers"`)))
	require.Equal(t, 99, scalar[int](t, db, q(`select count(*) from "`+schema+`"."orders"`)))
	// Customer 1 paid 10 + 20 + 10 + ... : lifetime value is the sum of their payments in dollars.
	require.InDelta(t, 33.0, scalar[float64](t, db, q(`select customer_lifetime_value from "`+schema+`"."customers" where customer_id = 1`)), 0.001)
	require.Equal(t, 113, scalar[int](t, db, q(`select count(*) from "`+schema+`"."payments_incremental"`)))
	require.Equal(t, 99, scalar[int](t, db, q(`select count(*) from "`+schema+`"."orders_snapshot"`)))

	// New raw data: a payment and a changed order status.
	appendLine(t, filepath.Join(dir, "seeds", "raw_payments.csv"), "114,99,coupon,500")
	orders, err := os.ReadFile(filepath.Join(dir, "seeds", "raw_orders.csv"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "seeds", "raw_orders.csv"),
		[]byte(strings.Replace(string(orders), "2,3,2018-01-02,completed", "2,3,2018-01-02,returned", 1)), 0o600))

	second := runDir(t, db, d, schema, dir, CmdBuild, "")
	requireAllOK(t, second)
	res = byID(second)
	inc := res["model.jaffle_shop.payments_incremental"]
	require.Equal(t, "incremental", inc.Message, "the second build merges into the existing table")
	require.Equal(t, int64(1), inc.RowsAffected, "only the new payment is inserted")
	require.Equal(t, "reloaded in place", res["seed.jaffle_shop.raw_payments"].Message)
	require.Equal(t, 114, scalar[int](t, db, q(`select count(*) from "`+schema+`"."payments_incremental"`)))
	require.Equal(t, 100, scalar[int](t, db, q(`select count(*) from "`+schema+`"."orders_snapshot"`)))
	require.Equal(t, 1, scalar[int](t, db, q(`select count(*) from "`+schema+`"."orders_snapshot" where id = 2 and dbt_valid_to is null and status = 'returned'`)))
	require.Equal(t, 1, scalar[int](t, db, q(`select count(*) from "`+schema+`"."orders_snapshot" where id = 2 and dbt_valid_to is not null and status = 'completed'`)))
}

func quoteChar(d *dialect.Dialect) string { return d.Quote("")[:1] }
