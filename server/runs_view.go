package server

import (
	"encoding/json"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/db/dbgen"
)

// runToAPI converts a stored run to its API shape. Every handler answering a run goes through it,
// so the list, the run page, the live stream and the dashboard show the same thing.
func runToAPI(r dbgen.Run) api.Run {
	out := api.Run{
		Id: r.ID, TargetType: api.RunTargetType(r.TargetType), TargetId: r.TargetID,
		Status: api.RunStatus(r.Status), Trigger: api.RunTrigger(r.Trigger), Attempt: r.Attempt,
		RetryOf: r.RetryOf, DagRunId: r.DagRunID, RowsLoaded: r.RowsLoaded, Error: r.Error,
		StartedAt: timePtr(r.StartedAt.Time, r.StartedAt.Valid), FinishedAt: timePtr(r.FinishedAt.Time, r.FinishedAt.Valid),
		CreatedAt: r.CreatedAt.Time.UTC(), Stats: runStats(r.Stats),
	}
	if r.StartedAt.Valid && r.FinishedAt.Valid {
		ms := r.FinishedAt.Time.Sub(r.StartedAt.Time).Milliseconds()
		out.DurationMs = &ms
	}
	return out
}

// runToAPINamed is runToAPI with the target's name, as lists show it.
func runToAPINamed(r dbgen.Run, targetName *string) api.Run {
	out := runToAPI(r)
	out.TargetName = targetName
	return out
}

// runStats decodes the stats the worker stores. They are written by our own code, so a value
// that does not decode (an older shape) shows as empty stats rather than failing the whole answer.
func runStats(raw []byte) api.RunStats {
	var s api.RunStats
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}
