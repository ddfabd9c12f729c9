package run

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/datanika/datanika/db/dbgen"
)

// upstreamsReady checks, before a scheduled run starts, the dependencies of its node that carry
// a check_timeframe (SPEC §8): each such upstream needs a successful run that finished within
// the timeframe. While one lacks it, the run stays queued with stats.waiting naming them and
// the time it began to wait (and a log line), and the caller snoozes its job for a recheck;
// after DependencyWait the run ends failed naming the unsatisfied upstreams. r is updated.
// Runs in the start transaction, under the run's row lock.
func (w *PipelineRunWorker) upstreamsReady(ctx context.Context, q *dbgen.Queries, r *dbgen.Run) (startOutcome, error) {
	deps, err := q.TimeframeUpstreams(ctx, dbgen.TimeframeUpstreamsParams{OrgID: r.OrgID, DownstreamType: r.TargetType, DownstreamID: r.TargetID})
	if err != nil || len(deps) == 0 {
		return started, err
	}
	now := time.Now()
	var missing []string
	for _, d := range deps {
		since := now.Add(-timeframe(*d.CheckTimeframeValue, *d.CheckTimeframeUnit))
		ok, err := q.SuccessfulRunSince(ctx, dbgen.SuccessfulRunSinceParams{OrgID: r.OrgID, TargetType: d.UpstreamType, TargetID: d.UpstreamID,
			Since: pgtype.Timestamptz{Time: since, Valid: true}})
		if err != nil {
			return started, err
		}
		if ok {
			continue
		}
		name, err := q.NodeName(ctx, dbgen.NodeNameParams{OrgID: r.OrgID, NodeType: d.UpstreamType, NodeID: d.UpstreamID})
		if err != nil {
			name = fmt.Sprintf("%s %d", d.UpstreamType, d.UpstreamID)
		}
		missing = append(missing, fmt.Sprintf("%s (a success within %d %s)", name, *d.CheckTimeframeValue, *d.CheckTimeframeUnit))
	}
	stats := decodeStats(r.Stats)
	if len(missing) == 0 {
		return started, nil
	}
	if stats.Waiting == nil {
		stats.Waiting = &Waiting{Since: now}
	}
	stats.Waiting.Upstreams = missing
	if now.Sub(stats.Waiting.Since) >= w.cfg.DependencyWait {
		reason := fmt.Sprintf("Upstream %s had no recent enough success; waited %s.", strings.Join(missing, ", "), w.cfg.DependencyWait)
		stats.Phase = PhaseDone
		failed, err := q.FinishRun(ctx, dbgen.FinishRunParams{OrgID: r.OrgID, ID: r.ID, Status: StatusFailed, Error: &reason,
			RowsLoaded: r.RowsLoaded, Stats: statsJSON(stats)})
		if err != nil {
			return started, err
		}
		*r = failed
		return ended, appendLine(ctx, q, *r, "error", "run failed: "+reason, nil)
	}
	first := stats.Phase != PhaseWaiting
	stats.Phase = PhaseWaiting
	updated, err := q.SetQueuedRunStats(ctx, dbgen.SetQueuedRunStatsParams{OrgID: r.OrgID, ID: r.ID, Stats: statsJSON(stats)})
	if err != nil {
		return started, err
	}
	*r = updated
	if first {
		msg := fmt.Sprintf("waiting for %s since %s", strings.Join(missing, ", "), stats.Waiting.Since.UTC().Format(time.RFC3339))
		if err := appendLine(ctx, q, *r, "info", msg, nil); err != nil {
			return started, err
		}
	}
	return waitingUpstream, nil
}

// timeframe is a check_timeframe as a duration.
func timeframe(value int32, unit string) time.Duration {
	d := time.Duration(value)
	switch unit {
	case "hours":
		return d * time.Hour
	case "days":
		return d * 24 * time.Hour
	}
	return d * time.Minute
}
