package bqload

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	bq "cloud.google.com/go/bigquery"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"
	"google.golang.org/api/option"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/sqlgen"
	"github.com/datanika/datanika/internal/testutil"
)

const runID = "run-2026-01-01T00:00:00Z-7"

// onFake is a destination whose client talks to the fake, without credentials.
func onFake(t *testing.T, f *fakeBigQuery) *Destination {
	t.Helper()
	ctx := context.Background()
	client, err := bq.NewClient(ctx, "my-project-123", option.WithEndpoint(f.endpoint()), option.WithoutAuthentication())
	require.NoError(t, err)
	dst := &Destination{Client: client, Dataset: "raw_data", Location: "EU"}
	t.Cleanup(func() { _ = dst.Close() })
	return dst
}

// orders is a source table of every kind the JSON loader must spell right.
func orders() *load.Table {
	return &load.Table{Schema: "public", Name: "orders", PrimaryKey: []string{"id"}, Columns: []load.Column{
		{Name: "id", Type: load.Type{Kind: load.KindInt64}},
		{Name: "note", Type: load.Type{Kind: load.KindText}, Nullable: true},
		{Name: "amount", Type: load.Type{Kind: load.KindDecimal, Precision: 12, Scale: 2}, Nullable: true},
		{Name: "ratio", Type: load.Type{Kind: load.KindFloat64}, Nullable: true},
	}}
}

func plan(disposition string, contract load.SchemaContract) *load.TablePlan {
	src := orders()
	tp := &load.TablePlan{Source: src, Name: "orders", Columns: []string{"id", "note", "amount", "ratio"},
		Disposition: disposition, PrimaryKey: []string{"id"}, RunID: runID, Contract: contract}
	if disposition == load.Merge {
		tp.Keys = []string{"id"}
	}
	return tp
}

var evolve = load.SchemaContract{Tables: load.ContractEvolve, Columns: load.ContractEvolve, DataType: load.ContractEvolve}

// rows streams n rows in batches of 2.
func rows(n int) func() (*load.Batch, error) {
	i := 0
	return func() (*load.Batch, error) {
		if i >= n {
			return nil, nil
		}
		b := load.NewBatch(orders().Columns, 2)
		for ; i < n && b.Len() < 2; i++ {
			r := b.Next()
			num, _ := load.ParseNumeric("12.50")
			r[0], r[2], r[3] = int64(i+1), num, 0.5
			if i%2 == 0 {
				r[1] = "row \"" + string(rune('a'+i%26)) + "\"\nline"
			}
		}
		return b, nil
	}
}

// loadOnce is one attempt of the engine's table run: Begin, Copy, Publish (Abort on failure).
func loadOnce(t *testing.T, dst *Destination, tp *load.TablePlan, n int, pub load.Publication) (load.Published, error) {
	t.Helper()
	ctx := context.Background()
	tl, err := dst.Begin(ctx, tp)
	if err != nil {
		return load.Published{}, err
	}
	copied, err := tl.Copy(ctx, rows(n))
	if err != nil {
		tl.Abort()
		return load.Published{}, err
	}
	require.Equal(t, int64(n), copied)
	return tl.Publish(ctx, pub)
}

func TestLoad_AppendIntoANewTableSendsTheDialectsScriptAndOneLoadJob(t *testing.T) {
	t.Parallel()
	f := newFakeBigQuery(t)
	dst := onFake(t, f)
	out, err := loadOnce(t, dst, plan(load.Append, evolve), 3, load.Publication{ExpectRows: 3,
		State: &load.StateEntry{Pipeline: "orders sync", Table: "public.orders", Value: "2026-01-01"}})
	require.NoError(t, err)
	require.Equal(t, load.Published{RowsWritten: 3}, out)
	testutil.Golden(t, "testdata/append_new.txt", f.sent())
}

func TestLoad_MergeIntoAnExistingTableEvolvesAndWritesRejectedStateAndLedger(t *testing.T) {
	t.Parallel()
	f := newFakeBigQuery(t)
	f.tables["orders"] = []string{"id", "note", "amount", "_dnk_loaded_at", "_dnk_run_id"} // ratio is new
	dst := onFake(t, f)
	out, err := loadOnce(t, dst, plan(load.Merge, evolve), 2, load.Publication{ExpectRows: -1,
		State:    &load.StateEntry{Pipeline: "orders sync", Table: "public.orders", Value: "2026-01-02"},
		Rejected: []load.Rejected{{Column: "amount", Reason: "not a number", Row: map[string]any{"id": "9", "amount": "x"}}},
		Ledger:   &load.LedgerEntry{Pipeline: "orders sync", Attempt: "run-8", Cursor: "2026-01-02"}})
	require.NoError(t, err)
	require.Equal(t, load.Published{RowsWritten: 2}, out)
	testutil.Golden(t, "testdata/merge_existing.txt", f.sent())
}

