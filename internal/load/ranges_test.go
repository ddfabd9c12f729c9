package load_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

// syncBuffer collects the debug log of a run, written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func debugLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// rangesPG is a source table whose keys have gaps, negative keys and a lone far key: four
// ranges of [-2999, 12000] split at 750, 4499 and 8248, so the third is empty.
const rangesPG = `CREATE SCHEMA src;
CREATE TABLE src.big (id bigint PRIMARY KEY, name text, amount numeric(12,2), updated_at timestamptz NOT NULL, doc json);
INSERT INTO src.big SELECT g, 'n' || g, g * 1.25, '2024-01-01'::timestamptz + g * interval '1 second', '{"g": 1}'
  FROM generate_series(-3000, 3000) g WHERE g % 7 <> 0;
INSERT INTO src.big VALUES (12000, 'far', 1, '2025-01-01', NULL);
ANALYZE src.big`

func parallelSpec(pg *dbtest.PG, t *testing.T, cfg string) (load.Spec, *syncBuffer) {
	log, buf := debugLogger()
	return load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: dbtest.MustConfig(t, cfg),
		Parallelism: 4, ParallelMinRows: 100, Logger: log}, buf
}

// sameRows counts the rows that differ between the source and the destination table.
func sameRows(t *testing.T, pg *dbtest.PG, dst, where string) {
	t.Helper()
	require.Zero(t, pg.Count(t, `SELECT count(*) FROM (
  (SELECT id, name, amount, updated_at FROM src.big `+where+` EXCEPT ALL SELECT id, name, amount, updated_at FROM `+dst+`)
  UNION ALL
  (SELECT id, name, amount, updated_at FROM `+dst+` EXCEPT ALL SELECT id, name, amount, updated_at FROM src.big `+where+`)) d`))
	require.Equal(t, pg.Count(t, "SELECT count(*) FROM "+dst), pg.Count(t, "SELECT count(DISTINCT id) FROM "+dst), "no key twice")
}

func TestRun_PostgresBigTableIsReadInParallelRangesExactlyOnce(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, rangesPG)
	want := pg.Count(t, "SELECT count(*) FROM src.big")
	cases := []struct {
		name, cfg, log string
	}{
		// Replace without checksum: raw binary COPY, four streams into the new table.
		{"replace passes COPY through in parallel", `{"mode": "single_table", "table": "src.big", "write_disposition": "replace"}`, "parallel copy"},
		// Checksum decodes values: four readers into one writer.
		{"checksum reads in parallel", `{"mode": "single_table", "table": "src.big", "write_disposition": "replace", "verify": "checksum"}`, "parallel read"},
		{"append with checksum", `{"mode": "single_table", "table": "src.big", "write_disposition": "append", "verify": "checksum"}`, "parallel read"},
		// Append and merge COPY through a shared unlogged staging table.
		{"append passes COPY through in parallel", `{"mode": "single_table", "table": "src.big", "write_disposition": "append"}`, "parallel copy"},
		{"merge passes COPY through in parallel", `{"mode": "single_table", "table": "src.big", "write_disposition": "merge", "primary_key": "id"}`, "parallel copy"},
	}
	for i, c := range cases {
		spec, logs := parallelSpec(pg, t, c.cfg)
		spec.DestinationSchema = fmt.Sprintf("raw%d", i)
		res, err := dbtest.RunLoad(t, spec)
		require.NoError(t, err, c.name)
		require.Equal(t, want, res.RowsLoaded, c.name)
		require.Contains(t, logs.String(), "msg=\""+c.log+"\"", c.name)
		require.Contains(t, logs.String(), "ranges=4", c.name)
		sameRows(t, pg, spec.DestinationSchema+".big", "")
		require.Zero(t, pg.Count(t, "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename LIKE '\\_dnk\\_%' AND tablename NOT IN ('_dnk_loads', '_dnk_state', '_dnk_rejected')", spec.DestinationSchema),
			"no staging left")
	}
}

