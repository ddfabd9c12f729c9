package server

import (
	"context"
	"time"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/schedule"
)

func toAPISchedule(s schedule.Schedule) api.Schedule {
	out := api.Schedule{
		Id: s.ID, TargetType: api.NodeType(s.TargetType), TargetId: s.TargetID, TargetName: s.TargetName,
		Cron: s.Cron, Timezone: s.Timezone, IsActive: s.IsActive, Downstream: s.Downstream,
		MisfireGraceSeconds: s.MisfireGraceSeconds, Description: s.Description, Overdue: &s.Overdue,
		CreatedAt: s.CreatedAt.Time.UTC(), UpdatedAt: s.UpdatedAt.Time.UTC(),
	}
	if s.NextFireAt.Valid {
		t := s.NextFireAt.Time.UTC()
		out.NextFireAt = &t
	}
	if s.LastFireAt.Valid {
		t := s.LastFireAt.Time.UTC()
		out.LastFireAt = &t
	}
	return out
}

func toAPIFires(fires []schedule.Fire) []api.ScheduleFire {
	out := make([]api.ScheduleFire, 0, len(fires))
	for _, f := range fires {
		out = append(out, api.ScheduleFire{At: f.At.UTC(), Local: f.Local.Format(time.RFC3339)})
	}
	return out
}

// ListSchedules pages the org's schedules, optionally of one node.
func (h *handlers) ListSchedules(ctx context.Context, req api.ListSchedulesRequestObject) (api.ListSchedulesResponseObject, error) {
	after, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(req.Params.Limit)
	f := schedule.Filter{AfterID: after, Limit: limit, TargetID: req.Params.TargetId}
	if req.Params.TargetType != nil {
		t := string(*req.Params.TargetType)
		f.TargetType = &t
	}
	rows, err := h.schedules.List(ctx, principal(ctx), f)
	if err != nil {
		return nil, err
	}
	var out api.ScheduleList
	out.Items, out.NextCursor = page(rows, limit, func(s schedule.Schedule) int64 { return s.ID }, toAPISchedule)
	return api.ListSchedules200JSONResponse(out), nil
}

// CreateSchedule schedules a node of the org.
func (h *handlers) CreateSchedule(ctx context.Context, req api.CreateScheduleRequestObject) (api.CreateScheduleResponseObject, error) {
	b := req.Body
	t := string(b.TargetType)
	s, err := h.schedules.Create(ctx, principal(ctx), schedule.Input{TargetType: &t, TargetID: &b.TargetId, Cron: &b.Cron,
		Timezone: &b.Timezone, IsActive: b.IsActive, Downstream: b.Downstream, MisfireGraceSeconds: b.MisfireGraceSeconds})
	if err != nil {
		return nil, err
	}
	return api.CreateSchedule201JSONResponse(toAPISchedule(s)), nil
}

// PreviewSchedule describes an expression and lists its next fires.
func (h *handlers) PreviewSchedule(_ context.Context, req api.PreviewScheduleRequestObject) (api.PreviewScheduleResponseObject, error) {
	b := req.Body
	after := time.Now()
	if b.After != nil {
		after = *b.After
	}
	count := 5
	if b.Count != nil {
		count = int(*b.Count)
	}
	desc, fires, err := schedule.Preview(b.Cron, b.Timezone, after, count)
	if err != nil {
		return nil, err
	}
	return api.PreviewSchedule200JSONResponse(api.SchedulePreview{Description: desc, Next: toAPIFires(fires)}), nil
}

// GetSchedule answers one schedule.
func (h *handlers) GetSchedule(ctx context.Context, req api.GetScheduleRequestObject) (api.GetScheduleResponseObject, error) {
	s, err := h.schedules.Get(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetSchedule200JSONResponse(toAPISchedule(s)), nil
}

// UpdateSchedule changes, pauses or resumes a schedule.
func (h *handlers) UpdateSchedule(ctx context.Context, req api.UpdateScheduleRequestObject) (api.UpdateScheduleResponseObject, error) {
	b := req.Body
	s, err := h.schedules.Update(ctx, principal(ctx), req.Id, schedule.Input{Cron: b.Cron, Timezone: b.Timezone,
		IsActive: b.IsActive, Downstream: b.Downstream, MisfireGraceSeconds: b.MisfireGraceSeconds})
	if err != nil {
		return nil, err
	}
	return api.UpdateSchedule200JSONResponse(toAPISchedule(s)), nil
}

// DeleteSchedule deletes a schedule.
func (h *handlers) DeleteSchedule(ctx context.Context, req api.DeleteScheduleRequestObject) (api.DeleteScheduleResponseObject, error) {
	if err := h.schedules.Delete(ctx, principal(ctx), req.Id); err != nil {
		return nil, err
	}
	return api.DeleteSchedule204Response{}, nil
}

// GetScheduleNext lists a schedule's next fires.
func (h *handlers) GetScheduleNext(ctx context.Context, req api.GetScheduleNextRequestObject) (api.GetScheduleNextResponseObject, error) {
	count := 5
	if req.Params.Count != nil {
		count = int(*req.Params.Count)
	}
	fires, err := h.schedules.Next(ctx, principal(ctx), req.Id, count)
	if err != nil {
		return nil, err
	}
	return api.GetScheduleNext200JSONResponse(api.ScheduleFireList{Items: toAPIFires(fires)}), nil
}
