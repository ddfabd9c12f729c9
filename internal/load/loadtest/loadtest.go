// Package loadtest is the destination conformance suite of the load engine: one set of cases
// that every destination passes, run from each destination's own test file with a Target that
// says how to reach it and how to read it back. A new destination is done when it is registered
// and Exercise passes against it.
//
// The cases drive load.Run end to end from a PostgreSQL source (and a MariaDB one for MySQL's
// TIME), as the program does, and check the destination through its own SQL:
//
//   - an append retried under the same run id (a new attempt, as the run worker does) never
//     appends twice;
//   - replace swaps the table atomically: a reader counting it all along sees the old table or
//     the new one, never an error, an empty table or half of one;
//   - merge keeps the last row read per key, duplicates within one batch included;
//   - the schema contract: evolve adds and widens columns, freeze fails naming the table or
//     column and leaves the destination as it was, discard_row and discard_value keep what they
//     leave out in _dnk_rejected with the reason;
//   - hostile schema, table and column names (quotes, backticks, semicolons, unicode, reserved
//     words, names at the length limit, "__") round-trip in every disposition;
//   - char(n) and MySQL's TIME (load.KindChar, load.KindDuration), where the destination has them.
package loadtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
	_ "github.com/datanika/datanika/internal/load/myload" // the MySQL/MariaDB source (TIME)
	_ "github.com/datanika/datanika/internal/load/pgload" // the PostgreSQL source and destination
	"github.com/datanika/datanika/internal/testutil"
)

// Target is one destination under test.
type Target struct {
	// Endpoint is what load.Run writes to; every case loads into a schema of its own in it.
	Endpoint load.Endpoint
	// DB reads the destination back; every name the suite sends through it is qualified with
	// the schema.
	DB *sql.DB
	// Quote quotes an identifier for the destination's SQL.
	Quote func(name string) string
	// Text is the destination's SQL that casts expr to a character string.
	Text func(expr string) string
	// Bind is the destination's placeholder for the n-th (1-based) query argument.
	Bind func(n int) string
	// DropSchema is the statement that drops a schema (unquoted) the suite made, with
	// everything in it.
	DropSchema func(schema string) string
	// MaxIdentifier is the longest name, in bytes, the destination takes for a table or column
	// (the source, PostgreSQL, takes 63).
	MaxIdentifier int
	// Char says the destination has char(n); Duration that it has a type for MySQL's TIME
	// (its whole range, fractional seconds kept).
	Char, Duration bool
	// NoChecksum says the destination cannot verify by checksum (the suite verifies by count).
	NoChecksum bool
	// NoPrimaryKeys says the destination declares no primary key in
	// information_schema.table_constraints (ClickHouse), so the suite does not look for one.
	NoPrimaryKeys bool
	// Hold, when not nil, maps a name of the suite (kind "schema", "table" or "column") to one
	// the destination can hold at all (BigQuery: datasets of letters, digits and underscores;
	// no quotes, backticks or semicolons in table and column names), so that the hostile names
	// that remain still round-trip; nil keeps every name.
	Hold func(kind, name string) string
	// From, when not nil, is what a query reads for a qualified table (ClickHouse: "t FINAL",
	// so that rows a merge replaced are not counted before the engine collapses them).
	From func(qualified string) string
}

// env is one Exercise's source and target.
type env struct {
	target *Target
	src    *pgxpool.Pool
	srcEP  load.Endpoint
}

// Exercise runs the conformance suite against the destination newTarget makes (once, for all
// the cases, which run in parallel, each in schemas of its own).
func Exercise(t *testing.T, newTarget func(t *testing.T) *Target) {
	t.Helper()
	target := newTarget(t) // first: it skips when its destination is not configured
	u := testutil.EmptyDatabase(t)
	pool, err := pgxpool.New(context.Background(), u)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	srcEP, err := load.ParseURL(u)
	require.NoError(t, err)
	e := &env{target: target, src: pool, srcEP: srcEP}

	for _, c := range []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"AppendRetriedOnceNeverAppendsTwice", appendRetried},
		{"ReplaceSwapsAtomicallyForReaders", replaceSwaps},
		{"MergeLastRowWinsPerKey", mergeLastRowWins},
		{"ContractEvolveAddsAndWidens", contractEvolve},
		{"ContractFreezeFailsAndChangesNothing", contractFreeze},
		{"ContractDiscardKeepsRejectedWithReason", contractDiscard},
		{"HostileNamesRoundTrip", hostileNames},
		{"CharAndDuration", charAndDuration},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, e)
		})
	}
}

