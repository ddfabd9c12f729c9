package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/run"
	"github.com/datanika/datanika/internal/testutil"
)

// Issue #15: the metadata database goes away while a run copies into a destination on another
// server, and comes back. Commit order of a run's end: (1) the destination publishes the rows
// with the incremental state and the ledger entry, in one destination transaction; (2) the
// worker records the run's ending in the metadata database, retrying across an outage up to
// RUN_HEARTBEAT_TIMEOUT. A crash or outage between 1 and 2 leaves the rows and the cursor in
// the destination (the next run starts from them) and a run without an ending, which whoever
// finds it settles from the destination's ledger.
func TestRunsFault_AMetadataOutageDuringTheCopyLosesNothingAndDuplicatesNothing(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{metadataFaults: true, heartbeat: 500 * time.Millisecond})
	e.exec(t, e.src, "CREATE TABLE events (id bigint PRIMARY KEY, payload text)")
	e.exec(t, e.src, "INSERT INTO events SELECT g, repeat('x', 200) FROM generate_series(1, 300000) g")
	id := e.pipeline(t, "events", map[string]any{"mode": "single_table", "table": "public.events", "write_disposition": "append",
		"incremental": map[string]any{"cursor_path": "id"}})

	queued := e.trigger(t, id, map[string]any{})
	e.waitFor(t, queued.Id, 30*time.Second, "running")
	// The copy is under way: the metadata database disappears for a while, then comes back.
	time.Sleep(200 * time.Millisecond)
	e.proxy.Down()
	time.Sleep(4 * time.Second)
	e.proxy.Up()

	r := e.waitFor(t, queued.Id, 60*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "the rows were published: the run says so (error: %s)", errText(r.errMsg))
	require.Equal(t, int64(300000), r.rowsLoaded)
	require.Equal(t, int64(300000), e.count(t, e.dst, "SELECT count(*) FROM raw.events"))
	require.Equal(t, int64(300000), e.count(t, e.dst, "SELECT count(DISTINCT id) FROM raw.events"))

	// The next trigger reads only what is new.
	e.exec(t, e.src, "INSERT INTO events SELECT g, 'new' FROM generate_series(300001, 300010) g")
	next := e.trigger(t, id, map[string]any{})
	r = e.waitFor(t, next.Id, 60*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "error: %s", errText(r.errMsg))
	require.Equal(t, int64(10), r.rowsLoaded)
	require.Equal(t, int64(300010), e.count(t, e.dst, "SELECT count(*) FROM raw.events"))
	require.Equal(t, int64(300010), e.count(t, e.dst, "SELECT count(DISTINCT id) FROM raw.events"))
}

func errText(s *string) string {
	if s == nil {
		return "none"
	}
	return *s
}

// faultDest is a destination of the fault suite: PostgreSQL (the env's) or a MariaDB database.
type faultDest struct {
	name   string
	connID int64
	schema string
	count  func(t *testing.T, q string) int64
}

func mariaDest(t *testing.T, e *runEnv, schema string) faultDest {
	t.Helper()
	dsn := testutil.MySQLDSN(t)
	db, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+schema+"`")
		_ = db.Close()
	})
	_, err = db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+schema+"`")
	require.NoError(t, err)
	cfg, err := mysqldriver.ParseDSN(dsn)
	require.NoError(t, err)
	host, portText, err := net.SplitHostPort(cfg.Addr)
	require.NoError(t, err)
	port, _ := strconv.Atoi(portText)
	conn := map[string]any{"host": host, "port": port, "user": cfg.User, "tls": "false"}
	if cfg.Passwd != "" {
		conn["password"] = cfg.Passwd
	}
	c := decode[api.Connection](t, e.call(t, http.MethodPost, "/api/v1/connections", e.f.owner.AccessToken,
		map[string]any{"name": "maria " + schema, "type": "mysql", "config": conn}), http.StatusCreated)
	return faultDest{name: "mariadb", connID: c.Id, schema: schema, count: func(t *testing.T, q string) int64 {
		t.Helper()
		var n int64
		require.NoError(t, db.QueryRowContext(context.Background(), strings.ReplaceAll(q, "{t}", "`"+schema+"`.events")).Scan(&n))
		return n
	}}
}

