package server

import (
	"context"
	"net/http"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/dag"
)

// TriggerTransformationRun queues a run, test or build of a model; with `downstream`, as the
// first node of a DAG run over its descendants (models that ref() it, jobs…).
func (h *handlers) TriggerTransformationRun(ctx context.Context, req api.TriggerTransformationRunRequestObject) (api.TriggerTransformationRunResponseObject, error) {
	command := string(req.Body.Command)
	switch command {
	case "run", "test", "build":
	default:
		return nil, apperr.Invalidf([]apperr.FieldError{{Field: "command", Message: "must be run, test or build"}}, "Choose what to run.")
	}
	downstream := req.Body.Downstream != nil && *req.Body.Downstream
	fullRefresh := req.Body.FullRefresh != nil && *req.Body.FullRefresh
	r, err := h.triggerNode(ctx, dag.Node{Type: dag.TypeTransformation, ID: req.Id}, downstream, fullRefresh, command)
	if err != nil {
		return nil, err
	}
	return api.TriggerTransformationRun202JSONResponse(toAPIRun(r)), nil
}

// TriggerJobRun queues a run of a job; with `downstream`, as the first node of a DAG run.
func (h *handlers) TriggerJobRun(ctx context.Context, req api.TriggerJobRunRequestObject) (api.TriggerJobRunResponseObject, error) {
	downstream := req.Body != nil && req.Body.Downstream != nil && *req.Body.Downstream
	r, err := h.triggerNode(ctx, dag.Node{Type: dag.TypeJob, ID: req.Id}, downstream, false, "")
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