// A crash leaves an unlogged staging table behind; the next parallel load into the schema
// drops it, but not the staging of a load still running (its session holds the lock).
func TestRun_PostgresParallelCopySweepsStagingLeftByACrash(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	ctx := context.Background()
	pg.Exec(t, rangesPG, "CREATE SCHEMA raw", "CREATE UNLOGGED TABLE raw._dnk_pstage_0123456789ab (id bigint)",
		"CREATE UNLOGGED TABLE raw._dnk_pstage_live00000000 (id bigint)")
	live, err := pgx.Connect(ctx, pg.URL)
	require.NoError(t, err)
	defer func() { _ = live.Close(ctx) }()
	var locked bool
	require.NoError(t, live.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext('datanika.stage'), hashtext('"raw"."_dnk_pstage_live00000000"'))`).Scan(&locked))
	require.True(t, locked)

	spec, logs := parallelSpec(pg, t, `{"mode": "single_table", "table": "src.big", "write_disposition": "append"}`)
	_, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Contains(t, logs.String(), "parallel copy")
	require.Equal(t, []string{"_dnk_pstage_live00000000", "big"}, tableNames(t, pg, "raw"))
}

// tableNames lists a schema's tables but the ledger every load keeps (_dnk_loads).
func tableNames(t *testing.T, pg *dbtest.PG, schema string) []string {
	t.Helper()
	rows, err := pg.Conn.Query(context.Background(), "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 AND tablename <> '_dnk_loads' ORDER BY 1", schema)
	require.NoError(t, err)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return names
}

func TestRun_PostgresParallelRangesKeepFiltersAndIncrementalWindows(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, rangesPG)
	// Merge stages in a temporary table: the PostgreSQL-to-PostgreSQL raw COPY path stays serial
	// for it, the decoding path (checksum) reads in parallel.
	cfg := `{"mode": "single_table", "table": "src.big", "write_disposition": "merge", "primary_key": "id", "verify": "checksum",
	  "filters": [{"column": "name", "op": "ne", "value": "n5"}],
	  "incremental": {"cursor_path": "updated_at", "initial_value": "2024-01-01T00:00:00Z", "row_order": "asc"}}`
	spec, logs := parallelSpec(pg, t, cfg)
	_, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Contains(t, logs.String(), "ranges=4")
	sameRows(t, pg, "raw.big", "WHERE name <> 'n5' AND updated_at >= '2024-01-01'")

	// The next run reads only what is newer than the mark, still in ranges.
	pg.Exec(t, "UPDATE src.big SET name = 'changed', updated_at = '2030-01-01' WHERE id IN (-2999, 1, 2999)")
	spec, logs = parallelSpec(pg, t, cfg)
	res, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(3), res.RowsLoaded)
	require.Contains(t, logs.String(), "ranges=4")
	sameRows(t, pg, "raw.big", "WHERE name <> 'n5' AND updated_at >= '2024-01-01'")
}

func TestRun_PostgresSmallTablesAndOtherKeysAreReadSerially(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, rangesPG, "CREATE TABLE src.textkey (k text PRIMARY KEY); INSERT INTO src.textkey SELECT g::text FROM generate_series(1, 500) g; ANALYZE src.textkey")
	for _, s := range []struct {
		table   string
		par     int
		minRows int64
	}{{"src.big", 4, 1_000_000}, {"src.big", 1, 100}, {"src.textkey", 4, 100}} {
		spec, logs := parallelSpec(pg, t, `{"mode": "single_table", "table": "`+s.table+`", "write_disposition": "replace", "verify": "checksum"}`)
		spec.Parallelism, spec.ParallelMinRows = s.par, s.minRows
		_, err := dbtest.RunLoad(t, spec)
		require.NoError(t, err)
		require.NotContains(t, logs.String(), "parallel", s)
	}
}

// A writer that commits after the run's snapshot changes nothing: every range reads the
// snapshot the run started with, the one verify counts in.
func TestRun_PostgresParallelRangesShareOneSnapshotUnderAConcurrentWriter(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, rangesPG, "CREATE TABLE src.before AS SELECT * FROM src.big")
	for _, verify := range []string{"count", "checksum"} {
		ctx := context.Background()
		locker, err := pgx.Connect(ctx, pg.URL)
		require.NoError(t, err)
		defer func() { _ = locker.Close(ctx) }()
		tx, err := locker.Begin(ctx)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, "LOCK TABLE src.big IN ACCESS EXCLUSIVE MODE")
		require.NoError(t, err)

		spec, logs := parallelSpec(pg, t, `{"mode": "single_table", "table": "src.big", "write_disposition": "replace", "verify": "`+verify+`"}`)
		spec.DestinationSchema = "raw_" + verify
		done := make(chan error, 1)
		go func() {
			_, err := dbtest.RunLoad(t, spec)
			done <- err
		}()
		// The run has its snapshot and waits for the lock; now the writer changes every range.
		waitForLockWaiter(t, pg)
		_, err = tx.Exec(ctx, `DELETE FROM src.big WHERE id % 5 = 0;
INSERT INTO src.big SELECT g, 'new', 0, now(), NULL FROM generate_series(-2800, 2800, 7) g;
UPDATE src.big SET name = 'updated' WHERE id % 3 = 0`)
		require.NoError(t, err)
		require.NoError(t, tx.Commit(ctx))
		require.NoError(t, <-done)
		require.Contains(t, logs.String(), "ranges=4")

		require.Zero(t, pg.Count(t, `SELECT count(*) FROM (
  (SELECT id, name FROM src.before EXCEPT ALL SELECT id, name FROM raw_`+verify+`.big)
  UNION ALL (SELECT id, name FROM raw_`+verify+`.big EXCEPT ALL SELECT id, name FROM src.before)) d`))
		pg.Exec(t, "TRUNCATE src.big", "INSERT INTO src.big SELECT * FROM src.before", "ANALYZE src.big")
	}
}

func waitForLockWaiter(t *testing.T, pg *dbtest.PG) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if pg.Count(t, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
  AND wait_event_type = 'Lock' AND query ILIKE '%src%big%'`) > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the run never waited for the lock")
}

