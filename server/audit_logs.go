package server

import (
	"context"
	"encoding/json"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/org"
)

// ListAuditLogs pages the audit log, newest first.
func (h *handlers) ListAuditLogs(ctx context.Context, req api.ListAuditLogsRequestObject) (api.ListAuditLogsResponseObject, error) {
	before, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(req.Params.Limit)
	f := org.AuditFilter{
		Action: req.Params.Action, ResourceType: req.Params.ResourceType, ResourceID: req.Params.ResourceId,
		ActorID: req.Params.ActorId, Since: req.Params.Since, Until: req.Params.Until, Limit: limit,
	}
	if before > 0 {
		f.BeforeID = &before
	}
	rows, err := h.org.ListAuditLogs(ctx, principal(ctx), f)
	if err != nil {
		return nil, err
	}
	out := api.AuditLogList{Items: make([]api.AuditLog, 0, len(rows))}
	for _, r := range rows {
		e := api.AuditLog{
			Id: r.ID, At: r.At.Time.UTC(), Action: r.Action, ResourceType: r.ResourceType, ResourceId: r.ResourceID,
			Actor: api.AuditActor{Type: api.AuditActorType(r.ActorType), Id: r.ActorID, Name: &r.ActorName},
			Ip:    r.Ip, UserAgent: r.UserAgent,
		}
		if len(r.OldValues) > 0 {
			var m map[string]any
			if json.Unmarshal(r.OldValues, &m) == nil {
				e.OldValues = &m
			}
		}
		if len(r.NewValues) > 0 {
			var m map[string]any
			if json.Unmarshal(r.NewValues, &m) == nil {
				e.NewValues = &m
			}
		}
		out.Items = append(out.Items, e)
	}
	if len(rows) > 0 {
		out.NextCursor = nextCursor(len(rows), limit, rows[len(rows)-1].ID)
	}
	return api.ListAuditLogs200JSONResponse(out), nil
}
