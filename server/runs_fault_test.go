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
	// ledger says whether the destination's ledger holds a publication by the attempt.
	ledger func(attempt string) bool
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
	}, ledger: func(attempt string) bool {
		var n int64
		err := db.QueryRowContext(context.Background(), "SELECT count(*) FROM `"+schema+"`._dnk_loads WHERE attempt = ?", attempt).Scan(&n)
		return err == nil && n > 0
	}}
}

func (e *runEnv) faultPipeline(t *testing.T, d faultDest, cfg map[string]any) int64 {
	t.Helper()
	raw, err := json.Marshal(cfg)
	require.NoError(t, err)
	var id int64
	require.NoError(t, e.owner.QueryRow(context.Background(), `INSERT INTO pipelines
		(org_id, name, source_connection_id, destination_connection_id, destination_schema, status, config)
		VALUES ($1, $2, $3, $4, $5, 'active', $6) RETURNING id`, e.f.orgID, "events "+d.schema, e.srcConn.Id, d.connID, d.schema, raw).Scan(&id))
	return id
}

// TestRunsFault_Suite is issue #15's fault-injection suite: for append, incremental append,
// replace and merge into PostgreSQL and MariaDB, the worker's metadata connections fail while
// a run copies (an outage of a few seconds; a fast restart that drops every connection) or
// right after the destination committed. Each case asserts the destination holds each source
// row exactly once, the run says success with its true row count, and (but for plain append,
// which appends by design) the next trigger loads only what is new.
func TestRunsFault_Suite(t *testing.T) {
	t.Parallel()
	const rows = 100000
	type scenario struct {
		name  string
		fault func(t *testing.T, e *runEnv, d faultDest, runID int64)
	}
	scenarios := []scenario{
		{"outage during the copy", func(t *testing.T, e *runEnv, _ faultDest, runID int64) {
			e.waitFor(t, runID, 30*time.Second, "running", "success")
			e.proxy.Down()
			time.Sleep(3 * time.Second)
			e.proxy.Up()
		}},
		{"fast restart during the copy", func(t *testing.T, e *runEnv, _ faultDest, runID int64) {
			e.waitFor(t, runID, 30*time.Second, "running", "success")
			time.Sleep(100 * time.Millisecond)
			e.proxy.Cut()
		}},
		{"outage after the destination committed", func(t *testing.T, e *runEnv, d faultDest, runID int64) {
			// The moment the ledger shows the run's table, before the worker records the end.
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				if d.ledger(fmt.Sprintf("run-%d", runID)) {
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
			e.proxy.Down()
			time.Sleep(3 * time.Second)
			e.proxy.Up()
		}},
	}
	dispositions := []struct {
		name string
		cfg  map[string]any
	}{
		{"append", map[string]any{"write_disposition": "append"}},
		{"incremental append", map[string]any{"write_disposition": "append", "incremental": map[string]any{"cursor_path": "id"}}},
		{"replace", map[string]any{"write_disposition": "replace"}},
		{"merge", map[string]any{"write_disposition": "merge", "primary_key": "id"}},
	}
	for si, sc := range scenarios {
		for di, disp := range dispositions {
			t.Run(sc.name+"/"+disp.name, func(t *testing.T) {
				t.Parallel()
				e := setupRuns(t, runEnvOptions{metadataFaults: true, heartbeat: 500 * time.Millisecond})
				e.exec(t, e.src, "CREATE TABLE events (id bigint PRIMARY KEY, payload text)")
				e.exec(t, e.src, fmt.Sprintf("INSERT INTO events SELECT g, repeat('x', 100) FROM generate_series(1, %d) g", rows))
				pgDest := faultDest{name: "postgres", connID: e.dstConn.Id, schema: "raw", count: func(t *testing.T, q string) int64 {
					return e.count(t, e.dst, strings.ReplaceAll(q, "{t}", "raw.events"))
				}, ledger: func(attempt string) bool {
					var n int64
					err := e.dst.QueryRow(context.Background(), "SELECT count(*) FROM raw._dnk_loads WHERE attempt = $1", attempt).Scan(&n)
					return err == nil && n > 0
				}}
				for _, d := range []faultDest{pgDest, mariaDest(t, e, fmt.Sprintf("dnk_fault_%d_%d_%d", si, di, time.Now().UnixNano()%1e9))} {
					cfg := map[string]any{"mode": "single_table", "table": "public.events"}
					for k, v := range disp.cfg {
						cfg[k] = v
					}
					id := e.faultPipeline(t, d, cfg)
					queued := e.trigger(t, id, map[string]any{})
					sc.fault(t, e, d, queued.Id)
					r := e.waitFor(t, queued.Id, 90*time.Second, "success", "failed", "cancelled")
					require.Equal(t, "success", r.status, "%s: error: %s", d.name, errText(r.errMsg))
					require.Equal(t, int64(rows), r.rowsLoaded, d.name)
					require.Equal(t, int64(rows), d.count(t, "SELECT count(*) FROM {t}"), d.name)
					require.Equal(t, int64(rows), d.count(t, "SELECT count(DISTINCT id) FROM {t}"), d.name)
					if disp.name == "append" {
						continue
					}
					e.exec(t, e.src, fmt.Sprintf("INSERT INTO events VALUES (%d, 'new')", rows+1))
					next := e.trigger(t, id, map[string]any{})
					r = e.waitFor(t, next.Id, 60*time.Second, "success", "failed", "cancelled")
					require.Equal(t, "success", r.status, "%s: error: %s", d.name, errText(r.errMsg))
					require.Equal(t, int64(rows+1), d.count(t, "SELECT count(*) FROM {t}"), d.name)
					require.Equal(t, int64(rows+1), d.count(t, "SELECT count(DISTINCT id) FROM {t}"), d.name)
					if disp.name == "incremental append" {
						require.Equal(t, int64(1), r.rowsLoaded, "%s: only the new row", d.name)
					}
					e.exec(t, e.src, fmt.Sprintf("DELETE FROM events WHERE id = %d", rows+1))
				}
			})
		}
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
