package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"

	"github.com/labstack/echo/v4"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/notify"
)

// toAPINotification answers a channel; members below admin see its URL masked (a Slack URL is
// a credential). The secret is only ever set in the create answer.
func toAPINotification(n notify.Notification, p auth.Principal) api.Notification {
	out := api.Notification{
		Id: n.ID, Name: n.Name, Channel: api.NotificationChannel(n.Channel), Url: n.Url, IsActive: n.IsActive,
		Events: make([]api.NotificationEvent, 0, len(n.Events)), TargetId: n.TargetID, TargetName: n.TargetName,
		CreatedAt: n.CreatedAt.Time.UTC(),
	}
	if !p.ActingRole().AtLeast(auth.RoleAdmin) {
		out.Url = notify.MaskURL(n.Url)
	}
	for _, e := range n.Events {
		out.Events = append(out.Events, api.NotificationEvent(e))
	}
	if n.TargetType != nil {
		t := api.NodeType(*n.TargetType)
		out.TargetType = &t
	}
	if n.UpdatedAt.Valid {
		u := n.UpdatedAt.Time.UTC()
		out.UpdatedAt = &u
	}
	if n.Secret != "" {
		out.Secret = &n.Secret
	}
	return out
}

func toAPINotificationDelivery(d dbgen.NotificationDelivery) api.NotificationDelivery {
	out := api.NotificationDelivery{
		Id: d.ID, At: d.At.Time.UTC(), Event: d.Event, RunId: d.RunID, ScheduleId: d.ScheduleID, StatusCode: d.StatusCode,
		Error: d.Error, Attempt: d.Attempt, MessageId: d.MessageID, State: api.NotificationDeliveryState(d.State),
	}
	if d.NextAttemptAt.Valid {
		t := d.NextAttemptAt.Time.UTC()
		out.NextAttemptAt = &t
	}
	return out
}

func eventStrings(in *[]api.NotificationEvent) []string {
	if in == nil {
		return nil
	}
	out := make([]string, 0, len(*in))
	for _, e := range *in {
		out = append(out, string(e))
	}
	return out
}

func nodeTypePtr(t *api.NodeType) *string {
	if t == nil {
		return nil
	}
	s := string(*t)
	return &s
}

// ListNotifications pages the org's channels.
func (h *handlers) ListNotifications(ctx context.Context, req api.ListNotificationsRequestObject) (api.ListNotificationsResponseObject, error) {
	after, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(req.Params.Limit)
	p := principal(ctx)
	rows, err := h.notifications.List(ctx, p, after, limit)
	if err != nil {
		return nil, err
	}
	var out api.NotificationList
	out.Items, out.NextCursor = page(rows, limit, func(n notify.Notification) int64 { return n.ID },
		func(n notify.Notification) api.Notification { return toAPINotification(n, p) })
	return api.ListNotifications200JSONResponse(out), nil
}

// GetNotification returns a channel.
func (h *handlers) GetNotification(ctx context.Context, req api.GetNotificationRequestObject) (api.GetNotificationResponseObject, error) {
	p := principal(ctx)
	n, err := h.notifications.Get(ctx, p, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetNotification200JSONResponse(toAPINotification(n, p)), nil
}

// CreateNotification stores a channel; a webhook's secret is in this answer only.
func (h *handlers) CreateNotification(ctx context.Context, req api.CreateNotificationRequestObject) (api.CreateNotificationResponseObject, error) {
	p := principal(ctx)
	n, err := h.notifications.Create(ctx, p, notify.CreateInput{
		Name: req.Body.Name, Channel: string(req.Body.Channel), URL: req.Body.Url, Events: eventStrings(req.Body.Events),
		TargetType: nodeTypePtr(req.Body.TargetType), TargetID: req.Body.TargetId, IsActive: req.Body.IsActive,
	})
	if err != nil {
		return nil, err
	}
	return api.CreateNotification201JSONResponse(toAPINotification(n, p)), nil
}

type notificationTargetKey struct{}

// notificationTargetGiven marks an updateNotification request whose body names target_type or
// target_id, null included: `{"target_type": null, "target_id": null}` makes a channel org-wide,
// which the generated request type cannot tell from leaving the target alone.
func notificationTargetGiven(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Body == nil {
			return next(c)
		}
		raw, err := io.ReadAll(req.Body)
		if err != nil {
			return err
		}
		_ = req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(raw))
		var keys map[string]json.RawMessage
		if json.Unmarshal(raw, &keys) == nil {
			_, typ := keys["target_type"]
			_, id := keys["target_id"]
			if typ || id {
				c.SetRequest(req.WithContext(context.WithValue(req.Context(), notificationTargetKey{}, true)))
			}
		}
		return next(c)
	}
}

// UpdateNotification changes a channel.
func (h *handlers) UpdateNotification(ctx context.Context, req api.UpdateNotificationRequestObject) (api.UpdateNotificationResponseObject, error) {
	p := principal(ctx)
	given, _ := ctx.Value(notificationTargetKey{}).(bool)
	in := notify.UpdateInput{Name: req.Body.Name, URL: req.Body.Url, Events: eventStrings(req.Body.Events),
		TargetType: nodeTypePtr(req.Body.TargetType), TargetID: req.Body.TargetId, SetTarget: given, IsActive: req.Body.IsActive}
	n, err := h.notifications.Update(ctx, p, req.Id, in)
	if err != nil {
		return nil, err
	}
	return api.UpdateNotification200JSONResponse(toAPINotification(n, p)), nil
}

// DeleteNotification removes a channel with its delivery log.
func (h *handlers) DeleteNotification(ctx context.Context, req api.DeleteNotificationRequestObject) (api.DeleteNotificationResponseObject, error) {
	if err := h.notifications.Delete(ctx, principal(ctx), req.Id); err != nil {
		return nil, err
	}
	return api.DeleteNotification204Response{}, nil
}

// TestNotification sends a test event now and answers the recorded attempt.
func (h *handlers) TestNotification(ctx context.Context, req api.TestNotificationRequestObject) (api.TestNotificationResponseObject, error) {
	d, err := h.notifications.Test(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return api.TestNotification200JSONResponse(toAPINotificationDelivery(d)), nil
}

// ListNotificationDeliveries pages a channel's attempts, newest first.
func (h *handlers) ListNotificationDeliveries(ctx context.Context, req api.ListNotificationDeliveriesRequestObject) (api.ListNotificationDeliveriesResponseObject, error) {
	before, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(req.Params.Limit)
	rows, err := h.notifications.Deliveries(ctx, principal(ctx), req.Id, before, limit)
	if err != nil {
		return nil, err
	}
	var out api.NotificationDeliveryList
	out.Items, out.NextCursor = page(rows, limit, func(d dbgen.NotificationDelivery) int64 { return d.ID }, toAPINotificationDelivery)
	return api.ListNotificationDeliveries200JSONResponse(out), nil
}

// RedeliverNotification queues a message again under its webhook-id.
func (h *handlers) RedeliverNotification(ctx context.Context, req api.RedeliverNotificationRequestObject) (api.RedeliverNotificationResponseObject, error) {
	d, err := h.notifications.Redeliver(ctx, principal(ctx), req.Id, req.DeliveryId)
	if err != nil {
		return nil, err
	}
	return api.RedeliverNotification202JSONResponse(toAPINotificationDelivery(d)), nil
}