func TestLoad_ReplaceUploadsBeyondOneChunkAsAResumableUpload(t *testing.T) {
	t.Parallel()
	f := newFakeBigQuery(t)
	dst := onFake(t, f)
	dst.ChunkSize = 256 << 10
	const n = 12000 // about 700 KiB of JSON: three chunks
	out, err := loadOnce(t, dst, plan(load.Replace, evolve), n, load.Publication{ExpectRows: n})
	require.NoError(t, err)
	require.Equal(t, int64(n), out.RowsWritten)
	require.Len(t, f.uploads, 1)
	require.Equal(t, n, strings.Count(f.uploads[0], "\n"), "every row arrived, once")
	require.Greater(t, len(f.uploads[0]), 2*(256<<10))
	q := f.queries()
	sent := f.sent()
	require.Contains(t, sent, "uploadType=resumable")
	require.Contains(t, sent, "Content-Range: bytes 0-262143/*")
	require.Contains(t, sent, `"writeDisposition": "WRITE_APPEND"`)
	script := q[len(q)-2]
	require.Contains(t, script, "DELETE FROM `raw_data`.`orders` WHERE TRUE;\n  INSERT INTO `raw_data`.`orders`")
	require.Equal(t, "DROP TABLE IF EXISTS `raw_data`.`_dnk_stage_"+stageHash(t, load.Replace)+"`", q[len(q)-1])
}

// stageHash is the staging table's suffix of this run's orders table.
func stageHash(t *testing.T, disposition string) string {
	t.Helper()
	tl, err := onFake(t, newFakeBigQuery(t)).Begin(context.Background(), plan(disposition, evolve))
	require.NoError(t, err)
	return strings.TrimPrefix(tl.(*tableLoad).sc.StageName, "_dnk_stage_")
}

func TestLoad_AnAppendRetriedAfterItsCommitNeverAppendsTwice(t *testing.T) {
	t.Parallel()
	f := newFakeBigQuery(t)
	f.tables["orders"] = []string{"id", "note", "amount", "ratio", "_dnk_loaded_at", "_dnk_run_id"}
	dst := onFake(t, f)
	f.failAfterCommit = true // the data is in, the answer never comes
	_, err := loadOnce(t, dst, plan(load.Append, evolve), 3, load.Publication{ExpectRows: 3})
	require.ErrorContains(t, err, "the reply was lost")
	require.Equal(t, 1, f.published)

	// The engine retries the run under the same run id: the guard finds its rows.
	out, err := loadOnce(t, dst, plan(load.Append, evolve), 3, load.Publication{ExpectRows: 3})
	require.NoError(t, err)
	require.Equal(t, load.Published{AlreadyPublished: true}, out)
	require.Equal(t, 1, f.published, "the retry ran no data")
	q := f.queries()
	script := q[len(q)-2]
	require.Contains(t, script, "SET already = (SELECT COUNT(*) FROM `raw_data`.`orders` WHERE `_dnk_run_id` = @run_id);\nIF already = 0 THEN\n")
	require.Contains(t, script, "WHERE NOT EXISTS (SELECT 1 FROM `raw_data`.`orders` WHERE `_dnk_run_id` = @run_id)",
		"the INSERT itself is guarded too")
}

func TestLoad_AFailedLoadJobLeavesTheTableAsItWas(t *testing.T) {
	t.Parallel()
	f := newFakeBigQuery(t)
	f.tables["orders"] = []string{"id", "note", "amount", "ratio", "_dnk_loaded_at", "_dnk_run_id"}
	f.fail = func(kind, _ string) string {
		if kind == "load" {
			return "Error while reading data, error message: JSON parsing error in row starting at position 0"
		}
		return ""
	}
	dst := onFake(t, f)
	_, err := loadOnce(t, dst, plan(load.Replace, evolve), 3, load.Publication{ExpectRows: 3})
	require.ErrorContains(t, err, `copy into "orders"`)
	require.ErrorContains(t, err, "JSON parsing error")
	for _, q := range f.queries() {
		require.NotContains(t, q, "BEGIN TRANSACTION", "nothing was published")
		require.NotContains(t, q, "DELETE", "the old rows were not touched")
	}
	q := f.queries()
	require.True(t, strings.HasPrefix(q[len(q)-1], "DROP TABLE IF EXISTS `raw_data`.`_dnk_stage_"), "staging dropped")
	require.Contains(t, f.tables, "orders")
}