// srcSchema makes a source schema of the case's own, whose tables the statements create.
func (e *env) srcSchema(t *testing.T, stmts ...string) string {
	t.Helper()
	name := "src_" + suffix()
	e.srcExec(t, "CREATE SCHEMA "+name)
	for _, s := range stmts {
		e.srcExec(t, strings.ReplaceAll(s, "src.", name+"."))
	}
	return name
}

func (e *env) srcExec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		_, err := e.src.Exec(context.Background(), s)
		require.NoError(t, err, s)
	}
}

// schema names a destination schema for the case, dropped after it.
func (e *env) schema(t *testing.T, prefix string) string {
	t.Helper()
	s := e.hold("schema", prefix+suffix())
	t.Cleanup(func() { _, _ = e.target.DB.ExecContext(context.Background(), e.target.DropSchema(s)) })
	return s
}

// hold is a name as the target can hold it (Target.Hold).
func (e *env) hold(kind, name string) string {
	if e.target.Hold == nil {
		return name
	}
	return e.target.Hold(kind, name)
}

func (e *env) table(schema, table string) string {
	q := e.target.Quote(schema) + "." + e.target.Quote(table)
	if e.target.From != nil {
		return e.target.From(q)
	}
	return q
}

// primaryKeys counts a table's primary keys (-1: the destination declares none).
func (e *env) primaryKeys(t *testing.T, schema, table string) int64 {
	t.Helper()
	if e.target.NoPrimaryKeys {
		return -1
	}
	b := e.target.Bind
	return e.count(t, "SELECT COUNT(*) FROM information_schema.table_constraints WHERE table_schema = "+b(1)+
		" AND table_name = "+b(2)+" AND constraint_type = 'PRIMARY KEY'", schema, table)
}

// plainName is a {name} in the suite's SQL: a column name, quoted for the destination (an
// unquoted name is folded to upper case in some systems).
var plainName = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

func (e *env) names(q string) string {
	return plainName.ReplaceAllStringFunc(q, func(m string) string { return e.target.Quote(m[1 : len(m)-1]) })
}

// count runs a COUNT query on the destination, {name}s quoted.
func (e *env) count(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	q = e.names(q)
	var n int64
	require.NoError(t, e.target.DB.QueryRowContext(context.Background(), q, args...).Scan(&n), q)
	return n
}

func (e *env) rows(t *testing.T, schema, table, where string, args ...any) int64 {
	t.Helper()
	q := "SELECT COUNT(*) FROM " + e.table(schema, table)
	if where != "" {
		q += " WHERE " + where
	}
	return e.count(t, q, args...)
}

// text reads one value as text (NULL: "<null>").
func (e *env) text(t *testing.T, q string, args ...any) string {
	t.Helper()
	q = e.names(q)
	var s sql.NullString
	require.NoError(t, e.target.DB.QueryRowContext(context.Background(), q, args...).Scan(&s), q)
	if !s.Valid {
		return "<null>"
	}
	return s.String
}

// columns lists a destination table's columns, in order.
func (e *env) columns(t *testing.T, schema, table string) []string {
	t.Helper()
	b := e.target.Bind
	//nolint:gosec // only the target's placeholders are concatenated; the names are bind parameters
	rows, err := e.target.DB.QueryContext(context.Background(), "SELECT column_name FROM information_schema.columns WHERE table_schema = "+
		b(1)+" AND table_name = "+b(2)+" ORDER BY ordinal_position", schema, table)
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var c string
		require.NoError(t, rows.Scan(&c))
		out = append(out, c)
	}
	require.NoError(t, rows.Err())
	return out
}

// tables lists the tables of a destination schema.
func (e *env) tables(t *testing.T, schema string) []string {
	t.Helper()
	//nolint:gosec // only the target's placeholder is concatenated; the schema is a bind parameter
	rows, err := e.target.DB.QueryContext(context.Background(),
		"SELECT table_name FROM information_schema.tables WHERE table_schema = "+e.target.Bind(1)+" ORDER BY table_name", schema)
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var c string
		require.NoError(t, rows.Scan(&c))
		out = append(out, c)
	}
	require.NoError(t, rows.Err())
	return out
}

