package server

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
)

func TestDashboard_CountsHistoryAndFailingPipelines(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	other := s.newOrg(t)
	db := database0(t, s)
	ctx := context.Background()

	broken := insertPipeline(t, db, f.orgID, "Broken")
	recovered := insertPipeline(t, db, f.orgID, "Recovered")
	gone := insertPipeline(t, db, f.orgID, "Gone")
	retrying := insertPipeline(t, db, f.orgID, "Retrying")
	_, err := db.Exec(ctx, "UPDATE pipelines SET deleted_at = now() WHERE id = $1", gone)
	require.NoError(t, err)
	_, err = db.Exec(ctx, "UPDATE connections SET deleted_at = now() WHERE name = 'Gone db'")
	require.NoError(t, err)

	now := time.Now()
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	runs := []runRow{
		{targetID: broken, status: "success", createdAt: ago(3 * 24 * time.Hour), rows: 5},
		{targetID: broken, status: "failed", createdAt: ago(2 * time.Hour), err: "relation \"orders\" does not exist"},
		{targetID: recovered, status: "failed", createdAt: ago(5 * time.Hour)},
		{targetID: recovered, status: "success", createdAt: ago(time.Hour), rows: 10},
		{targetID: gone, status: "failed", createdAt: ago(time.Hour)},
		{targetID: retrying, status: "failed", createdAt: ago(50 * time.Minute)},
		// A newer run still active does not hide the failure: it has not ended.
		{targetID: retrying, status: "running", createdAt: ago(time.Minute)},
		{targetID: broken, status: "cancelled", createdAt: ago(10 * 24 * time.Hour), rows: 3},
		{targetID: broken, status: "success", createdAt: ago(20 * 24 * time.Hour), rows: 1000},
	}
	failedBroken := int64(0)
	for i, r := range runs {
		id := insertRun(t, db, f.orgID, r)
		if i == 1 {
			failedBroken = id
		}
	}
	insertRun(t, db, f.orgID, runRow{targetID: recovered, status: "queued", createdAt: ago(30 * time.Second)})
	insertRun(t, db, other.orgID, runRow{targetID: broken, status: "failed"})

	d := decode[api.Dashboard](t, s.call(t, http.MethodGet, "/api/v1/dashboard", f.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, int64(3), d.Counts.Connections, "deleted connections are not counted")
	require.Equal(t, int64(3), d.Counts.Pipelines, "deleted pipelines are not counted")
	require.Equal(t, int64(0), d.Counts.Transformations)
	require.Equal(t, int64(2), d.ActiveRuns)

	// 24 h: failed ×4 (broken, recovered, gone, retrying), success ×1, running, queued.
	require.Equal(t, int64(7), d.Runs24h.Total)
	require.Equal(t, map[string]int64{"queued": 1, "running": 1, "success": 1, "failed": 4, "cancelled": 0, "skipped": 0}, d.Runs24h.ByStatus)
	require.InDelta(t, 0.2, *d.Runs24h.SuccessRate, 1e-9)
	require.Equal(t, int64(8), d.Runs7d.Total)
	require.InDelta(t, 2.0/6.0, *d.Runs7d.SuccessRate, 1e-9)

	require.Len(t, d.Days, 14)
	today := now.UTC().Truncate(24 * time.Hour)
	require.Equal(t, today.AddDate(0, 0, -13).Format(time.DateOnly), d.Days[0].Day.Format(time.DateOnly))
	require.Equal(t, today.Format(time.DateOnly), d.Days[13].Day.Format(time.DateOnly))
	want := map[string]api.DashboardDay{}
	for _, r := range append(runs, runRow{status: "queued", createdAt: ago(30 * time.Second)}) {
		if r.createdAt.Before(today.AddDate(0, 0, -13)) {
			continue
		}
		day := r.createdAt.UTC().Format(time.DateOnly)
		w := want[day]
		switch r.status {
		case "success":
			w.Success++
		case "failed":
			w.Failed++
		case "cancelled":
			w.Cancelled++
		default:
			w.Other++
		}
		w.RowsLoaded += r.rows
		want[day] = w
	}
	var total int64
	for _, day := range d.Days {
		w := want[day.Day.Format(time.DateOnly)]
		require.Equal(t, []int64{w.Success, w.Failed, w.Cancelled, w.Other, w.RowsLoaded},
			[]int64{day.Success, day.Failed, day.Cancelled, day.Other, day.RowsLoaded}, day.Day.String())
		total += day.RowsLoaded
	}
	require.Equal(t, int64(18), total, "the run of 20 days ago is outside the 14 days")

	require.Len(t, d.FailingPipelines, 2, "broken and retrying; recovered succeeded since, gone is deleted")
	require.Equal(t, "Retrying", d.FailingPipelines[0].Name, "most recent failure first")
	require.Equal(t, "Broken", d.FailingPipelines[1].Name)
	require.Equal(t, broken, d.FailingPipelines[1].Id)
	require.Equal(t, failedBroken, d.FailingPipelines[1].LastRun.Id)
	require.Equal(t, `relation "orders" does not exist`, *d.FailingPipelines[1].LastRun.Error)

	// An org without runs: zeros, no success rate, still 14 days.
	e := decode[api.Dashboard](t, s.call(t, http.MethodGet, "/api/v1/dashboard", other.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, int64(1), e.Runs24h.Total)
	require.Equal(t, 0.0, *e.Runs24h.SuccessRate)
	require.Empty(t, e.FailingPipelines, "the other org's run points at a pipeline it does not have")
	require.Len(t, e.Days, 14)
}

func TestDashboard_EmptyOrgHasNoSuccessRate(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	rec := s.call(t, http.MethodGet, "/api/v1/dashboard", f.viewer.AccessToken, nil)
	d := decode[api.Dashboard](t, rec, http.StatusOK)
	require.Nil(t, d.Runs24h.SuccessRate)
	require.Nil(t, d.Runs7d.SuccessRate)
	require.Contains(t, rec.Body.String(), `"success_rate":null`)
	require.Equal(t, int64(0), d.Runs7d.Total)
	require.Len(t, d.Days, 14)
	require.NotNil(t, d.FailingPipelines)
	require.Contains(t, rec.Body.String(), `"failing_pipelines":[]`)
	decodeProblem(t, s.call(t, http.MethodGet, "/api/v1/dashboard", "", nil), http.StatusUnauthorized)
}