func TestLoad_AFailedScriptReportsTheErrorAndDropsStaging(t *testing.T) {
	t.Parallel()
	f := newFakeBigQuery(t)
	f.fail = func(kind, sql string) string {
		if strings.HasPrefix(sql, "DECLARE") {
			return "Query error: UPDATE/MERGE must match at most one source row for each target row"
		}
		return ""
	}
	dst := onFake(t, f)
	_, err := loadOnce(t, dst, plan(load.Merge, evolve), 2, load.Publication{ExpectRows: 2})
	require.ErrorContains(t, err, `publish "orders"`)
	require.Equal(t, 0, f.published)
	q := f.queries()
	require.True(t, strings.HasPrefix(q[len(q)-1], "DROP TABLE IF EXISTS"))
}

func TestLoad_AScriptAbortedByAConcurrentUpdateIsRunAgain(t *testing.T) {
	t.Parallel()
	f := newFakeBigQuery(t)
	tries := 0
	f.fail = func(kind, sql string) string {
		if strings.HasPrefix(sql, "DECLARE") {
			if tries++; tries == 1 {
				return "Transaction is aborted due to concurrent update against table my-project-123:raw_data._dnk_state"
			}
		}
		return ""
	}
	dst := onFake(t, f)
	out, err := loadOnce(t, dst, plan(load.Append, evolve), 2, load.Publication{ExpectRows: 2})
	require.NoError(t, err)
	require.Equal(t, int64(2), out.RowsWritten)
	require.Equal(t, 2, tries)
	require.Equal(t, 1, f.published)
}

func TestLoad_VerifyCountComparesTheLoadJobsRowsBeforePublishing(t *testing.T) {
	t.Parallel()
	f := newFakeBigQuery(t)
	dst := onFake(t, f)
	_, err := loadOnce(t, dst, plan(load.Append, evolve), 3, load.Publication{ExpectRows: 4})
	require.ErrorIs(t, err, load.ErrVerify)
	require.ErrorContains(t, err, "the source has 4 rows in the window, the destination received 3")
	require.Equal(t, 0, f.published)

	_, err = loadOnce(t, dst, plan(load.Append, evolve), 3, load.Publication{ExpectRows: 3, ExpectChecksum: &load.Checksum{}})
	require.ErrorContains(t, err, "use verify: count")
	require.Equal(t, 0, f.published)
}

func TestLoad_SchemaContract(t *testing.T) {
	t.Parallel()
	existing := []string{"id", "note", "amount", "_dnk_loaded_at", "_dnk_run_id"} // no ratio
	t.Run("freeze a missing table fails before anything is created", func(t *testing.T) {
		f := newFakeBigQuery(t)
		_, err := onFake(t, f).Begin(context.Background(), plan(load.Append, load.SchemaContract{Tables: load.ContractFreeze}))
		require.ErrorIs(t, err, load.ErrContract)
		require.ErrorContains(t, err, `table "raw_data.orders" does not exist`)
		require.Empty(t, f.queries())
	})
	t.Run("freeze a missing column fails before anything is created", func(t *testing.T) {
		f := newFakeBigQuery(t)
		f.tables["orders"] = existing
		_, err := onFake(t, f).Begin(context.Background(), plan(load.Append, load.SchemaContract{Columns: load.ContractFreeze}))
		require.ErrorIs(t, err, load.ErrContract)
		require.ErrorContains(t, err, `column "ratio"`)
		require.Empty(t, f.queries())
	})
	for _, c := range []string{load.ContractDiscardValue, load.ContractDiscardRow} {
		t.Run(c+" leaves the column out of staging and the upload", func(t *testing.T) {
			f := newFakeBigQuery(t)
			f.tables["orders"] = existing
			dst := onFake(t, f)
			tl, err := dst.Begin(context.Background(), plan(load.Append, load.SchemaContract{Columns: c}))
			require.NoError(t, err)
			require.Equal(t, []int{3}, tl.(*tableLoad).Discarded())
			_, err = tl.Copy(context.Background(), rows(2))
			require.NoError(t, err)
			require.NotContains(t, f.uploads[0], `"ratio"`)
			for _, q := range f.queries() {
				require.NotContains(t, q, "`ratio`")
			}
		})
	}
	t.Run("a column in another case is the same column", func(t *testing.T) {
		f := newFakeBigQuery(t)
		f.tables["orders"] = []string{"ID", "Note", "AMOUNT", "Ratio", "_dnk_loaded_at", "_dnk_run_id"}
		tl, err := onFake(t, f).Begin(context.Background(), plan(load.Append, load.SchemaContract{Columns: load.ContractFreeze}))
		require.NoError(t, err)
		require.Empty(t, tl.(*tableLoad).Discarded())
	})
	t.Run("evolve adds the column before the transaction", func(t *testing.T) {
		f := newFakeBigQuery(t)
		f.tables["orders"] = existing
		_, err := onFake(t, f).Begin(context.Background(), plan(load.Append, evolve))
		require.NoError(t, err)
		require.Contains(t, f.queries(), "ALTER TABLE `raw_data`.`orders` ADD COLUMN IF NOT EXISTS `ratio` FLOAT64")
	})
}

