package sqlgen

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the stand-in
	mssql "github.com/microsoft/go-mssqldb"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
)

// The Destination is driven here with Redshift's dialect on the local PostgreSQL as a stand-in
// (see redshift_standin_test.go): the rows go into staging by INSERT instead of the S3 COPY.
// What this proves is the driver — Begin, contract, Copy, verify, guard, publish, state,
// rejected rows, abort — over database/sql. The real systems are exercised by the live tests.

func standInDestination(t *testing.T) *Destination {
	t.Helper()
	conn := standIn(t) // a fresh database with the shims
	db, err := sql.Open("pgx", conn.Config().ConnString())
	require.NoError(t, err)
	insertBulk := func(ctx context.Context, c *sql.Conn, sc *Script, cols []load.Column, keep []bool, next func() (*load.Batch, error)) (int64, error) {
		ph := make([]string, len(sc.StageColumns))
		for i := range ph {
			ph[i] = fmt.Sprintf("$%d", i+1)
		}
		q := "INSERT INTO " + sc.Stage + " (" + list(Redshift, "", sc.StageColumns) + ") VALUES (" + strings.Join(ph, ", ") + ")"
		var n int64
		var row []any
		for {
			b, err := next()
			if err != nil || b == nil {
				return n, err
			}
			for i := range b.Len() {
				n++
				row = stageRow(row, cols, keep, b.Row(i), n, strings.Contains(strings.Join(sc.StageColumns, ","), seq))
				if _, err := c.ExecContext(ctx, q, row...); err != nil {
					return n, err
				}
			}
		}
	}
	d := &Destination{DB: db, Dialect: Redshift, Schema: "raw data", Bulk: insertBulk,
		S3: &S3Source{Manifest: "s3://b/m", IAMRole: "arn:aws:iam::1:role/r"},
		Rewrite: func(s string) string {
			if strings.HasPrefix(s, "SET enable_case_sensitive_identifier") {
				return ""
			}
			return asPostgres(s)
		}}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

var destColumns = []load.Column{
	{Name: "Id", Type: load.Type{Kind: load.KindInt64}},
	{Name: "Kéy ключ", Type: load.Type{Kind: load.KindText}},
	{Name: `a"b`, Type: load.Type{Kind: load.KindDecimal, Precision: 38, Scale: 10}},
}

func destPlan(disposition, run string, cols []load.Column, contract load.SchemaContract) *load.TablePlan {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	tp := &load.TablePlan{Source: &load.Table{Name: "src", Columns: cols}, Name: `Order "Lines"`, Columns: names,
		Disposition: disposition, PrimaryKey: []string{"Id", "Kéy ключ"}, RunID: run, Contract: contract}
	if disposition == load.Merge {
		tp.Keys = tp.PrimaryKey
	}
	return tp
}

func batchOf(t *testing.T, cols []load.Column, rows ...[]any) func() (*load.Batch, error) {
	t.Helper()
	b := load.NewBatch(cols, len(rows))
	for _, r := range rows {
		row := b.Next()
		for i, v := range r {
			if i == 2 && v != nil {
				n, err := load.ParseNumeric(v.(string))
				require.NoError(t, err)
				v = n
			}
			row[i] = v
		}
	}
	done := false
	return func() (*load.Batch, error) {
		if done {
			return nil, nil
		}
		done = true
		return b, nil
	}
}

func evolve() load.SchemaContract {
	return load.SchemaContract{Tables: load.ContractEvolve, Columns: load.ContractEvolve, DataType: load.ContractEvolve}
}

func destRows(t *testing.T, d *Destination) []string {
	t.Helper()
	rows, err := d.DB.QueryContext(context.Background(), `SELECT concat_ws('|', "Id", "Kéy ключ", "a""b", "_dnk_run_id") FROM "raw data"."Order ""Lines""" ORDER BY 1`)
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	return out
}

func publishRun(t *testing.T, d *Destination, tp *load.TablePlan, pub load.Publication, next func() (*load.Batch, error)) (load.Published, error) {
	t.Helper()
	ctx := context.Background()
	l, err := d.Begin(ctx, tp)
	if err != nil {
		return load.Published{}, err
	}
	n, err := l.Copy(ctx, next)
	if err != nil {
		l.Abort()
		return load.Published{}, err
	}
	pub.Staged = n
	return l.Publish(ctx, pub)
}

func TestDestinationStandIn_MergeVerifiesPublishesStateAndGuardsRetries(t *testing.T) {
	t.Parallel()
	d := standInDestination(t)
	ctx := context.Background()
	state := &load.StateEntry{Pipeline: "p", Table: `Order "Lines"`, Value: "v1"}
	out, err := publishRun(t, d, destPlan(load.Merge, "r1", destColumns, evolve()), load.Publication{ExpectRows: 3, State: state},
		batchOf(t, destColumns, []any{int64(1), "x", "1"}, []any{int64(1), "x", bigDecimal}, []any{int64(2), "y", nil}))
	require.NoError(t, err)
	require.Equal(t, int64(2), out.RowsWritten, "two keys: the repeated key counts once")
	require.Equal(t, []string{"1|x|" + bigDecimal + "|r1", "2|y|r1"}, destRows(t, d))
	v, ok, err := d.State(ctx, "p", `Order "Lines"`)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "v1", v)

	// The same run again: the guard finds it, nothing is written twice, the state is kept.
	out, err = publishRun(t, d, destPlan(load.Merge, "r1", destColumns, evolve()), load.Publication{ExpectRows: 1, State: state},
		batchOf(t, destColumns, []any{int64(1), "x", "5"}))
	require.NoError(t, err)
	require.True(t, out.AlreadyPublished)
	require.Equal(t, []string{"1|x|" + bigDecimal + "|r1", "2|y|r1"}, destRows(t, d))

	// A count that does not match fails the run and changes nothing, state included.
	_, err = publishRun(t, d, destPlan(load.Merge, "r2", destColumns, evolve()),
		load.Publication{ExpectRows: 7, State: &load.StateEntry{Pipeline: "p", Table: `Order "Lines"`, Value: "v2"}},
		batchOf(t, destColumns, []any{int64(1), "x", "5"}))
	require.ErrorIs(t, err, load.ErrVerify)
	require.Equal(t, []string{"1|x|" + bigDecimal + "|r1", "2|y|r1"}, destRows(t, d))
	v, _, err = d.State(ctx, "p", `Order "Lines"`)
	require.NoError(t, err)
	require.Equal(t, "v1", v)
	var staging int
	require.NoError(t, d.DB.QueryRowContext(ctx, "SELECT count(*) FROM pg_tables WHERE tablename LIKE '_dnk_stage_%'").Scan(&staging))
	require.Zero(t, staging)

	_, err = publishRun(t, d, destPlan(load.Merge, "r3", destColumns, evolve()), load.Publication{ExpectRows: -1, ExpectChecksum: &load.Checksum{}},
		batchOf(t, destColumns))
	require.ErrorContains(t, err, "checksum is not supported")
}

