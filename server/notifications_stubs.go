package server

// Placeholders while this area is built; each answers 503 until its handler lands. TEMPORARY: this file is deleted when the real handlers land.

import (
	"context"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/apperr"
)

func (h *handlers) ListNotifications(context.Context, api.ListNotificationsRequestObject) (api.ListNotificationsResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}

func (h *handlers) GetNotification(context.Context, api.GetNotificationRequestObject) (api.GetNotificationResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}

func (h *handlers) CreateNotification(context.Context, api.CreateNotificationRequestObject) (api.CreateNotificationResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}

func (h *handlers) UpdateNotification(context.Context, api.UpdateNotificationRequestObject) (api.UpdateNotificationResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}

func (h *handlers) DeleteNotification(context.Context, api.DeleteNotificationRequestObject) (api.DeleteNotificationResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}

func (h *handlers) TestNotification(context.Context, api.TestNotificationRequestObject) (api.TestNotificationResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}

func (h *handlers) ListNotificationDeliveries(context.Context, api.ListNotificationDeliveriesRequestObject) (api.ListNotificationDeliveriesResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}

func (h *handlers) RedeliverNotification(context.Context, api.RedeliverNotificationRequestObject) (api.RedeliverNotificationResponseObject, error) {
	return nil, apperr.New(apperr.Unavailable, "Not built yet.")
}