// onlyTables checks that the schema holds the loaded tables and the loader's record, and no
// staging left over.
func (e *env) onlyTables(t *testing.T, schema string, loaded ...string) {
	t.Helper()
	for _, name := range e.tables(t, schema) {
		switch name {
		case load.LedgerTable, "_dnk_state", load.RejectedTable:
		default:
			require.Contains(t, loaded, name, "a table left in %q", schema)
		}
	}
}

// verify is the strictest verify the target takes.
func (e *env) verify() string {
	if e.target.NoChecksum {
		return load.VerifyCount
	}
	return load.VerifyChecksum
}

// spec is a run of the config cfg, whose "src." is the source schema src and whose $VERIFY is
// the strictest verify the target takes.
func (e *env) spec(src, schema, cfg string) load.Spec {
	cfg = strings.ReplaceAll(cfg, "$VERIFY", e.verify())
	c, err := load.ParseConfig([]byte(strings.ReplaceAll(cfg, "src.", src+".")))
	if err != nil {
		panic(fmt.Sprintf("config %s: %v", cfg, err))
	}
	return load.Spec{Pipeline: "conformance", Source: e.srcEP, Destination: e.target.Endpoint, DestinationSchema: schema, Config: c}
}

func run(t *testing.T, spec load.Spec) (load.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return load.Run(ctx, spec, nil, nil)
}

func suffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func appendRetried(t *testing.T, e *env) {
	src := e.srcSchema(t, "CREATE TABLE src.orders (id int PRIMARY KEY, amount numeric(12,2))",
		"INSERT INTO src.orders SELECT g, g * 1.5 FROM generate_series(1, 100) g")
	schema := e.schema(t, "dnk_append_")
	spec := e.spec(src, schema, `{"mode": "single_table", "table": "src.orders", "verify": "$VERIFY"}`)
	// The run worker retries a run under its chain's first run id, each attempt named apart.
	spec.RunID, spec.Attempt = "run-1", "attempt-1"
	res, err := run(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(100), res.RowsLoaded)
	spec.Attempt = "attempt-2"
	_, err = run(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(100), e.rows(t, schema, "orders", ""), "a retry of a published run appended again")
	sum, err := strconv.ParseFloat(e.text(t, "SELECT "+e.target.Text("SUM({amount})")+" FROM "+e.table(schema, "orders")), 64)
	require.NoError(t, err)
	require.InDelta(t, 7575.0, sum, 0.001)

	spec.RunID, spec.Attempt = "run-2", "" // a new run appends again
	_, err = run(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(200), e.rows(t, schema, "orders", ""))
	require.Equal(t, int64(2), e.count(t, "SELECT COUNT(DISTINCT {_dnk_run_id}) FROM "+e.table(schema, "orders")))
	require.Equal(t, int64(200), e.rows(t, schema, "orders", "{_dnk_loaded_at} IS NOT NULL"))
	e.onlyTables(t, schema, "orders")
}

func replaceSwaps(t *testing.T, e *env) {
	src := e.srcSchema(t, "CREATE TABLE src.items (id int PRIMARY KEY, name text)",
		"INSERT INTO src.items SELECT g, 'n' || g FROM generate_series(1, 300) g")
	schema := e.schema(t, "dnk_replace_")
	all := e.spec(src, schema, `{"mode": "single_table", "table": "src.items", "write_disposition": "replace"}`)
	some := e.spec(src, schema, `{"mode": "single_table", "table": "src.items", "write_disposition": "replace",
		"filters": [{"column": "id", "op": "lte", "value": 10}]}`)
	_, err := run(t, all)
	require.NoError(t, err)

	// A reader counts the table all along: it sees the old table or the new one, never an
	// error, an empty table or half of one.
	stop := make(chan struct{})
	done := make(chan struct{})
	seen := map[int64]int{}
	var readErr error
	q := "SELECT COUNT(*) FROM " + e.table(schema, "items")
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			var n int64
			if err := e.target.DB.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
				readErr = err
				return
			}
			seen[n]++
		}
	}()
	for _, s := range []load.Spec{some, all, some, all, some} {
		_, err = run(t, s)
		require.NoError(t, err)
	}
	close(stop)
	<-done
	require.NoError(t, readErr, "a reader failed during a replace")
	reads := 0
	for n, times := range seen {
		require.Contains(t, []int64{10, 300}, n, "a reader saw %d rows", n)
		reads += times
	}
	require.Positive(t, reads)
	require.Equal(t, int64(10), e.rows(t, schema, "items", ""))
	if n := e.primaryKeys(t, schema, "items"); n >= 0 {
		require.Equal(t, int64(1), n, "the primary key did not survive the swap")
	}
	e.onlyTables(t, schema, "items")
}