func TestDestinationStandIn_ContractsEvolveDiscardAndFreeze(t *testing.T) {
	t.Parallel()
	d := standInDestination(t)
	freeze := load.SchemaContract{Tables: load.ContractFreeze, Columns: load.ContractFreeze, DataType: load.ContractFreeze}
	_, err := publishRun(t, d, destPlan(load.Append, "a0", destColumns, freeze), load.Publication{ExpectRows: -1}, batchOf(t, destColumns))
	require.ErrorIs(t, err, load.ErrContract)
	require.ErrorContains(t, err, "does not exist")

	_, err = publishRun(t, d, destPlan(load.Append, "a1", destColumns, evolve()), load.Publication{ExpectRows: 1,
		Rejected: []load.Rejected{{Column: "a\"b", Reason: "discard_value: bad", Row: map[string]any{"Id": "1"}}}},
		batchOf(t, destColumns, []any{int64(1), "x", "1"}))
	require.NoError(t, err)
	var reason string
	require.NoError(t, d.DB.QueryRowContext(context.Background(), `SELECT reason FROM "raw data"."_dnk_rejected" WHERE run_id = 'a1'`).Scan(&reason))
	require.Equal(t, "discard_value: bad", reason)

	wider := slices.Concat(destColumns, []load.Column{{Name: "New Col", Type: load.Type{Kind: load.KindText}}})
	_, err = publishRun(t, d, destPlan(load.Append, "a2", wider, freeze), load.Publication{ExpectRows: -1}, batchOf(t, wider))
	require.ErrorIs(t, err, load.ErrContract)
	require.ErrorContains(t, err, `"New Col"`)

	discard := evolve()
	discard.Columns = load.ContractDiscardValue
	_, err = publishRun(t, d, destPlan(load.Append, "a3", wider, discard), load.Publication{ExpectRows: 1},
		batchOf(t, wider, []any{int64(3), "z", "3", "dropped"}))
	require.NoError(t, err)
	cols, err := d.columnsOf(context.Background(), `Order "Lines"`)
	require.NoError(t, err)
	require.NotContains(t, cols, "New Col")

	_, err = publishRun(t, d, destPlan(load.Append, "a4", wider, evolve()), load.Publication{ExpectRows: 1},
		batchOf(t, wider, []any{int64(4), "w", "4", "kept"}))
	require.NoError(t, err)
	var kept string
	require.NoError(t, d.DB.QueryRowContext(context.Background(), `SELECT "New Col" FROM "raw data"."Order ""Lines""" WHERE "Id" = 4`).Scan(&kept))
	require.Equal(t, "kept", kept)
	require.Len(t, destRows(t, d), 3)
}

func TestDriverValue_ExactTextForKindsDriversDoNotShare(t *testing.T) {
	n, err := load.ParseNumeric(bigDecimal)
	require.NoError(t, err)
	require.Equal(t, bigDecimal, DriverValue(load.KindDecimal, n))
	u := [16]byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8}
	require.Equal(t, "12345678-9abc-def0-0102-030405060708", DriverValue(load.KindUUID, u))
	require.Equal(t, "x", DriverValue(load.KindText, "x"))
	// A MySQL TIME travels as MySQL spells it.
	require.Equal(t, "-838:59:59.5", DriverValue(load.KindDuration, pgtype.Interval{Microseconds: -3020399500000, Valid: true}))
	require.Nil(t, DriverValue(load.KindInt64, nil))
	// SQL Server's bulk copy takes its own GUID type, which writes the mixed-endian bytes.
	g := mssqlValue(load.KindUUID, u)
	require.IsType(t, mssql.UniqueIdentifier{}, g)
	v, err := g.(mssql.UniqueIdentifier).Value()
	require.NoError(t, err)
	require.Equal(t, []byte{0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde, 1, 2, 3, 4, 5, 6, 7, 8}, v)
}
