package run

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/transform"
)

// Phases of a run, shown in its stats.
const (
	PhaseQueued     = "queued"
	PhaseConnecting = "connecting"
	PhaseWaiting    = "waiting"
	PhaseLoading    = "loading"
	PhaseDone       = "done"
)

// Stats is runs.stats, in the shape of the API's RunStats.
type Stats struct {
	Phase  string       `json:"phase,omitempty"`
	Tables []TableStats `json:"tables"`
	// Nodes are a transformation's or job's per-node results (SPEC §3.0 run stats).
	Nodes []transform.Result `json:"nodes,omitempty"`
	// Waiting, while a scheduled run waits for upstreams with a check_timeframe.
	Waiting *Waiting `json:"waiting,omitempty"`
}

// Waiting is what a scheduled run waits for: the upstreams without a recent enough success.
type Waiting struct {
	Upstreams []string  `json:"upstreams"`
	Since     time.Time `json:"since"`
}

// TableStats are one table's figures, as the API's RunTableStats: the engine's own.
type TableStats = load.TableStats

func statsJSON(s Stats) []byte {
	if s.Tables == nil {
		s.Tables = []TableStats{}
	}
	b, _ := json.Marshal(s)
	return b
}

func decodeStats(raw []byte) Stats {
	var s Stats
	_ = json.Unmarshal(raw, &s)
	return s
}

// progressTracker turns the engine's progress callbacks (after every batch) into runs.stats,
// written at most once per interval so a fast load is not slowed by the metadata database.
type progressTracker struct {
	mu      sync.Mutex
	stats   Stats
	started map[string]time.Time
	dirty   bool
	onTable func(p load.Progress, first bool, seconds float64)
}

func newProgressTracker(onTable func(p load.Progress, first bool, seconds float64)) *progressTracker {
	return &progressTracker{stats: Stats{Phase: PhaseConnecting}, started: map[string]time.Time{}, onTable: onTable}
}

// progress is the engine's callback.
func (t *progressTracker) progress(p load.Progress) {
	t.mu.Lock()
	t.stats.Phase = PhaseLoading
	first := false
	if _, ok := t.started[p.Table]; !ok {
		t.started[p.Table] = time.Now()
		t.stats.Tables = append(t.stats.Tables, TableStats{Name: p.Table})
		first = true
	}
	var seconds float64
	for i := range t.stats.Tables {
		if t.stats.Tables[i].Name == p.Table {
			t.stats.Tables[i].RowsRead = p.RowsRead
			seconds = time.Since(t.started[p.Table]).Seconds()
			t.stats.Tables[i].Seconds = seconds
		}
	}
	t.dirty = true
	t.mu.Unlock()
	if first || p.Done {
		t.onTable(p, first, seconds)
	}
}

// snapshot returns the stats if they changed since the last call.
func (t *progressTracker) snapshot() (Stats, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.dirty {
		return Stats{}, false
	}
	t.dirty = false
	s := t.stats
	s.Tables = append([]TableStats(nil), t.stats.Tables...)
	return s, true
}

// flushEvery writes changed stats with write every interval until ctx ends.
func (t *progressTracker) flushEvery(ctx context.Context, interval time.Duration, write func(Stats)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if s, ok := t.snapshot(); ok {
				write(s)
			}
		}
	}
}
