package server

// Placeholders of operations being built (issue #6): each answers 503 until its handler lands.
// This file goes away when the last one does.

import (
	"context"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/apperr"
)

func (h *handlers) GetDashboard(context.Context, api.GetDashboardRequestObject) (api.GetDashboardResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "GetDashboard is not built yet")
}