func mergeLastRowWins(t *testing.T, e *env) {
	// No key in the source, so duplicates of the key arrive in one batch; seq orders them.
	src := e.srcSchema(t, "CREATE TABLE src.events (region text, id int, v text, seq int)",
		"INSERT INTO src.events VALUES ('eu', 1, 'old', 1), ('eu', 1, 'new', 2), ('us', 1, 'us', 3), ('eu', 2, 'two', 4), ('EU', 1, 'upper', 5)")
	schema := e.schema(t, "dnk_merge_")
	spec := e.spec(src, schema, `{"mode": "single_table", "table": "src.events", "write_disposition": "merge",
		"primary_key": ["region", "id"], "incremental": {"cursor_path": "seq"}, "verify": "$VERIFY"}`)
	res, err := run(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(4), res.Tables[0].RowsWritten) // keys compare exactly: EU is not eu
	b := e.target.Bind
	value := func(region string, id int) string {
		return e.text(t, "SELECT "+e.target.Text("{v}")+" FROM "+e.table(schema, "events")+" WHERE {region} = "+b(1)+" AND {id} = "+b(2), region, id)
	}
	require.Equal(t, "new", value("eu", 1))
	require.Equal(t, "upper", value("EU", 1))

	// Later rows update by key (the last of two for one key wins) and insert new keys.
	e.srcExec(t, "INSERT INTO "+src+".events VALUES ('us', 1, 'us2', 6), ('ap', 9, 'ap', 7), ('us', 1, 'us3', 8)")
	res, err = run(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(3), res.Tables[0].RowsRead)
	require.Equal(t, int64(5), e.rows(t, schema, "events", ""))
	require.Equal(t, "us3", value("us", 1))
	require.Equal(t, "new", value("eu", 1))
	require.Equal(t, "ap", value("ap", 9))

	// Across batches too: one row a batch.
	e.srcExec(t, "INSERT INTO "+src+".events VALUES ('ap', 9, 'ap2', 9), ('eu', 2, 'two2', 10), ('ap', 9, 'ap3', 11)")
	spec = e.spec(src, schema, `{"mode": "single_table", "table": "src.events", "write_disposition": "merge", "batch_size": 1,
		"primary_key": ["region", "id"], "incremental": {"cursor_path": "seq"}}`)
	_, err = run(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(5), e.rows(t, schema, "events", ""))
	require.Equal(t, "ap3", value("ap", 9))
	require.Equal(t, "two2", value("eu", 2))
	if n := e.primaryKeys(t, schema, "events"); n >= 0 {
		require.Equal(t, int64(1), n, "merge left no primary key")
	}
	e.onlyTables(t, schema, "events")
}

func contractEvolve(t *testing.T, e *env) {
	src := e.srcSchema(t, "CREATE TABLE src.c (id int, n int, v varchar(5))", "INSERT INTO src.c VALUES (1, 1, 'a')")
	schema := e.schema(t, "dnk_evolve_")
	spec := e.spec(src, schema, `{"mode": "single_table", "table": "src.c"}`)
	_, err := run(t, spec)
	require.NoError(t, err)

	// evolve (the default) adds a new column and widens n and v for values the old types
	// cannot hold.
	e.srcExec(t, "ALTER TABLE "+src+".c ADD COLUMN extra text", "ALTER TABLE "+src+".c ALTER COLUMN n TYPE bigint",
		"ALTER TABLE "+src+".c ALTER COLUMN v TYPE varchar(50)",
		"INSERT INTO "+src+".c VALUES (2, 5000000000, 'longer than five', 'x')")
	res, err := run(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(2), res.Tables[0].RowsWritten)
	require.Contains(t, e.columns(t, schema, "c"), "extra")
	require.Equal(t, int64(3), e.rows(t, schema, "c", ""))
	b := e.target.Bind
	require.Equal(t, "5000000000", e.text(t, "SELECT "+e.target.Text("{n}")+" FROM "+e.table(schema, "c")+" WHERE {id} = "+b(1), 2))
	require.Equal(t, "longer than five", e.text(t, "SELECT "+e.target.Text("{v}")+" FROM "+e.table(schema, "c")+" WHERE {id} = "+b(1), 2))
	require.Equal(t, "x", e.text(t, "SELECT "+e.target.Text("{extra}")+" FROM "+e.table(schema, "c")+" WHERE {id} = "+b(1), 2))
	require.Equal(t, int64(2), e.rows(t, schema, "c", "{extra} IS NULL"))
}

