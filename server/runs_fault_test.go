package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
