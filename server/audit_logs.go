package server

import (
	"context"
	"encoding/json"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/db/dbgen"
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
	var out api.AuditLogList
	out.Items, out.NextCursor = page(rows, limit, func(r dbgen.AuditLog) int64 { return r.ID }, toAPIAuditLog)
	return api.ListAuditLogs200JSONResponse(out), nil
}

func toAPIAuditLog(r dbgen.AuditLog) api.AuditLog {
	e := api.AuditLog{
		Id: r.ID, At: r.At.Time.UTC(), Action: r.Action, ResourceType: r.ResourceType, ResourceId: r.ResourceID,
		Actor: api.AuditActor{Type: api.AuditActorType(r.ActorType), Id: r.ActorID, Name: &r.ActorName},
		Ip:    r.Ip, UserAgent: r.UserAgent,
	}
	e.OldValues, e.NewValues = jsonObject(r.OldValues), jsonObject(r.NewValues)
	return e
}

// jsonObject decodes a stored JSON object, nil when there is none.
func jsonObject(b []byte) *map[string]any {
	var m map[string]any
	if len(b) == 0 || json.Unmarshal(b, &m) != nil {
		return nil
	}
	return &m
}
