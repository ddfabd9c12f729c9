package server

import (
	"context"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/pipeline"
)

func toAPIPipeline(p pipeline.Pipeline) api.Pipeline {
	out := api.Pipeline{
		Id: p.ID, Name: p.Name, Description: p.Description, SourceConnectionId: p.SourceConnectionID,
		DestinationConnectionId: p.DestinationConnectionID, DestinationSchema: p.DestinationSchema,
		Status: api.PipelineStatus(p.Status), Config: p.Config,
		CreatedAt: p.CreatedAt.Time.UTC(), UpdatedAt: p.UpdatedAt.Time.UTC(),
	}
	if p.LastRun != nil {
		r := toAPIRun(*p.LastRun)
		out.LastRun = &r
	}
	return out
}

func statusPtr(s *api.PipelineStatus) *string {
	if s == nil {
		return nil
	}
	v := string(*s)
	return &v
}

// ListPipelines pages the org's pipelines, each with its last run.
func (h *handlers) ListPipelines(ctx context.Context, req api.ListPipelinesRequestObject) (api.ListPipelinesResponseObject, error) {
	after, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(req.Params.Limit)
	rows, err := h.pipelines.List(ctx, principal(ctx), after, limit)
	if err != nil {
		return nil, err
	}
	var out api.PipelineList
	out.Items, out.NextCursor = page(rows, limit, func(p pipeline.Pipeline) int64 { return p.ID }, toAPIPipeline)
	return api.ListPipelines200JSONResponse(out), nil
}

// CreatePipeline stores a pipeline.
func (h *handlers) CreatePipeline(ctx context.Context, req api.CreatePipelineRequestObject) (api.CreatePipelineResponseObject, error) {
	in := pipeline.CreateInput{
		Name: req.Body.Name, Description: req.Body.Description, SourceConnectionID: req.Body.SourceConnectionId,
		DestinationConnectionID: req.Body.DestinationConnectionId, DestinationSchema: req.Body.DestinationSchema,
		Status: statusPtr(req.Body.Status),
	}
	if req.Body.Config != nil {
		in.Config = *req.Body.Config
	}
	p, err := h.pipelines.Create(ctx, principal(ctx), in)
	if err != nil {
		return nil, err
	}
	return api.CreatePipeline201JSONResponse(toAPIPipeline(p)), nil
}

// GetPipeline returns a pipeline with its last run.
func (h *handlers) GetPipeline(ctx context.Context, req api.GetPipelineRequestObject) (api.GetPipelineResponseObject, error) {
	p, err := h.pipelines.Get(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetPipeline200JSONResponse(toAPIPipeline(p)), nil
}

// UpdatePipeline changes a pipeline (never its destination schema).
func (h *handlers) UpdatePipeline(ctx context.Context, req api.UpdatePipelineRequestObject) (api.UpdatePipelineResponseObject, error) {
	p, err := h.pipelines.Update(ctx, principal(ctx), req.Id, pipeline.UpdateInput{
		Name: req.Body.Name, Description: req.Body.Description, SourceConnectionID: req.Body.SourceConnectionId,
		DestinationConnectionID: req.Body.DestinationConnectionId, Status: statusPtr(req.Body.Status), Config: req.Body.Config,
	})
	if err != nil {
		return nil, err
	}
	return api.UpdatePipeline200JSONResponse(toAPIPipeline(p)), nil
}

// DeletePipeline soft-deletes a pipeline without an active run.
func (h *handlers) DeletePipeline(ctx context.Context, req api.DeletePipelineRequestObject) (api.DeletePipelineResponseObject, error) {
	if err := h.pipelines.Delete(ctx, principal(ctx), req.Id); err != nil {
		return nil, err
	}
	return api.DeletePipeline204Response{}, nil
}