func contractFreeze(t *testing.T, e *env) {
	src := e.srcSchema(t, "CREATE TABLE src.c (id int, v text)", "INSERT INTO src.c VALUES (1, 'a')")
	schema := e.schema(t, "dnk_freeze_")

	// tables: freeze: a table that is not there fails, naming it, and nothing is created.
	_, err := run(t, e.spec(src, schema, `{"mode": "single_table", "table": "src.c", "schema_contract": "freeze"}`))
	require.ErrorIs(t, err, load.ErrContract)
	require.ErrorContains(t, err, fmt.Sprintf(`table %q does not exist`, schema+".c"))
	require.Empty(t, e.tables(t, schema))

	_, err = run(t, e.spec(src, schema, `{"mode": "single_table", "table": "src.c"}`))
	require.NoError(t, err)
	before := e.columns(t, schema, "c")

	// columns: freeze: a new column fails naming it; nothing changes, in any disposition.
	e.srcExec(t, "ALTER TABLE "+src+".c ADD COLUMN extra int", "INSERT INTO "+src+".c VALUES (2, 'b', 7)")
	for _, mode := range []string{"append", "merge", "replace"} {
		_, err = run(t, e.spec(src, schema, `{"mode": "single_table", "table": "src.c", "primary_key": "id",
			"write_disposition": "`+mode+`", "schema_contract": {"columns": "freeze"}}`))
		require.ErrorIs(t, err, load.ErrContract, mode)
		require.ErrorContains(t, err, fmt.Sprintf(`column "extra" of %q is not in the destination`, schema+".c"), mode)
		require.Equal(t, int64(1), e.rows(t, schema, "c", ""), mode)
		require.Equal(t, before, e.columns(t, schema, "c"), mode)
	}

	// data_type: freeze: a changed type fails naming the column; nothing changes.
	e.srcExec(t, "ALTER TABLE "+src+".c DROP COLUMN extra", "ALTER TABLE "+src+".c ALTER COLUMN v TYPE int USING 0")
	_, err = run(t, e.spec(src, schema, `{"mode": "single_table", "table": "src.c", "schema_contract": {"data_type": "freeze"}}`))
	require.ErrorIs(t, err, load.ErrContract)
	require.ErrorContains(t, err, fmt.Sprintf(`column "v" of %q is `, schema+".c"))
	require.ErrorContains(t, err, "schema_contract.data_type is freeze")
	require.Equal(t, int64(1), e.rows(t, schema, "c", ""))
	require.Equal(t, before, e.columns(t, schema, "c"))
	e.onlyTables(t, schema, "c")
}