func (e *runEnv) faultPipeline(t *testing.T, d faultDest, srcConnID int64, cfg map[string]any) int64 {
	t.Helper()
	raw, err := json.Marshal(cfg)
	require.NoError(t, err)
	var id int64
	require.NoError(t, e.owner.QueryRow(context.Background(), `INSERT INTO pipelines
		(org_id, name, source_connection_id, destination_connection_id, destination_schema, status, config)
		VALUES ($1, $2, $3, $4, $5, 'active', $6) RETURNING id`, e.f.orgID, "events "+d.schema, srcConnID, d.connID, d.schema, raw).Scan(&id))
	return id
}

// faultScenario is one fault of the suite. setup, when set, prepares the env's worker (its
// Pause hook) before the env exists and returns what places the fault there; fault, when set,
// places it from the test while the run works. source: the run reads through the fault proxy
// too, so the fault interrupts its copy (a source on the metadata database's server).
type faultScenario struct {
	name string
	// cursorOnly: the fault is at the incremental state's write, which only runs with a cursor do.
	cursorOnly bool
	source     bool
	// pauseAt is the worker's Pause point at which an outage of outageFor starts, for a run
	// with a cursor or without one.
	pauseAt   func(cursor bool) string
	outageFor time.Duration
	fault     func(t *testing.T, e *runEnv, runID int64)
	// recordMatters: without the destination's record this scenario damages a run with a cursor.
	recordMatters bool
	// handedBack: the fault interrupts the copy, so the run's job must have a second attempt.
	handedBack bool
}

// outage takes the metadata database away for d, then brings it back, without waiting.
func outage(e *runEnv, d time.Duration) {
	e.proxy.Down()
	time.AfterFunc(d, e.proxy.Up)
}

var faultScenarios = []faultScenario{
	{name: "outage during the copy", fault: func(t *testing.T, e *runEnv, runID int64) {
		e.waitFor(t, runID, 30*time.Second, "running", "success")
		outage(e, 3*time.Second)
	}},
	{name: "fast restart during the copy", fault: func(t *testing.T, e *runEnv, runID int64) {
		e.waitFor(t, runID, 30*time.Second, "running", "success")
		time.Sleep(100 * time.Millisecond)
		e.proxy.Cut()
	}},
	// The destination has committed the table (rows, state, ledger); the worker has not yet
	// written the cursor's copy nor the run's ending, and the outage outlasts its retries of the
	// ending: the job's next attempt finds the run without one and settles it.
	{name: "outage after the destination committed", recordMatters: true, outageFor: 13 * time.Second, pauseAt: func(cursor bool) string {
		if cursor {
			return "cursor write"
		}
		return "log: table verified and published"
	}},
	{name: "outage during the cursor write", cursorOnly: true, recordMatters: true, outageFor: 3 * time.Second,
		pauseAt: func(bool) string { return "cursor write" }},
	// The source shares the metadata database's server: the outage, starting as the table's
	// copy starts, interrupts it, and the run's hand-back to the queue meets the outage too.
	// River must try the job again (a second attempt), and the retry loads each row once.
	{name: "outage during the hand-back", source: true, handedBack: true, outageFor: 8 * time.Second,
		pauseAt: func(bool) string { return "log: table started" }},
}

var faultDispositions = []struct {
	name string
	cfg  map[string]any
}{
	{"append", map[string]any{"write_disposition": "append"}},
	{"incremental append", map[string]any{"write_disposition": "append", "incremental": map[string]any{"cursor_path": "id"}}},
	{"replace", map[string]any{"write_disposition": "replace"}},
	{"merge", map[string]any{"write_disposition": "merge", "primary_key": "id", "incremental": map[string]any{"cursor_path": "id"}}},
}

const faultRows = 100000

