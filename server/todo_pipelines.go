package server

// Placeholders of operations being built (issue #6): each answers 503 until its handler lands.
// This file goes away when the last one does.

import (
	"context"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/apperr"
)

func (h *handlers) ListPipelines(context.Context, api.ListPipelinesRequestObject) (api.ListPipelinesResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "ListPipelines is not built yet")
}

func (h *handlers) CreatePipeline(context.Context, api.CreatePipelineRequestObject) (api.CreatePipelineResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "CreatePipeline is not built yet")
}

func (h *handlers) GetPipeline(context.Context, api.GetPipelineRequestObject) (api.GetPipelineResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "GetPipeline is not built yet")
}

func (h *handlers) UpdatePipeline(context.Context, api.UpdatePipelineRequestObject) (api.UpdatePipelineResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "UpdatePipeline is not built yet")
}

func (h *handlers) DeletePipeline(context.Context, api.DeletePipelineRequestObject) (api.DeletePipelineResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "DeletePipeline is not built yet")
}