func contractDiscard(t *testing.T, e *env) {
	src := e.srcSchema(t, "CREATE TABLE src.c (id int, n int)", "INSERT INTO src.c VALUES (1, 1)")
	schema := e.schema(t, "dnk_discard_")
	_, err := run(t, e.spec(src, schema, `{"mode": "single_table", "table": "src.c"}`))
	require.NoError(t, err)
	rejected := func(runID, column, reason string) int64 {
		b := e.target.Bind
		return e.count(t, "SELECT COUNT(*) FROM "+e.table(schema, load.RejectedTable)+" WHERE {run_id} = "+b(1)+
			" AND {table_name} = 'c' AND {column_name} = "+b(2)+" AND {reason} LIKE "+b(3), runID, column, reason)
	}

	// columns: discard_row leaves out the rows that carry a value in a new column, and keeps
	// them with the reason; the column is not added.
	e.srcExec(t, "ALTER TABLE "+src+".c ADD COLUMN later text", "INSERT INTO "+src+".c VALUES (2, 2, 'x'), (3, 3, NULL)")
	spec := e.spec(src, schema, `{"mode": "single_table", "table": "src.c", "schema_contract": {"columns": "discard_row"},
		"incremental": {"cursor_path": "id", "initial_value": 2}}`)
	spec.RunID = "discard-row"
	res, err := run(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(2), res.Tables[0].RowsRead)
	require.Equal(t, int64(1), res.Tables[0].RowsWritten)
	require.Equal(t, int64(1), res.Tables[0].RowsRejected)
	require.NotContains(t, e.columns(t, schema, "c"), "later")
	require.Equal(t, int64(0), e.rows(t, schema, "c", "{id} = 2"))
	require.Equal(t, int64(1), e.rows(t, schema, "c", "{id} = 3"))
	require.Equal(t, int64(1), rejected("discard-row", "later", `discard_row: column "later": the column is not in the destination`))

	// data_type: discard_value nulls the values the destination's type cannot hold (an int
	// column, a bigint source) and keeps them; discard_row leaves their rows out.
	e.srcExec(t, "ALTER TABLE "+src+".c DROP COLUMN later", "ALTER TABLE "+src+".c ALTER COLUMN n TYPE bigint",
		"INSERT INTO "+src+".c VALUES (4, 5000000000), (5, 5)")
	spec = e.spec(src, schema, `{"mode": "single_table", "table": "src.c", "schema_contract": {"data_type": "discard_value"},
		"incremental": {"cursor_path": "id", "initial_value": 4}}`)
	spec.RunID = "discard-value"
	res, err = run(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(2), res.Tables[0].RowsWritten)
	require.Equal(t, int64(1), res.Tables[0].RowsRejected)
	require.Equal(t, int64(1), e.rows(t, schema, "c", "{id} = 4 AND {n} IS NULL"))
	require.Equal(t, int64(1), e.rows(t, schema, "c", "{id} = 5 AND {n} = 5"))
	require.Equal(t, int64(1), rejected("discard-value", "n", `discard_value: column "n"%`))

	e.srcExec(t, "INSERT INTO "+src+".c VALUES (6, -5000000000), (7, 7)")
	spec = e.spec(src, schema, `{"mode": "single_table", "table": "src.c", "schema_contract": {"data_type": "discard_row"},
		"incremental": {"cursor_path": "id", "initial_value": 6}}`)
	spec.RunID = "discard-type-row"
	res, err = run(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(1), res.Tables[0].RowsWritten)
	require.Equal(t, int64(1), res.Tables[0].RowsRejected)
	require.Equal(t, int64(0), e.rows(t, schema, "c", "{id} = 6"))
	require.Equal(t, int64(1), e.rows(t, schema, "c", "{id} = 7 AND {n} = 7"))
	require.Equal(t, int64(1), rejected("discard-type-row", "n", `discard_row: column "n"%`))

	// A source type the destination's cannot hold at all (text into int): discard_value nulls
	// every value and keeps them all.
	e.srcExec(t, "ALTER TABLE "+src+".c ALTER COLUMN n TYPE text", "INSERT INTO "+src+".c VALUES (8, 'eight'), (9, '9'), (10, NULL)")
	spec = e.spec(src, schema, `{"mode": "single_table", "table": "src.c", "schema_contract": {"data_type": "discard_value"},
		"incremental": {"cursor_path": "id", "initial_value": 8}}`)
	spec.RunID = "discard-incompatible"
	res, err = run(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(3), res.Tables[0].RowsWritten)
	require.Equal(t, int64(2), res.Tables[0].RowsRejected)
	require.Equal(t, int64(3), e.rows(t, schema, "c", "{id} >= 8 AND {n} IS NULL"))
	require.Equal(t, int64(2), rejected("discard-incompatible", "n", `discard_value: column "n"%`))
	require.Equal(t, int64(5), e.count(t, "SELECT COUNT(*) FROM "+e.table(schema, load.RejectedTable)))
	e.onlyTables(t, schema, "c")
}

// hostileCase is a source table of hostile names and what they become in the destination
// under a naming.
type hostileCase struct {
	naming         string
	table, want    string
	cols, wantCols []string
}