// runFaultCase runs one scenario for one disposition into the PostgreSQL destination and, when
// maria, into a MariaDB one too, and returns what its checks found wrong: the destination holds
// each source row exactly once, the run says success with its true row count, and (but for
// plain append, which appends by design) the next trigger loads only what is new.
func runFaultCase(t *testing.T, sc faultScenario, dispName string, dispCfg map[string]any, maria, withoutRecord bool) []string {
	t.Helper()
	var env *runEnv
	var faultOnce sync.Once
	opts := runEnvOptions{metadataFaults: true, heartbeat: 500 * time.Millisecond, withoutRecord: withoutRecord}
	if sc.pauseAt != nil {
		at := sc.pauseAt(dispCfg["incremental"] != nil)
		opts.pause = func(_ context.Context, _ int64, point string) {
			if point == at {
				faultOnce.Do(func() { outage(env, sc.outageFor) })
			}
		}
	}
	e := setupRuns(t, opts)
	env = e
	e.exec(t, e.src, "CREATE TABLE events (id bigint PRIMARY KEY, payload text)")
	e.exec(t, e.src, fmt.Sprintf("INSERT INTO events SELECT g, repeat('x', 100) FROM generate_series(1, %d) g", faultRows))
	pgDest := faultDest{name: "postgres", connID: e.dstConn.Id, schema: "raw", count: func(t *testing.T, q string) int64 {
		return e.count(t, e.dst, strings.ReplaceAll(q, "{t}", "raw.events"))
	}}
	dests := []faultDest{pgDest}
	if maria {
		dests = append(dests, mariaDest(t, e, fmt.Sprintf("dnk_fault_%d", time.Now().UnixNano()%1e12)))
	}
	srcConnID := e.srcConn.Id
	if sc.source {
		srcConnID = decode[api.Connection](t, e.call(t, http.MethodPost, "/api/v1/connections", e.f.owner.AccessToken,
			map[string]any{"name": "source via the metadata server", "type": "postgres",
				"config": pgConfigFor(e.proxy.URL(t, e.srcURL), runPassword)}), http.StatusCreated).Id
	}
	var problems []string
	for _, d := range dests {
		bad := func(format string, args ...any) {
			problems = append(problems, fmt.Sprintf("%s %s into %s: ", sc.name, dispName, d.name)+fmt.Sprintf(format, args...))
		}
		cfg := map[string]any{"mode": "single_table", "table": "public.events"}
		for k, v := range dispCfg {
			cfg[k] = v
		}
		id := e.faultPipeline(t, d, srcConnID, cfg)
		faultOnce = sync.Once{}
		queued := e.trigger(t, id, map[string]any{})
		if sc.fault != nil {
			sc.fault(t, e, queued.Id)
		}
		r, ended := e.waitForEnd(t, queued.Id, 90*time.Second)
		e.proxy.Up()
		if !ended {
			bad("the run is still %s after 90 s", r.status)
			continue
		}
		if r.status != "success" {
			bad("the run ended %s (%s), but the destination holds %d rows", r.status, errText(r.errMsg), d.count(t, "SELECT count(*) FROM {t}"))
		} else if r.rowsLoaded != faultRows {
			bad("the run says %d rows loaded, want %d", r.rowsLoaded, faultRows)
		}
		if sc.handedBack {
			var attempt int
			require.NoError(t, e.owner.QueryRow(context.Background(), "SELECT attempt FROM river_job WHERE id = $1", r.jobID).Scan(&attempt))
			if attempt < 2 {
				bad("the run's job was worked %d time(s): the fault did not interrupt it, or River did not try it again", attempt)
			}
		}
		if n, distinct := d.count(t, "SELECT count(*) FROM {t}"), d.count(t, "SELECT count(DISTINCT id) FROM {t}"); n != faultRows || distinct != faultRows {
			bad("the destination holds %d rows (%d distinct), want %d once each", n, distinct, faultRows)
		}
		if dispName == "append" {
			continue
		}
		e.exec(t, e.src, fmt.Sprintf("INSERT INTO events VALUES (%d, 'new')", faultRows+1))
		next := e.trigger(t, id, map[string]any{})
		r, ended = e.waitForEnd(t, next.Id, 60*time.Second)
		switch {
		case !ended:
			bad("the next run is still %s after 60 s", r.status)
		case r.status != "success":
			bad("the next run ended %s (%s)", r.status, errText(r.errMsg))
		case dispCfg["incremental"] != nil && r.rowsLoaded != 1:
			bad("the next run loaded %d rows, want only the new one", r.rowsLoaded)
		}
		if n, distinct := d.count(t, "SELECT count(*) FROM {t}"), d.count(t, "SELECT count(DISTINCT id) FROM {t}"); n != faultRows+1 || distinct != faultRows+1 {
			bad("after the next run the destination holds %d rows (%d distinct), want %d once each", n, distinct, faultRows+1)
		}
		e.exec(t, e.src, fmt.Sprintf("DELETE FROM events WHERE id = %d", faultRows+1))
	}
	return problems
}

