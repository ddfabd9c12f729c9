package server

import (
	"context"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/run"
)

// TriggerPipelineRun queues a run of a pipeline (its River job inserted in the same
// transaction) and answers it. `downstream` is accepted: no dependencies exist yet, so the
// cascade is the pipeline alone.
func (h *handlers) TriggerPipelineRun(ctx context.Context, req api.TriggerPipelineRunRequestObject) (api.TriggerPipelineRunResponseObject, error) {
	var opts run.TriggerOptions
	if req.Body != nil {
		opts.FullRefresh = req.Body.FullRefresh != nil && *req.Body.FullRefresh
		opts.Downstream = req.Body.Downstream != nil && *req.Body.Downstream
	}
	r, err := h.runs.TriggerPipeline(ctx, principal(ctx), req.Id, opts)
	if err != nil {
		return nil, err
	}
	return api.TriggerPipelineRun202JSONResponse(runToAPI(r)), nil
}

// CancelRun cancels a queued run at once, or asks the worker of a running one to stop.
func (h *handlers) CancelRun(ctx context.Context, req api.CancelRunRequestObject) (api.CancelRunResponseObject, error) {
	r, err := h.runs.Cancel(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return api.CancelRun202JSONResponse(runToAPI(r)), nil
}

// RetryRun runs a failed or cancelled run's target again as a new run.
func (h *handlers) RetryRun(ctx context.Context, req api.RetryRunRequestObject) (api.RetryRunResponseObject, error) {
	r, err := h.runs.Retry(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return api.RetryRun202JSONResponse(runToAPI(r)), nil
}