var hostileCases = []hostileCase{{
	// preserve: every name as it is, up to PostgreSQL's longest (63 bytes).
	naming: "preserve",
	table:  "we\"ird `Tab; DROP TABLE x; -- é", want: "we\"ird `Tab; DROP TABLE x; -- é",
	cols: []string{"select", "Ünïcødé Col", "a;b--", "x`y", "q\"uote'", "a__b", "order", "MixedCase",
		"c" + strings.Repeat("l", 61) + "g"},
}, {
	// A table name at PostgreSQL's longest, so the loader's staging names beside it must be
	// shortened, not truncated into clashes.
	naming: "preserve",
	table:  "T" + strings.Repeat("a", 58) + "é!", want: "T" + strings.Repeat("a", 58) + "é!",
	cols: []string{"id", strings.Repeat("ü", 31) + "x"},
}, {
	naming: "snake_case",
	table:  "We\"ird `Tab", want: "we_ird_tab",
	cols:     []string{"select", "Ünïcødé Col", "a;b--", "x`y", "MixedCase", "parent__child", "Group"},
	wantCols: []string{"select", "ünïcødé_col", "a_b", "x_y", "mixed_case", "parent_child", "group"},
}}

func hostileNames(t *testing.T, e *env) {
	for i, hc := range hostileCases {
		t.Run(fmt.Sprintf("%d_%s", i, hc.naming), func(t *testing.T) {
			t.Parallel()
			hostileRoundTrip(t, e, hc)
		})
	}
}

func hostileRoundTrip(t *testing.T, e *env, hc hostileCase) {
	maxLen := min(e.target.MaxIdentifier, 63)
	hc.table, hc.want = e.hold("table", hc.table), e.hold("table", hc.want)
	cols := make([]string, len(hc.cols))
	for i, c := range hc.cols {
		c = e.hold("column", c)
		if len(c) > maxLen {
			c = c[:maxLen]
		}
		cols[i] = c
	}
	wantCols := hc.wantCols
	if wantCols == nil {
		wantCols = cols
	}
	pq := func(s string) string { return pgx.Identifier{s}.Sanitize() }
	src := "Src \"Schema\" `" + suffix()
	e.srcExec(t, "CREATE SCHEMA "+pq(src))
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = pq(c) + " text"
		if i == 0 {
			defs[i] = pq(c) + " int PRIMARY KEY"
		}
	}
	e.srcExec(t, "CREATE TABLE "+pq(src)+"."+pq(hc.table)+" ("+strings.Join(defs, ", ")+")")
	vals := make([]string, len(cols))
	for i := range cols {
		vals[i] = "'v" + strconv.Itoa(i) + "''`;'"
	}
	vals[0] = "1"
	e.srcExec(t, "INSERT INTO "+pq(src)+"."+pq(hc.table)+" VALUES ("+strings.Join(vals, ", ")+"), (2"+strings.Repeat(", NULL", len(cols)-1)+")")

	for _, mode := range []string{"append", "replace", "merge"} {
		t.Run(mode, func(t *testing.T) {
			// The destination schema does not exist yet, and its name is hostile too.
			schema := e.schema(t, "dnk \"q\" `b` ;-- é "+mode+" __ ")
			cfg := `{"source_schema": ` + jsonString(src) + `, "write_disposition": "` + mode + `", "naming": "` + hc.naming + `",
				"verify": "` + e.verify() + `", "merge_config": {` + jsonString(hc.table) + `: {"primary_key": ` + jsonString(cols[0]) + `}}}`
			c, err := load.ParseConfig([]byte(cfg))
			require.NoError(t, err)
			spec := load.Spec{Pipeline: "conformance", Source: e.srcEP, Destination: e.target.Endpoint, DestinationSchema: schema, Config: c}
			for range 2 {
				_, err = run(t, spec)
				require.NoError(t, err)
			}
			want := int64(2)
			if mode == "append" {
				want = 4
			}
			require.Equal(t, want, e.rows(t, schema, hc.want, ""))
			require.Equal(t, append(append([]string{}, wantCols...), "_dnk_loaded_at", "_dnk_run_id"), e.columns(t, schema, hc.want))
			where := make([]string, len(cols))
			args := make([]any, len(cols))
			for i, c := range wantCols {
				where[i] = e.target.Text(e.target.Quote(c)) + " = " + e.target.Bind(i+1)
				args[i] = "v" + strconv.Itoa(i) + "'`;"
			}
			args[0] = "1"
			require.Equal(t, want/2, e.rows(t, schema, hc.want, strings.Join(where, " AND "), args...))
			e.onlyTables(t, schema, hc.want)
		})
	}
}