func TestLoad_NoRowsSendsNoLoadJob(t *testing.T) {
	t.Parallel()
	f := newFakeBigQuery(t)
	out, err := loadOnce(t, onFake(t, f), plan(load.Replace, evolve), 0, load.Publication{ExpectRows: 0})
	require.NoError(t, err)
	require.Equal(t, load.Published{}, out)
	require.Empty(t, f.uploads)
	require.Equal(t, 1, f.published, "replace with nothing empties the table")
}

func TestLoad_AFailingSourceFailsTheCopyWithItsOwnError(t *testing.T) {
	t.Parallel()
	f := newFakeBigQuery(t)
	dst := onFake(t, f)
	tl, err := dst.Begin(context.Background(), plan(load.Append, evolve))
	require.NoError(t, err)
	boom := errors.New("source connection reset")
	next, calls := rows(10), 0
	_, err = tl.Copy(context.Background(), func() (*load.Batch, error) {
		if calls++; calls == 3 {
			return nil, boom
		}
		return next()
	})
	require.ErrorIs(t, err, boom)
}

func TestState_ReadsTheStateTableWhenThereIsOne(t *testing.T) {
	t.Parallel()
	f := newFakeBigQuery(t)
	dst := onFake(t, f)
	v, ok, err := dst.State(context.Background(), "orders sync", "public.orders")
	require.NoError(t, err)
	require.False(t, ok)
	require.Empty(t, v)
	require.Empty(t, f.queries(), "no table, no query")

	f.tables["_dnk_state"] = []string{"pipeline", "table_name", "cursor_value", "updated_at"}
	v, ok, err = dst.State(context.Background(), "orders sync", "public.orders")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "2026-01-02", v)
	require.Contains(t, f.sent(), `"value": "orders sync"`)
}

func TestAppendValue_SpellsEachKindAsBigQuerysJSONLoaderReadsIt(t *testing.T) {
	t.Parallel()
	num, err := load.ParseNumeric("-12345678901234567890.123456789")
	require.NoError(t, err)
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.FixedZone("x", 3600))
	cases := []struct {
		kind load.Kind
		v    any
		want string
	}{
		{load.KindInt64, int64(math.MaxInt64), "9223372036854775807"},
		{load.KindBool, true, "true"},
		{load.KindFloat64, 0.1, "0.1"},
		{load.KindFloat32, 1e300, "1e+300"},
		{load.KindFloat64, math.NaN(), `"NaN"`},
		{load.KindFloat64, math.Inf(-1), `"-Infinity"`},
		{load.KindDecimal, num, `"-12345678901234567890.123456789"`},
		{load.KindBytes, []byte{0, 1, 0xff}, `"AAH/"`},
		{load.KindDate, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), `"2026-01-02"`},
		{load.KindTimestamp, time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), `"2026-01-02 03:04:05.000006"`},
		{load.KindTimestampTZ, at, `"2026-01-02 02:04:05.000006 UTC"`},
		{load.KindTime, pgtype.Time{Microseconds: 3723000001, Valid: true}, `"01:02:03.000001"`},
		{load.KindJSON, "{\n  \"a\": [1, 2.50],\n  \"b\": \"x\\ny\"\n}", `{"a":[1,2.50],"b":"x\ny"}`},
		{load.KindText, "quote \" and\nnewline <&>", `"quote \" and\nnewline \u003c\u0026\u003e"`},
		{load.KindUUID, [16]byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8}, `"12345678-9abc-def0-0102-030405060708"`},
		{load.KindInterval, pgtype.Interval{Months: 1, Days: 2, Microseconds: 3, Valid: true}, `"1mon 2d 3us"`},
	}
	for _, c := range cases {
		got, err := appendValue(nil, c.kind, c.v)
		require.NoError(t, err, c.kind)
		require.Equal(t, c.want, string(got), c.kind)
		require.NotContains(t, string(got), "\n", "one row, one line")
	}
	_, err = appendValue(nil, load.KindJSON, "{not json")
	require.ErrorContains(t, err, "not valid JSON")
}