// One range fails (json holding \u0000, which jsonb refuses): the others stop, the run fails
// and the destination is as it was, without a half-built table left behind.
func TestRun_PostgresFailureInOneRangeAbortsAllAndChangesNothing(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, rangesPG)
	spec, _ := parallelSpec(pg, t, `{"mode": "single_table", "table": "src.big", "write_disposition": "replace"}`)
	_, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	before := pg.Count(t, "SELECT count(*) FROM raw.big")

	pg.Exec(t, `UPDATE src.big SET doc = '{"a": "\u0000"}' WHERE id = 12000`, "DELETE FROM src.big WHERE id < 0")
	spec, logs := parallelSpec(pg, t, `{"mode": "single_table", "table": "src.big", "write_disposition": "replace"}`)
	_, err = dbtest.RunLoad(t, spec)
	require.Error(t, err)
	require.Contains(t, logs.String(), "ranges=4")
	require.Contains(t, err.Error(), "range 4 of 4")
	require.Equal(t, before, pg.Count(t, "SELECT count(*) FROM raw.big"))
	require.Equal(t, int64(2), pg.Count(t, "SELECT count(*) FROM raw.big WHERE id < 0 AND id > -3"), "the old rows are still there")
	require.Zero(t, pg.Count(t, "SELECT count(*) FROM pg_tables WHERE tablename LIKE '\\_dnk\\_%' AND tablename NOT IN ('_dnk_loads', '_dnk_state', '_dnk_rejected')"), "no staging left")

	// The same through append's shared unlogged staging.
	spec, logs = parallelSpec(pg, t, `{"mode": "single_table", "table": "src.big", "write_disposition": "append"}`)
	_, err = dbtest.RunLoad(t, spec)
	require.Error(t, err)
	require.Contains(t, logs.String(), "parallel copy")
	require.Contains(t, err.Error(), "range 4 of 4")
	require.Equal(t, before, pg.Count(t, "SELECT count(*) FROM raw.big"))
	require.Zero(t, pg.Count(t, "SELECT count(*) FROM pg_tables WHERE tablename LIKE '\\_dnk\\_%' AND tablename NOT IN ('_dnk_loads', '_dnk_state', '_dnk_rejected')"), "no staging left")
}

func TestRun_PostgresParallelRangesStopWhenCancelled(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.big (id int PRIMARY KEY, pad text)",
		"INSERT INTO src.big SELECT g, repeat('x', 50) FROM generate_series(1, 60000) g", "ANALYZE src.big")
	for _, verify := range []string{"count", "checksum"} {
		spec, logs := parallelSpec(pg, t, `{"mode": "single_table", "table": "src.big", "write_disposition": "replace", "batch_size": 500, "verify": "`+verify+`"}`)
		spec.DestinationSchema = "raw_" + verify
		ctx, cancel := context.WithCancel(context.Background())
		_, err := load.Run(ctx, spec, nil, func(p load.Progress) {
			if p.RowsRead > 0 {
				cancel()
			}
		})
		cancel()
		require.ErrorIs(t, err, context.Canceled)
		require.Contains(t, logs.String(), "ranges=4")
		require.Zero(t, pg.Count(t, "SELECT count(*) FROM pg_tables WHERE schemaname = $1", spec.DestinationSchema))
	}
}

// rangesMySQL mirrors rangesPG on MariaDB.
const rangesMySQL = "CREATE TABLE big (id BIGINT PRIMARY KEY, name VARCHAR(20), amount DECIMAL(12,2), tm TIME, updated_at DATETIME(6) NOT NULL);" +
	"INSERT INTO big SELECT g, CONCAT('n', g), g * 1.25, '10:00:00', '2024-01-01' + INTERVAL g SECOND" +
	" FROM (SELECT CAST(seq AS SIGNED) - 3000 AS g FROM seq_0_to_6000) s WHERE g % 7 <> 0;" +
	"INSERT INTO big VALUES (12000, 'far', 1, NULL, '2025-01-01');" +
	"ANALYZE TABLE big"