func jsonString(s string) string { return strconv.Quote(s) }

func charAndDuration(t *testing.T, e *env) {
	if e.target.Char {
		t.Run("char", func(t *testing.T) {
			src := e.srcSchema(t, "CREATE TABLE src.ch (id int PRIMARY KEY, c char(5), u char(3))",
				"INSERT INTO src.ch VALUES (1, 'ab', 'é'), (2, 'abcde', NULL), (3, '', 'x y')")
			schema := e.schema(t, "dnk_char_")
			_, err := run(t, e.spec(src, schema, `{"mode": "single_table", "table": "src.ch"}`))
			require.NoError(t, err)
			b := e.target.Bind
			require.Equal(t, int64(2), e.count(t, "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = "+b(1)+
				" AND table_name = 'ch' AND data_type IN ('character', 'char') AND ((column_name = 'c' AND character_maximum_length = 5) OR (column_name = 'u' AND character_maximum_length = 3))", schema),
				"char(n) did not stay char(n)")
			// char(n) compares without its padding, in every system.
			for _, c := range []struct {
				id   int
				c, u string
			}{{1, "ab", "é"}, {2, "abcde", ""}, {3, "", "x y"}} {
				require.Equal(t, int64(1), e.rows(t, schema, "ch", "{id} = "+b(1)+" AND {c} = "+b(2)+" AND ({u} = "+b(3)+" OR {u} IS NULL)", c.id, c.c, c.u), c.id)
			}
		})
	}
	if e.target.Duration {
		t.Run("duration", func(t *testing.T) {
			my, myEP := mariaDB(t)
			_, err := my.ExecContext(context.Background(), "CREATE TABLE d (id int PRIMARY KEY, span time(6))")
			require.NoError(t, err)
			in := []string{"838:59:59", "-838:59:59.999999", "00:00:00.000001", "-00:00:01.5", "12:34:56.789", "00:00:00"}
			for i, v := range in {
				_, err = my.ExecContext(context.Background(), "INSERT INTO d VALUES (?, ?)", i, v)
				require.NoError(t, err)
			}
			schema := e.schema(t, "dnk_duration_")
			spec := e.spec("", schema, `{"mode": "single_table", "table": "d"}`)
			spec.Source = myEP
			_, err = run(t, spec)
			require.NoError(t, err)
			for i, v := range in {
				got := e.text(t, "SELECT "+e.target.Text("{span}")+" FROM "+e.table(schema, "d")+" WHERE {id} = "+e.target.Bind(1), i)
				require.Equal(t, micros(t, v), micros(t, got), "%s arrived as %s", v, got)
			}
		})
	}
}

// micros reads [-]H:MM:SS[.ffffff] as microseconds.
func micros(t *testing.T, s string) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	parts := strings.Split(s, ":")
	require.Len(t, parts, 3, s)
	h, err := strconv.ParseInt(parts[0], 10, 64)
	require.NoError(t, err, s)
	m, err := strconv.ParseInt(parts[1], 10, 64)
	require.NoError(t, err, s)
	sec, frac, _ := strings.Cut(parts[2], ".")
	sv, err := strconv.ParseInt(sec, 10, 64)
	require.NoError(t, err, s)
	us := int64(0)
	if frac != "" {
		f := (frac + "000000")[:6]
		us, err = strconv.ParseInt(f, 10, 64)
		require.NoError(t, err, s)
	}
	total := ((h*60+m)*60+sv)*1_000_000 + us
	if neg {
		total = -total
	}
	return total
}

// mariaDB makes a MariaDB database of the case's own as a source.
func mariaDB(t *testing.T) (*sql.DB, load.Endpoint) {
	t.Helper()
	dsn := strings.TrimSuffix(testutil.MySQLDSN(t), "/")
	admin, err := sql.Open("mysql", dsn+"/")
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	name := "dnk_src_" + suffix()
	_, err = admin.ExecContext(context.Background(), "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4")
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`") })
	db, err := sql.Open("mysql", dsn+"/"+name)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	ep, err := load.ParseURL(dbtest.MySQLURL(dsn, name))
	require.NoError(t, err)
	return db, ep
}
