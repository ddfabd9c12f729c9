package sqlgen

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/testutil"
)

// The tests of this file run Redshift's publishing SQL on the local PostgreSQL as a stand-in.
// Redshift's SQL is PostgreSQL's in everything these statements use but a few names, which
// the stand-in supplies: GETDATE() and JSON_PARSE() as functions, super and varbyte as jsonb
// and bytea. What they prove is the logic of the statements — last row wins per composite
// hostile key, a retried append or merge publishes nothing twice, replace swaps, the state
// commits with the data and a failure rolls all of it back. The S3 COPY and Redshift's own
// behaviour need a live cluster (DATANIKA_TEST_REDSHIFT_URL), which is not reachable here.

const bigDecimal = "1234567890123456789012345678.0123456789"

func standIn(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testutil.EmptyDatabase(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	for _, s := range []string{
		"CREATE FUNCTION getdate() RETURNS timestamptz LANGUAGE sql AS 'SELECT now()'",
		"CREATE FUNCTION json_parse(text) RETURNS jsonb LANGUAGE sql AS 'SELECT $1::jsonb'",
		"SET timezone TO 'UTC'",
	} {
		_, err := conn.Exec(ctx, s)
		require.NoError(t, err, s)
	}
	return conn
}

// asPostgres turns the few Redshift-only names into the stand-in's.
func asPostgres(sql string) string {
	return strings.NewReplacer("varbyte(1024000)", "bytea", " super", " jsonb").Replace(sql)
}

func standInPlan(disposition, run string, exists bool, state string) *Plan {
	p := &Plan{Schema: "raw data", Table: `Order "Lines"`, Disposition: disposition, RunID: run, Exists: exists,
		Columns: []Column{
			{"id", load.Type{Kind: load.KindInt64}},
			{"Kéy ключ", load.Type{Kind: load.KindText}},
			{`a"b`, load.Type{Kind: load.KindDecimal, Precision: 38, Scale: 10}},
			{"Where", load.Type{Kind: load.KindText}},
			{"doc", load.Type{Kind: load.KindJSON}},
			{"by tes", load.Type{Kind: load.KindBytes}},
		},
		PrimaryKey: []string{"id", "Kéy ключ"},
		S3:         &S3Source{Manifest: "s3://b/m.manifest", IAMRole: "arn:aws:iam::1:role/r"},
	}
	if disposition == load.Merge {
		p.Keys = p.PrimaryKey
	}
	if state != "" {
		p.State = &load.StateEntry{Pipeline: "p 1", Table: p.Table, Value: state}
	}
	return p
}

func argValues(args []Arg) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a.Value
	}
	return out
}

// runStandIn runs a script as a driver would, with rows instead of the S3 COPY; it reports
// whether the guard skipped the data, and the error of the publish (rolled back) if any.
func runStandIn(t *testing.T, conn *pgx.Conn, p *Plan, rows [][]any) (skipped bool, err error) {
	t.Helper()
	ctx := context.Background()
	sc, err := Redshift.Script(p)
	require.NoError(t, err)
	for _, s := range sc.Prepare {
		_, err := conn.Exec(ctx, asPostgres(s.SQL), argValues(s.Args)...)
		require.NoError(t, err, s.SQL)
	}
	ph := make([]string, len(sc.StageColumns))
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	for i, r := range rows {
		if p.Disposition == load.Merge {
			r = append(r, int64(i+1))
		}
		_, err := conn.Exec(ctx, "INSERT INTO "+sc.Stage+" ("+list(Redshift, "", sc.StageColumns)+") VALUES ("+strings.Join(ph, ", ")+")", r...)
		require.NoError(t, err)
	}
	defer func() {
		for _, s := range sc.Cleanup {
			_, cerr := conn.Exec(ctx, s.SQL)
			require.NoError(t, cerr)
		}
	}()
	for _, s := range sc.Begin {
		_, err := conn.Exec(ctx, s.SQL)
		require.NoError(t, err)
	}
	publish := func() error {
		if sc.Guard.SQL != "" {
			var n int64
			if err := conn.QueryRow(ctx, sc.Guard.SQL, argValues(sc.Guard.Args)...).Scan(&n); err != nil {
				return err
			}
			skipped = n > 0
		}
		for _, s := range sc.Data {
			if skipped {
				break
			}
			if _, err := conn.Exec(ctx, asPostgres(s.SQL), argValues(s.Args)...); err != nil {
				return err
			}
		}
		for _, s := range sc.State {
			if _, err := conn.Exec(ctx, s.SQL, argValues(s.Args)...); err != nil {
				return err
			}
		}
		return nil
	}
	if err := publish(); err != nil {
		_, rerr := conn.Exec(ctx, "ROLLBACK")
		require.NoError(t, rerr)
		return skipped, err
	}
	for _, s := range sc.Commit {
		_, err := conn.Exec(ctx, s.SQL)
		require.NoError(t, err)
	}
	return skipped, nil
}

type standInRow struct {
	ID    int64
	Key   string
	Dec   string
	Where string
	Run   string
}