// TestRunsFault_Suite is issue #15's fault-injection suite: for append, incremental append,
// replace and merge into PostgreSQL and MariaDB, the worker's metadata connections fail while a
// run copies (an outage of a few seconds; a fast restart that drops every connection), right
// after the destination committed, while the cursor's copy is written, and while an interrupted
// run is handed back to the queue. Every check must hold.
func TestRunsFault_Suite(t *testing.T) {
	t.Parallel()
	for _, sc := range faultScenarios {
		for _, disp := range faultDispositions {
			if sc.cursorOnly && disp.cfg["incremental"] == nil {
				continue // no cursor, no cursor write
			}
			t.Run(sc.name+"/"+disp.name, func(t *testing.T) {
				t.Parallel()
				for _, p := range runFaultCase(t, sc, disp.name, disp.cfg, true, false) {
					t.Error(p)
				}
			})
		}
	}
}

// TestRunsFault_SuiteFailsWithoutTheDestinationRecord runs the suite's scenarios where the
// destination's record matters again with the record switched off (incremental state only in
// the metadata database, no ledger to settle a run from), for incremental append into
// PostgreSQL: the checks must find the damage — rows twice, a run that says it loaded nothing
// or failed after its rows were published — which shows the suite can fail.
func TestRunsFault_SuiteFailsWithoutTheDestinationRecord(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("the suite's scenarios again, with the record off")
	}
	for _, sc := range faultScenarios {
		if !sc.recordMatters {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			var found []string
			disp := faultDispositions[1] // incremental append
			found = append(found, runFaultCase(t, sc, disp.name, disp.cfg, false, true)...)
			require.NotEmpty(t, found, "without the destination's record the checks must find damage")
			for _, p := range found {
				t.Logf("found, as expected without the record: %s", p)
			}
		})
	}
}

// A 30 s outage right after the destination committed outlasts the worker's retries of the run's
// ending (the heartbeat timeout). The run is then left running, and the reaper's next tick —
// which asks the destination what the run published — settles it: status and counts match the
// destination, and the next trigger loads only new rows.
func TestRunsFault_AThirtySecondOutageIsSettledByTheReaper(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a 30 s outage")
	}
	const rows = 100000
	e := setupRuns(t, runEnvOptions{metadataFaults: true, heartbeat: 500 * time.Millisecond})
	e.exec(t, e.src, "CREATE TABLE events (id bigint PRIMARY KEY, payload text)")
	e.exec(t, e.src, fmt.Sprintf("INSERT INTO events SELECT g, repeat('x', 100) FROM generate_series(1, %d) g", rows))
	id := e.pipeline(t, "events", map[string]any{"mode": "single_table", "table": "public.events", "write_disposition": "append",
		"incremental": map[string]any{"cursor_path": "id"}})
	queued := e.trigger(t, id, map[string]any{})
	// The outage begins the moment the destination has committed, before the end is recorded.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var n int64
		if err := e.dst.QueryRow(context.Background(), "SELECT count(*) FROM raw._dnk_loads WHERE attempt = $1", fmt.Sprintf("run-%d", queued.Id)).Scan(&n); err == nil && n > 0 {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	e.proxy.Down()
	time.Sleep(30 * time.Second)
	e.proxy.Up()

	reaper := &run.ReaperWorker{Pool: e.pool, Stale: 2 * time.Second, Logger: testutil.Logger(), Settle: newRunWorker(t, e.pool, runEnvOptions{}).SettleReaped}
	deadline = time.Now().Add(60 * time.Second)
	var r storedRun
	for {
		r = e.run(t, queued.Id)
		if r.status == "success" || time.Now().After(deadline) {
			break
		}
		require.NoError(t, reaper.Work(context.Background(), &river.Job[run.ReaperArgs]{}))
		time.Sleep(500 * time.Millisecond)
	}
	require.Equal(t, "success", r.status, "error: %s", errText(r.errMsg))
	require.Equal(t, int64(rows), r.rowsLoaded)
	require.Equal(t, int64(rows), e.count(t, e.dst, "SELECT count(DISTINCT id) FROM raw.events"))
	require.Equal(t, int64(rows), e.count(t, e.dst, "SELECT count(*) FROM raw.events"))

	e.exec(t, e.src, fmt.Sprintf("INSERT INTO events VALUES (%d, 'new')", rows+1))
	next := e.trigger(t, id, map[string]any{})
	r = e.waitFor(t, next.Id, 60*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "error: %s", errText(r.errMsg))
	require.Equal(t, int64(1), r.rowsLoaded)
	require.Equal(t, int64(rows+1), e.count(t, e.dst, "SELECT count(*) FROM raw.events"))
}
