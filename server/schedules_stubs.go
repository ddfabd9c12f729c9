package server

// Placeholders while this area is built; each answers 503 until its handler lands. TEMPORARY: this file is deleted when the real handlers land.

import (
	"context"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/apperr"
)

func (h *handlers) ListSchedules(context.Context, api.ListSchedulesRequestObject) (api.ListSchedulesResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}

func (h *handlers) CreateSchedule(context.Context, api.CreateScheduleRequestObject) (api.CreateScheduleResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}

func (h *handlers) PreviewSchedule(context.Context, api.PreviewScheduleRequestObject) (api.PreviewScheduleResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}

func (h *handlers) GetSchedule(context.Context, api.GetScheduleRequestObject) (api.GetScheduleResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}

func (h *handlers) UpdateSchedule(context.Context, api.UpdateScheduleRequestObject) (api.UpdateScheduleResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}

func (h *handlers) DeleteSchedule(context.Context, api.DeleteScheduleRequestObject) (api.DeleteScheduleResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}

func (h *handlers) GetScheduleNext(context.Context, api.GetScheduleNextRequestObject) (api.GetScheduleNextResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}
