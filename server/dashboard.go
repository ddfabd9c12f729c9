package server

import (
	"context"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/dag"
	"github.com/datanika/datanika/internal/history"
	"github.com/datanika/datanika/internal/schedule"
)

// GetDashboard answers the org's overview.
func (h *handlers) GetDashboard(ctx context.Context, _ api.GetDashboardRequestObject) (api.GetDashboardResponseObject, error) {
	d, err := h.history.Dashboard(ctx, principal(ctx))
	if err != nil {
		return nil, err
	}
	out := api.Dashboard{
		ActiveRuns: d.Counts.ActiveRuns,
		Runs24h:    toAPIDashboardWindow(d.Last24h), Runs7d: toAPIDashboardWindow(d.Last7d),
		Days:             make([]api.DashboardDay, 0, len(d.Days)),
		FailingPipelines: make([]api.FailingPipeline, 0, len(d.Failing)),
		FailingNodes:     make([]api.FailingNode, 0, len(d.FailingNodes)),
	}
	out.Counts.Connections, out.Counts.Pipelines, out.Counts.Transformations = d.Counts.Connections, d.Counts.Pipelines, d.Counts.Transformations
	for _, day := range d.Days {
		out.Days = append(out.Days, api.DashboardDay{
			Day: openapi_types.Date{Time: day.Day.Time}, Success: day.Success, Failed: day.Failed,
			Cancelled: day.Cancelled, Other: day.Other, RowsLoaded: day.RowsLoaded,
		})
	}
	next, overdue, err := h.schedules.Dashboard(ctx, principal(ctx), 10)
	if err != nil {
		return nil, err
	}
	out.NextFires, out.OverdueSchedules = toAPIScheduledFires(next), toAPIScheduledFires(overdue)
	for _, f := range d.Failing {
		out.FailingPipelines = append(out.FailingPipelines, api.FailingPipeline{Id: f.PipelineID, Name: f.PipelineName, LastRun: toAPIRun(f.Run)})
	}
	for _, f := range d.FailingNodes {
		out.FailingNodes = append(out.FailingNodes, api.FailingNode{Key: dag.Node{Type: f.NodeType, ID: f.NodeID}.Key(),
			Type: api.NodeType(f.NodeType), Id: f.NodeID, Name: f.NodeName, LastRun: toAPIRun(f.Run)})
	}
	return api.GetDashboard200JSONResponse(out), nil
}

func toAPIScheduledFires(fires []schedule.UpcomingFire) []api.ScheduledFire {
	out := make([]api.ScheduledFire, 0, len(fires))
	for _, f := range fires {
		out = append(out, api.ScheduledFire{ScheduleId: f.ScheduleID, TargetType: api.NodeType(f.TargetType), TargetId: f.TargetID,
			TargetName: f.TargetName, At: f.At, Timezone: &f.Timezone})
	}
	return out
}

func toAPIDashboardWindow(w history.Window) api.DashboardWindow {
	return api.DashboardWindow{ByStatus: w.ByStatus, Total: w.Total, SuccessRate: w.SuccessRate}
}
