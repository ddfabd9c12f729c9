package server

import (
	"context"
	"net/http"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/run"
)

// TriggerTransformationRun queues a run, test or build of a model (and its descendants).
func (h *handlers) TriggerTransformationRun(ctx context.Context, req api.TriggerTransformationRunRequestObject) (api.TriggerTransformationRunResponseObject, error) {
	opts := run.TransformOptions{Command: string(req.Body.Command)}
	if req.Body.Downstream != nil {
		opts.Downstream = *req.Body.Downstream
	}
	if req.Body.FullRefresh != nil {
		opts.FullRefresh = *req.Body.FullRefresh
	}
	r, err := h.runs.TriggerTransformation(ctx, principal(ctx), req.Id, opts)
	if err != nil {
		return nil, err
	}
	return api.TriggerTransformationRun202JSONResponse(toAPIRun(r)), nil
}

// TriggerJobRun queues a run of a job.
func (h *handlers) TriggerJobRun(ctx context.Context, req api.TriggerJobRunRequestObject) (api.TriggerJobRunResponseObject, error) {
	r, err := h.runs.TriggerJob(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return api.TriggerJobRun202JSONResponse(toAPIRun(r)), nil
}

// artifactJSON answers an artifact's stored bytes as they are.
type artifactJSON []byte

func (a artifactJSON) VisitGetRunArtifactResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(a)
	return err
}

// GetRunArtifact returns run_results.json or manifest.json of a transformation or job run.
func (h *handlers) GetRunArtifact(ctx context.Context, req api.GetRunArtifactRequestObject) (api.GetRunArtifactResponseObject, error) {
	b, err := h.runs.Artifact(ctx, principal(ctx), req.Id, req.Name)
	if err != nil {
		return nil, err
	}
	return artifactJSON(b), nil
}
