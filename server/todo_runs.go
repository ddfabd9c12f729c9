package server

// Placeholders of operations being built (issue #6): each answers 503 until its handler lands.
// This file goes away when the last one does.

import (
	"context"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/apperr"
)

func (h *handlers) TriggerPipelineRun(context.Context, api.TriggerPipelineRunRequestObject) (api.TriggerPipelineRunResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "TriggerPipelineRun is not built yet")
}

func (h *handlers) ListRuns(context.Context, api.ListRunsRequestObject) (api.ListRunsResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "ListRuns is not built yet")
}

func (h *handlers) GetRun(context.Context, api.GetRunRequestObject) (api.GetRunResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "GetRun is not built yet")
}

func (h *handlers) CancelRun(context.Context, api.CancelRunRequestObject) (api.CancelRunResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "CancelRun is not built yet")
}

func (h *handlers) RetryRun(context.Context, api.RetryRunRequestObject) (api.RetryRunResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "RetryRun is not built yet")
}

func (h *handlers) GetRunLogs(context.Context, api.GetRunLogsRequestObject) (api.GetRunLogsResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "GetRunLogs is not built yet")
}

func (h *handlers) StreamRunLogs(context.Context, api.StreamRunLogsRequestObject) (api.StreamRunLogsResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "StreamRunLogs is not built yet")
}