func TestRun_MariaDBBigTableIsReadInParallelRangesExactlyOnce(t *testing.T) {
	t.Parallel()
	my, myURL := dbtest.MySQLDB(t)
	_, err := my.ExecContext(context.Background(), rangesMySQL)
	require.NoError(t, err)
	pg := dbtest.NewPG(t)
	src, err := load.ParseURL(myURL)
	require.NoError(t, err)
	log, logs := debugLogger()
	spec := load.Spec{Source: src, Destination: pg.Endpoint(t), Parallelism: 4, ParallelMinRows: 100, Logger: log,
		Config: dbtest.MustConfig(t, `{"write_disposition": "replace", "verify": "checksum", "filters": [{"column": "name", "op": "ne", "value": "n5"}]}`)}
	res, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Contains(t, logs.String(), "ranges=4")
	var want int64
	require.NoError(t, my.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM big WHERE name <> 'n5'").Scan(&want))
	require.Equal(t, want, res.RowsLoaded)
	require.Equal(t, want, pg.Count(t, "SELECT count(DISTINCT id) FROM raw.big"))
	require.Equal(t, int64(1), pg.Count(t, "SELECT count(*) FROM raw.big WHERE id = 12000"))
	require.Equal(t, int64(1), pg.Count(t, "SELECT count(*) FROM raw.big WHERE id = -2999 AND amount = -3748.75"))
	require.Zero(t, pg.Count(t, "SELECT count(*) FROM raw.big WHERE name = 'n5' OR id % 7 = 0"))
}

func TestRun_MariaDBFailureInOneRangeAbortsAllAndChangesNothing(t *testing.T) {
	t.Parallel()
	my, myURL := dbtest.MySQLDB(t)
	ctx := context.Background()
	_, err := my.ExecContext(ctx, rangesMySQL)
	require.NoError(t, err)
	pg := dbtest.NewPG(t)
	src, err := load.ParseURL(myURL)
	require.NoError(t, err)
	// verify checksum decodes every value, in parallel ranges (verify count would copy the
	// table as COPY text in one stream).
	spec := load.Spec{Source: src, Destination: pg.Endpoint(t), Parallelism: 4, ParallelMinRows: 100, Pipeline: "p",
		DestinationSchema: "raw", Config: dbtest.MustConfig(t, `{"write_disposition": "replace", "verify": "checksum"}`)}
	_, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	before := pg.Count(t, "SELECT count(*) FROM raw.big")

	// A date with a zero month (which MySQL keeps when sql_mode allows it) is no date anywhere
	// else: the last range fails on it. (This was a TIME beyond a day, until TIME became the
	// duration it is.)
	_, err = my.ExecContext(ctx, "SET SESSION sql_mode = ''; UPDATE big SET updated_at = '2024-00-10 00:00:00' WHERE id = 12000;"+
		" DELETE FROM big WHERE id < 0")
	require.NoError(t, err)
	log, logs := debugLogger()
	spec.Logger = log
	_, err = dbtest.RunLoad(t, spec)
	require.Error(t, err)
	require.Contains(t, logs.String(), "ranges=4")
	require.Contains(t, err.Error(), "range 4 of 4")
	require.Contains(t, err.Error(), `"updated_at"`)
	require.Equal(t, before, pg.Count(t, "SELECT count(*) FROM raw.big"))
	require.Positive(t, pg.Count(t, "SELECT count(*) FROM raw.big WHERE id < 0"))
	require.Zero(t, pg.Count(t, "SELECT count(*) FROM pg_tables WHERE tablename LIKE '\\_dnk\\_%' AND tablename NOT IN ('_dnk_loads', '_dnk_state', '_dnk_rejected')"))

	// Cancelled mid-way, it stops too, leaving the destination alone.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, err = my.ExecContext(ctx, "UPDATE big SET updated_at = '2025-01-01' WHERE id = 12000")
	require.NoError(t, err)
	spec.Config.BatchSize = 200
	_, err = load.Run(cctx, spec, nil, func(p load.Progress) {
		if p.RowsRead > 0 {
			cancel()
		}
	})
	require.True(t, errors.Is(err, context.Canceled), "%v", err)
	require.Equal(t, before, pg.Count(t, "SELECT count(*) FROM raw.big"))
}
