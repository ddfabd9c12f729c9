// Runs: triggering, cancelling and retrying a run, the runs list and one run, and the run's
// API shape (its transformer).

package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/dag"
	"github.com/datanika/datanika/internal/history"
)

// TriggerPipelineRun queues a run of a pipeline (its River job inserted in the same
// transaction) and answers it; with `downstream`, as the first node of a DAG run over the
// pipeline's descendants.
func (h *handlers) TriggerPipelineRun(ctx context.Context, req api.TriggerPipelineRunRequestObject) (api.TriggerPipelineRunResponseObject, error) {
	var fullRefresh, downstream bool
	if req.Body != nil {
		fullRefresh = req.Body.FullRefresh != nil && *req.Body.FullRefresh
		downstream = req.Body.Downstream != nil && *req.Body.Downstream
	}
	r, err := h.triggerNode(ctx, dag.Node{Type: dag.TypePipeline, ID: req.Id}, downstream, fullRefresh, "")
	if err != nil {
		return nil, err
	}
	return api.TriggerPipelineRun202JSONResponse(toAPIRun(r)), nil
}

// CancelRun cancels a queued run at once, or asks the worker of a running one to stop.
func (h *handlers) CancelRun(ctx context.Context, req api.CancelRunRequestObject) (api.CancelRunResponseObject, error) {
	r, err := h.runs.Cancel(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return api.CancelRun202JSONResponse(toAPIRun(r)), nil
}

// RetryRun runs a failed or cancelled run's target again as a new run.
func (h *handlers) RetryRun(ctx context.Context, req api.RetryRunRequestObject) (api.RetryRunResponseObject, error) {
	r, err := h.runs.Retry(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return api.RetryRun202JSONResponse(toAPIRun(r)), nil
}

// ListRuns pages the org's runs, newest first.
func (h *handlers) ListRuns(ctx context.Context, req api.ListRunsRequestObject) (api.ListRunsResponseObject, error) {
	after, err := decodeRunCursor(req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(req.Params.Limit)
	prm := req.Params
	f := history.Filter{
		Status: (*string)(prm.Status), TargetType: (*string)(prm.TargetType), Trigger: (*string)(prm.Trigger),
		TargetID: prm.TargetId, DagRunID: prm.DagRunId, Since: prm.Since, Until: prm.Until, After: after, Limit: limit,
	}
	rows, err := h.history.ListRuns(ctx, principal(ctx), f)
	if err != nil {
		return nil, err
	}
	out := api.RunList{Items: make([]api.Run, 0, len(rows))}
	for _, r := range rows {
		var name *string
		if r.TargetName != "" {
			name = &r.TargetName
		}
		out.Items = append(out.Items, toAPIRunNamed(r.Run, name))
	}
	if len(rows) == int(limit) {
		last := rows[len(rows)-1].Run
		out.NextCursor = encodeRunCursor(history.Position{CreatedAt: last.CreatedAt.Time, ID: last.ID})
	}
	return api.ListRuns200JSONResponse(out), nil
}

// Run cursors hold the (created_at, id) of the last run of a page: runs are listed by time, and
// ids alone do not give that order (created_at is the inserting transaction's start, so two
// concurrent triggers can commit ids in the other order).
func encodeRunCursor(p history.Position) *string {
	s := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%d", p.CreatedAt.UnixMicro(), p.ID))
	return &s
}

func decodeRunCursor(cursor *string) (*history.Position, error) {
	if cursor == nil || *cursor == "" {
		return nil, nil
	}
	if b, err := base64.RawURLEncoding.DecodeString(*cursor); err == nil {
		micros, id, ok := strings.Cut(string(b), ".")
		us, err1 := strconv.ParseInt(micros, 10, 64)
		n, err2 := strconv.ParseInt(id, 10, 64)
		if ok && err1 == nil && err2 == nil && n > 0 {
			return &history.Position{CreatedAt: time.UnixMicro(us).UTC(), ID: n}, nil
		}
	}
	return nil, apperr.Invalidf([]apperr.FieldError{{Field: "cursor", Message: "is not a cursor this server issued"}}, "The cursor is invalid.")
}

// GetRun returns a run.
func (h *handlers) GetRun(ctx context.Context, req api.GetRunRequestObject) (api.GetRunResponseObject, error) {
	r, err := h.history.GetRun(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetRun200JSONResponse(toAPIRun(r)), nil
}

// toAPIRun converts a stored run to its API shape. Every handler answering a run goes through it,
// so the list, the run page, the live stream and the dashboard show the same thing.
func toAPIRun(r dbgen.Run) api.Run {
	out := api.Run{
		Id: r.ID, TargetType: api.RunTargetType(r.TargetType), TargetId: r.TargetID,
		Status: api.RunStatus(r.Status), Trigger: api.RunTrigger(r.Trigger), Attempt: r.Attempt,
		RetryOf: r.RetryOf, DagRunId: r.DagRunID, RowsLoaded: r.RowsLoaded, Error: r.Error,
		StartedAt: timePtr(r.StartedAt.Time, r.StartedAt.Valid), FinishedAt: timePtr(r.FinishedAt.Time, r.FinishedAt.Valid),
		CreatedAt: r.CreatedAt.Time.UTC(), Stats: toAPIRunStats(r.Stats),
	}
	if r.StartedAt.Valid && r.FinishedAt.Valid {
		ms := r.FinishedAt.Time.Sub(r.StartedAt.Time).Milliseconds()
		out.DurationMs = &ms
	}
	return out
}

// toAPIRunNamed is toAPIRun with the target's name, as lists show it.
func toAPIRunNamed(r dbgen.Run, targetName *string) api.Run {
	out := toAPIRun(r)
	out.TargetName = targetName
	return out
}

// toAPIRunStats decodes the stats the worker stores. They are written by our own code, so a value
// that does not decode (an older shape) shows as empty stats rather than failing the whole answer.
func toAPIRunStats(raw []byte) api.RunStats {
	var s api.RunStats
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}