func TestRegister_MakesBigQueryALoadDestination(t *testing.T) {
	t.Parallel()
	Register()
	require.NoError(t, load.SupportsDestination("bigquery"))
	require.Contains(t, load.RegisteredDestinations(), "bigquery")

	const secret = "-----BEGIN PRIVATE KEY-----\nTm90QVJlYWxLZXlCdXRMb25nRW5vdWdoVG9CZVNjcnViYmVk\n-----END PRIVATE KEY-----\n"
	key, err := json.Marshal(map[string]string{"type": "service_account", "private_key": secret, "client_email": "a@b.c", "token_uri": "https://127.0.0.1:1/token"})
	require.NoError(t, err)
	// Opening makes no call; the first one fails (the key's token endpoint does not answer),
	// quoting nothing of the key.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dst, err := load.OpenDestination(ctx, load.Endpoint{Type: "bigquery", Config: map[string]any{
		"project_id": "my-project-123", "dataset": "d", "credentials_json": string(key)}}, "raw")
	require.NoError(t, err)
	defer func() { _ = dst.Close() }()
	_, err = dst.Begin(ctx, plan(load.Append, evolve))
	require.Error(t, err)
	require.NotContains(t, err.Error(), "Tm90QVJlYWxLZXlCdXRMb25nRW5vdWdoVG9CZVNjcnViYmVk")
	require.NoError(t, ctx.Err(), "failed at once, not at the deadline")

	_, err = load.OpenDestination(context.Background(), load.Endpoint{Type: "bigquery", Config: map[string]any{
		"project_id": "my-project-123", "dataset": "d", "credentials_json": `{"type": "external_account"}`}}, "raw")
	require.ErrorContains(t, err, "only keys of type service_account are accepted")
}

func TestPublished_ReadsTheLedgerByAttempt(t *testing.T) {
	t.Parallel()
	f := newFakeBigQuery(t)
	dst := onFake(t, f)
	got, err := dst.Published(context.Background(), "run-8")
	require.NoError(t, err)
	require.Empty(t, got, "no ledger yet")
	require.Empty(t, f.queries())

	f.tables["_dnk_loads"] = []string{"run_id", "table_name", "pipeline", "attempt", "rows_written", "cursor_value", "published_at"}
	got, err = dst.Published(context.Background(), "run-8")
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"orders": 3, "customers": 0}, got)
	sent := f.sent()
	require.Contains(t, sent, "SELECT table_name, rows_written FROM `raw_data`.`_dnk_loads` WHERE attempt = @attempt")
	require.Contains(t, sent, `"value": "run-8"`)
}

func TestHold_MakesTheSuitesHostileNamesOnesBigQueryTakes(t *testing.T) {
	t.Parallel()
	require.Equal(t, "dnk__q___b________append____1a2b", hold("schema", "dnk \"q\" `b` ;-- é append __ 1a2b"))
	require.Equal(t, "we-ird -Tab- DROP TABLE x- -- é", hold("table", "we\"ird `Tab; DROP TABLE x; -- é"))
	require.Equal(t, "q-uote'", hold("column", "q\"uote'"))
	for kind, name := range map[string]string{"schema": hold("schema", "dnk é ;"), "table": hold("table", "T!é`"), "column": hold("column", "x`y;")} {
		require.NoError(t, sqlgen.BigQuery.ValidateName(kind, name))
	}
}

// BenchmarkWriteRows measures the JSON encoding of the upload (rows of orders' four columns).
func BenchmarkWriteRows(b *testing.B) {
	cols, keep := orders().Columns, []bool{true, true, true, true}
	const n = 100000
	b.ReportAllocs()
	for b.Loop() {
		next := rows(n)
		first, _ := next()
		var count int64
		var w countingWriter
		if err := writeRows(&w, cols, keep, false, first, next, &count); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(w.n)
	}
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func TestLoad_ACancelledRunCancelsItsRunningJob(t *testing.T) {
	t.Parallel()
	f := newFakeBigQuery(t)
	f.pending = func(sql string) bool { return strings.HasPrefix(sql, "DECLARE") }
	dst := onFake(t, f)
	tl, err := dst.Begin(context.Background(), plan(load.Append, evolve))
	require.NoError(t, err)
	_, err = tl.Copy(context.Background(), rows(2))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = tl.Publish(ctx, load.Publication{ExpectRows: 2})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Len(t, f.cancelled, 1)
	require.True(t, strings.HasPrefix(f.cancelled[0], "DECLARE already"), "the publishing script was cancelled")
	require.Equal(t, 0, f.published)
}