func standInRows(t *testing.T, conn *pgx.Conn) []standInRow {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT "id", "Kéy ключ", "a""b"::text, "Where", "_dnk_run_id" FROM "raw data"."Order ""Lines""" ORDER BY 1, 2`)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (standInRow, error) {
		var s standInRow
		err := r.Scan(&s.ID, &s.Key, &s.Dec, &s.Where, &s.Run)
		return s, err
	})
	require.NoError(t, err)
	return out
}

func standInState(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	var v string
	err := conn.QueryRow(context.Background(), `SELECT cursor_value FROM "raw data"."_dnk_state" WHERE pipeline = 'p 1'`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return ""
	}
	require.NoError(t, err)
	return v
}

func TestRedshiftStandIn_MergeLastRowWinsPerCompositeKeyAndRetriesAreNoOps(t *testing.T) {
	t.Parallel()
	conn := standIn(t)
	row := func(id int64, key, dec, where string) []any {
		return []any{id, key, dec, where, `{"a": [1, "ü"]}`, []byte{0, 1, 0xff}}
	}
	skipped, err := runStandIn(t, conn, standInPlan(load.Merge, "r1", false, "10"), [][]any{
		row(1, "x", "1.5", "first"), row(1, "x", bigDecimal, "second"), row(1, "y", "7", "other key"), row(2, "x", "0", "two"),
	})
	require.NoError(t, err)
	require.False(t, skipped)
	require.Equal(t, []standInRow{
		{1, "x", bigDecimal, "second", "r1"}, {1, "y", "7.0000000000", "other key", "r1"}, {2, "x", "0.0000000000", "two", "r1"},
	}, standInRows(t, conn))
	require.Equal(t, "10", standInState(t, conn))

	var doc string
	var by []byte
	require.NoError(t, conn.QueryRow(context.Background(), `SELECT "doc"::text, "by tes" FROM "raw data"."Order ""Lines""" WHERE "id" = 2`).Scan(&doc, &by))
	require.Equal(t, `{"a": [1, "ü"]}`, doc)
	require.Equal(t, []byte{0, 1, 0xff}, by)

	_, err = runStandIn(t, conn, standInPlan(load.Merge, "r2", true, "20"), [][]any{row(2, "x", "2", "two again"), row(3, "z", "3", "new")})
	require.NoError(t, err)
	want := []standInRow{{1, "x", bigDecimal, "second", "r1"}, {1, "y", "7.0000000000", "other key", "r1"},
		{2, "x", "2.0000000000", "two again", "r2"}, {3, "z", "3.0000000000", "new", "r2"}}
	require.Equal(t, want, standInRows(t, conn))
	require.Equal(t, "20", standInState(t, conn))

	// A retry of r2 (its commit landed, the process died before it knew): the guard skips it.
	skipped, err = runStandIn(t, conn, standInPlan(load.Merge, "r2", true, "20"), [][]any{row(2, "x", "99", "must not land")})
	require.NoError(t, err)
	require.True(t, skipped)
	require.Equal(t, want, standInRows(t, conn))
}

func TestRedshiftStandIn_FailedPublishLeavesDataAndStateAsBefore(t *testing.T) {
	t.Parallel()
	conn := standIn(t)
	_, err := runStandIn(t, conn, standInPlan(load.Merge, "r1", false, "10"), [][]any{{int64(1), "x", "1", "one", nil, nil}})
	require.NoError(t, err)
	before := standInRows(t, conn)
	// A NULL key violates the target's NOT NULL in the middle of the publish.
	_, err = runStandIn(t, conn, standInPlan(load.Merge, "r2", true, "20"), [][]any{
		{int64(1), "x", "5", "changed", nil, nil}, {nil, "y", "1", "bad", nil, nil},
	})
	require.Error(t, err)
	require.Equal(t, before, standInRows(t, conn))
	require.Equal(t, "10", standInState(t, conn))
}

func TestRedshiftStandIn_AppendIsIdempotentPerRunAndReplaceSwaps(t *testing.T) {
	t.Parallel()
	conn := standIn(t)
	rows := [][]any{{int64(1), "x", "1", "a", nil, nil}, {int64(1), "x", "1", "a", nil, nil}}
	_, err := runStandIn(t, conn, standInPlan(load.Append, "a1", false, ""), rows)
	require.NoError(t, err)
	require.Len(t, standInRows(t, conn), 2, "append keeps repeated rows")
	// The same run again, even without the guard, appends nothing: the INSERT checks the run id.
	p := standInPlan(load.Append, "a1", true, "")
	sc, err := Redshift.Script(p)
	require.NoError(t, err)
	_, err = conn.Exec(context.Background(), asPostgres(sc.Prepare[len(sc.Prepare)-1].SQL))
	require.NoError(t, err)
	_, err = conn.Exec(context.Background(), "INSERT INTO "+sc.Stage+` ("id", "Kéy ключ") VALUES (9, 'z')`)
	require.NoError(t, err)
	_, err = conn.Exec(context.Background(), sc.Data[len(sc.Data)-1].SQL, argValues(sc.Data[len(sc.Data)-1].Args)...)
	require.NoError(t, err)
	require.Len(t, standInRows(t, conn), 2)
	_, err = runStandIn(t, conn, standInPlan(load.Append, "a2", true, ""), [][]any{{int64(2), "y", "2", "b", nil, nil}})
	require.NoError(t, err)
	require.Len(t, standInRows(t, conn), 3)

	_, err = runStandIn(t, conn, standInPlan(load.Replace, "r1", true, "5"), [][]any{{int64(7), "q", "7.25", "only", nil, nil}})
	require.NoError(t, err)
	require.Equal(t, []standInRow{{7, "q", "7.2500000000", "only", "r1"}}, standInRows(t, conn))
	require.Equal(t, "5", standInState(t, conn))
}
