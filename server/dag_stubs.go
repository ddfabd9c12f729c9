package server

// Placeholders while this area is built; each answers 503 until its handler lands. TEMPORARY: this file is deleted when the real handlers land.

import (
	"context"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/apperr"
)

func (h *handlers) ListDependencies(context.Context, api.ListDependenciesRequestObject) (api.ListDependenciesResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}

func (h *handlers) CreateDependency(context.Context, api.CreateDependencyRequestObject) (api.CreateDependencyResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}

func (h *handlers) DeleteDependency(context.Context, api.DeleteDependencyRequestObject) (api.DeleteDependencyResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}

func (h *handlers) GetDag(context.Context, api.GetDagRequestObject) (api.GetDagResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}

func (h *handlers) GetDagRun(context.Context, api.GetDagRunRequestObject) (api.GetDagRunResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}

func (h *handlers) CancelDagRun(context.Context, api.CancelDagRunRequestObject) (api.CancelDagRunResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}
