package server

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/testutil"
)

// The schedule operations in the RBAC and cross-tenant tables (rbac_test.go walks openapi.yaml
// and fails for an operation without them).
func init() {
	requestBuilders["listSchedules"] = func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodGet, "/api/v1/schedules", nil}
	}
	requestBuilders["createSchedule"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodPost, "/api/v1/schedules", map[string]any{"target_type": "pipeline", "target_id": s.createPipeline(t, f).Id,
			"cron": "0 6 * * *", "timezone": "Europe/London"}}
	}
	requestBuilders["previewSchedule"] = func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodPost, "/api/v1/schedules/preview", map[string]any{"cron": "@daily", "timezone": "UTC"}}
	}
	requestBuilders["getSchedule"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/schedules/%d", s.createSchedule(t, f).Id), nil}
	}
	requestBuilders["updateSchedule"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodPatch, fmt.Sprintf("/api/v1/schedules/%d", s.createSchedule(t, f).Id), map[string]any{"is_active": false}}
	}
	requestBuilders["deleteSchedule"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/schedules/%d", s.createSchedule(t, f).Id), nil}
	}
	requestBuilders["getScheduleNext"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/schedules/%d/next", s.createSchedule(t, f).Id), nil}
	}
	crossTenantTargets["getSchedule"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/schedules/%d", s.createSchedule(t, g).Id), nil}
	}
	crossTenantTargets["updateSchedule"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPatch, fmt.Sprintf("/api/v1/schedules/%d", s.createSchedule(t, g).Id), map[string]any{"is_active": false}}
	}
	crossTenantTargets["deleteSchedule"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/schedules/%d", s.createSchedule(t, g).Id), nil}
	}
	crossTenantTargets["getScheduleNext"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/schedules/%d/next", s.createSchedule(t, g).Id), nil}
	}
}

// createSchedule schedules a new pipeline of f daily at 06:00 London time, as f's owner.
func (s *testServer) createSchedule(t *testing.T, f orgFixture) api.Schedule {
	t.Helper()
	return decode[api.Schedule](t, s.call(t, http.MethodPost, "/api/v1/schedules", f.owner.AccessToken, map[string]any{
		"target_type": "pipeline", "target_id": s.createPipeline(t, f).Id, "cron": "0 6 * * *", "timezone": "Europe/London"}), http.StatusCreated)
}

func TestSchedules_CreateReadListPauseResumeChangeDelete(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	pl := s.createPipeline(t, f)
	other := s.createPipeline(t, f)
	tok := f.token("editor")

	created := decode[api.Schedule](t, s.call(t, http.MethodPost, "/api/v1/schedules", tok, map[string]any{
		"target_type": "pipeline", "target_id": pl.Id, "cron": "30  2 * * mon-fri", "timezone": "America/New_York", "downstream": true}), http.StatusCreated)
	require.Equal(t, "30 2 * * MON-FRI", created.Cron, "stored normalized")
	require.Equal(t, "At 02:30, Monday through Friday", created.Description)
	require.Equal(t, pl.Name, created.TargetName)
	require.True(t, created.IsActive)
	require.True(t, created.Downstream)
	require.Equal(t, int32(300), created.MisfireGraceSeconds)
	require.NotNil(t, created.NextFireAt)
	require.True(t, created.NextFireAt.After(time.Now()))
	loc, _ := time.LoadLocation("America/New_York")
	local := created.NextFireAt.In(loc)
	require.Equal(t, 2, local.Hour())
	require.Equal(t, 30, local.Minute())
	require.NotContains(t, []time.Weekday{time.Saturday, time.Sunday}, local.Weekday())
	require.Nil(t, created.LastFireAt)
	require.False(t, *created.Overdue)

	got := decode[api.Schedule](t, s.call(t, http.MethodGet, fmt.Sprintf("/api/v1/schedules/%d", created.Id), f.token("viewer"), nil), http.StatusOK)
	require.Equal(t, created, got)

	second := decode[api.Schedule](t, s.call(t, http.MethodPost, "/api/v1/schedules", tok, map[string]any{
		"target_type": "pipeline", "target_id": other.Id, "cron": "@hourly", "timezone": "UTC", "is_active": false}), http.StatusCreated)
	require.Nil(t, second.NextFireAt, "created paused")
	list := decode[api.ScheduleList](t, s.call(t, http.MethodGet, "/api/v1/schedules", tok, nil), http.StatusOK)
	require.Len(t, list.Items, 2)
	list = decode[api.ScheduleList](t, s.call(t, http.MethodGet, fmt.Sprintf("/api/v1/schedules?target_type=pipeline&target_id=%d", other.Id), tok, nil), http.StatusOK)
	require.Len(t, list.Items, 1)
	require.Equal(t, second.Id, list.Items[0].Id)
	require.Equal(t, other.Name, list.Items[0].TargetName)
	list = decode[api.ScheduleList](t, s.call(t, http.MethodGet, "/api/v1/schedules?target_type=job", tok, nil), http.StatusOK)
	require.Empty(t, list.Items)
	page := decode[api.ScheduleList](t, s.call(t, http.MethodGet, "/api/v1/schedules?limit=1", tok, nil), http.StatusOK)
	require.Len(t, page.Items, 1)
	require.NotNil(t, page.NextCursor)

	path := fmt.Sprintf("/api/v1/schedules/%d", created.Id)
	paused := decode[api.Schedule](t, s.call(t, http.MethodPatch, path, tok, map[string]any{"is_active": false}), http.StatusOK)
	require.False(t, paused.IsActive)
	require.Nil(t, paused.NextFireAt, "null while paused")
	resumed := decode[api.Schedule](t, s.call(t, http.MethodPatch, path, tok, map[string]any{"is_active": true}), http.StatusOK)
	require.True(t, resumed.IsActive)
	require.NotNil(t, resumed.NextFireAt)
	require.Equal(t, created.NextFireAt.UTC(), resumed.NextFireAt.UTC())

	changed := decode[api.Schedule](t, s.call(t, http.MethodPatch, path, tok, map[string]any{"cron": "@daily", "timezone": "Asia/Kolkata", "misfire_grace_seconds": 60}), http.StatusOK)
	require.Equal(t, "@daily", changed.Cron)
	require.Equal(t, "Asia/Kolkata", changed.Timezone)
	require.Equal(t, int32(60), changed.MisfireGraceSeconds)
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	require.Equal(t, 0, changed.NextFireAt.In(kolkata).Hour())
	require.True(t, changed.Downstream, "unsent fields stay")

	audit := s.call(t, http.MethodGet, "/api/v1/audit-logs?resource_type=schedule", f.owner.AccessToken, nil)
	require.Contains(t, audit.Body.String(), "schedule.create")
	require.Contains(t, audit.Body.String(), "schedule.update")

	require.Equal(t, http.StatusNoContent, s.call(t, http.MethodDelete, path, tok, nil).Code)
	decodeProblem(t, s.call(t, http.MethodGet, path, tok, nil), http.StatusNotFound)
	require.Contains(t, s.call(t, http.MethodGet, "/api/v1/audit-logs?resource_type=schedule", f.owner.AccessToken, nil).Body.String(), "schedule.delete")

	// Deleting the pipeline takes its schedules with it.
	require.Equal(t, http.StatusNoContent, s.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/pipelines/%d", other.Id), f.owner.AccessToken, nil).Code)
	decodeProblem(t, s.call(t, http.MethodGet, fmt.Sprintf("/api/v1/schedules/%d", second.Id), tok, nil), http.StatusNotFound)
}

func TestSchedules_InvalidInputAnswers422NamingTheField(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	g := s.newOrg(t)
	pl := s.createPipeline(t, f)
	foreign := s.createPipeline(t, g)
	tok := f.token("editor")
	fieldsOf := func(p api.Problem) []string {
		var out []string
		if p.Errors != nil {
			for _, e := range *p.Errors {
				out = append(out, e.Field)
			}
		}
		return out
	}
	for _, c := range []struct {
		name   string
		body   map[string]any
		fields []string
	}{
		{"bad cron", map[string]any{"target_type": "pipeline", "target_id": pl.Id, "cron": "61 * * * *", "timezone": "UTC"}, []string{"cron"}},
		{"six fields", map[string]any{"target_type": "pipeline", "target_id": pl.Id, "cron": "0 0 * * * *", "timezone": "UTC"}, []string{"cron"}},
		{"never fires", map[string]any{"target_type": "pipeline", "target_id": pl.Id, "cron": "0 0 30 2 *", "timezone": "UTC"}, []string{"cron"}},
		{"bad zone", map[string]any{"target_type": "pipeline", "target_id": pl.Id, "cron": "@daily", "timezone": "Mars/Olympus"}, []string{"timezone"}},
		{"Local zone", map[string]any{"target_type": "pipeline", "target_id": pl.Id, "cron": "@daily", "timezone": "Local"}, []string{"timezone"}},
		{"both", map[string]any{"target_type": "pipeline", "target_id": pl.Id, "cron": "nope", "timezone": "Nowhere"}, []string{"cron", "timezone"}},
		{"missing target", map[string]any{"target_type": "job", "target_id": 987654, "cron": "@daily", "timezone": "UTC"}, []string{"target_id"}},
		{"another org's target", map[string]any{"target_type": "pipeline", "target_id": foreign.Id, "cron": "@daily", "timezone": "UTC"}, []string{"target_id"}},
	} {
		p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/schedules", tok, c.body), http.StatusUnprocessableEntity)
		require.ElementsMatch(t, c.fields, fieldsOf(p), c.name)
	}
	rec := s.call(t, http.MethodPost, "/api/v1/schedules", tok, map[string]any{"target_type": "pipeline", "target_id": pl.Id, "cron": "@daily", "timezone": "UTC", "misfire_grace_seconds": 100000})
	require.Contains(t, []int{400, 422}, rec.Code, rec.Body.String())

	sc := s.createSchedule(t, f)
	path := fmt.Sprintf("/api/v1/schedules/%d", sc.Id)
	p := decodeProblem(t, s.call(t, http.MethodPatch, path, tok, map[string]any{"cron": "* * *"}), http.StatusUnprocessableEntity)
	require.Equal(t, []string{"cron"}, fieldsOf(p))
	p = decodeProblem(t, s.call(t, http.MethodPatch, path, tok, map[string]any{"timezone": "Europe/Atlantis"}), http.StatusUnprocessableEntity)
	require.Equal(t, []string{"timezone"}, fieldsOf(p))
	require.Equal(t, sc, decode[api.Schedule](t, s.call(t, http.MethodGet, path, tok, nil), http.StatusOK), "nothing changed")

	p = decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/schedules/preview", tok, map[string]any{"cron": "0 25 * * *", "timezone": "UTC"}), http.StatusUnprocessableEntity)
	require.Equal(t, []string{"cron"}, fieldsOf(p))
	require.Contains(t, *p.Errors, api.FieldError{Field: "cron", Message: (*p.Errors)[0].Message})
	require.Contains(t, (*p.Errors)[0].Message, "hour")
}

func TestSchedules_PreviewAndNextAcrossTheUSSpringForward(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	viewer := f.token("viewer")
	at := func(fires []api.ScheduleFire) (utc, local []string) {
		for _, x := range fires {
			utc = append(utc, x.At.UTC().Format(time.RFC3339))
			local = append(local, x.Local)
		}
		return utc, local
	}
	pv := decode[api.SchedulePreview](t, s.call(t, http.MethodPost, "/api/v1/schedules/preview", viewer, map[string]any{
		"cron": "30 2 * * 1-5", "timezone": "America/New_York", "after": "2026-03-06T00:00:00Z", "count": 3}), http.StatusOK)
	require.Equal(t, "At 02:30, Monday through Friday", pv.Description)
	utc, local := at(pv.Next)
	require.Equal(t, []string{"2026-03-06T07:30:00Z", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"}, utc)
	require.Equal(t, []string{"2026-03-06T02:30:00-05:00", "2026-03-09T02:30:00-04:00", "2026-03-10T02:30:00-04:00"}, local)

	// Every day: 02:30 does not exist on 8 March; it fires once, at the transition.
	pv = decode[api.SchedulePreview](t, s.call(t, http.MethodPost, "/api/v1/schedules/preview", viewer, map[string]any{
		"cron": "30 2 * * *", "timezone": "America/New_York", "after": "2026-03-07T00:00:00Z", "count": 3}), http.StatusOK)
	utc, local = at(pv.Next)
	require.Equal(t, []string{"2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}, utc)
	require.Equal(t, []string{"2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"}, local)

	// Default count 5, default after now.
	pv = decode[api.SchedulePreview](t, s.call(t, http.MethodPost, "/api/v1/schedules/preview", viewer, map[string]any{"cron": "*/10 * * * *", "timezone": "UTC"}), http.StatusOK)
	require.Len(t, pv.Next, 5)
	require.True(t, pv.Next[0].At.After(time.Now().Add(-time.Second)))
	require.True(t, pv.Next[0].At.Before(time.Now().Add(11*time.Minute)))

	sc := s.createSchedule(t, f)
	next := decode[api.ScheduleFireList](t, s.call(t, http.MethodGet, fmt.Sprintf("/api/v1/schedules/%d/next?count=7", sc.Id), viewer, nil), http.StatusOK)
	require.Len(t, next.Items, 7)
	require.Equal(t, sc.NextFireAt.UTC(), next.Items[0].At.UTC())
	london, _ := time.LoadLocation("Europe/London")
	for i, x := range next.Items {
		require.Equal(t, 6, x.At.In(london).Hour())
		require.Equal(t, x.At.In(london).Format(time.RFC3339), x.Local)
		if i > 0 {
			require.True(t, x.At.After(next.Items[i-1].At))
		}
	}
	def := decode[api.ScheduleFireList](t, s.call(t, http.MethodGet, fmt.Sprintf("/api/v1/schedules/%d/next", sc.Id), viewer, nil), http.StatusOK)
	require.Len(t, def.Items, 5)
	rec := s.call(t, http.MethodGet, fmt.Sprintf("/api/v1/schedules/%d/next?count=101", sc.Id), viewer, nil)
	require.Contains(t, []int{400, 422}, rec.Code)
	decodeProblem(t, s.call(t, http.MethodGet, "/api/v1/schedules/999999/next", viewer, nil), http.StatusNotFound)
}

func TestDashboard_NextFiresAndOverdueSchedules(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	tok := f.token("editor")
	pl := s.createPipeline(t, f)
	hourly := decode[api.Schedule](t, s.call(t, http.MethodPost, "/api/v1/schedules", tok, map[string]any{
		"target_type": "pipeline", "target_id": pl.Id, "cron": "0 * * * *", "timezone": "UTC"}), http.StatusCreated)
	daily := s.createSchedule(t, f)
	paused := s.createSchedule(t, f)
	s.call(t, http.MethodPatch, fmt.Sprintf("/api/v1/schedules/%d", paused.Id), tok, map[string]any{"is_active": false})

	d := decode[api.Dashboard](t, s.call(t, http.MethodGet, "/api/v1/dashboard", f.token("viewer"), nil), http.StatusOK)
	require.Len(t, d.NextFires, 10)
	require.NotNil(t, d.FailingNodes)
	require.Empty(t, d.OverdueSchedules)
	seenDaily := false
	for i, x := range d.NextFires {
		require.NotEqual(t, paused.Id, x.ScheduleId)
		if i > 0 {
			require.False(t, x.At.Before(d.NextFires[i-1].At), "soonest first")
		}
		if x.ScheduleId == hourly.Id {
			require.Equal(t, pl.Name, x.TargetName)
			require.Equal(t, 0, x.At.Minute())
		}
		if x.ScheduleId == daily.Id {
			seenDaily = true
			require.Equal(t, daily.NextFireAt.UTC(), x.At.UTC())
		}
	}
	require.Equal(t, hourly.NextFireAt.UTC(), d.NextFires[0].At.UTC())
	require.True(t, seenDaily || d.NextFires[9].At.Before(daily.NextFireAt.UTC()), "the daily fire is listed when among the 10 soonest")

	// A fire no scheduler claimed (no scheduler runs in this test) shows as overdue, and the
	// schedule says so.
	_, err := testutil.OwnerPool(t, s.pool).Exec(t.Context(), "UPDATE schedules SET next_fire_at = now() - interval '10 minutes' WHERE id = $1", daily.Id)
	require.NoError(t, err)
	d = decode[api.Dashboard](t, s.call(t, http.MethodGet, "/api/v1/dashboard", f.token("viewer"), nil), http.StatusOK)
	require.Len(t, d.OverdueSchedules, 1)
	require.Equal(t, daily.Id, d.OverdueSchedules[0].ScheduleId)
	require.Equal(t, daily.TargetName, d.OverdueSchedules[0].TargetName)
	require.Equal(t, d.OverdueSchedules[0].At, d.NextFires[0].At, "the overdue fire is the soonest")
	got := decode[api.Schedule](t, s.call(t, http.MethodGet, fmt.Sprintf("/api/v1/schedules/%d", daily.Id), tok, nil), http.StatusOK)
	require.True(t, *got.Overdue)
}

func TestSchedules_ADeletedOrgsSchedulesStopFiring(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f, g := s.newOrg(t), s.newOrg(t)
	mine, theirs := s.createSchedule(t, f), s.createSchedule(t, g)
	require.Equal(t, http.StatusNoContent, s.call(t, http.MethodDelete, "/api/v1/org", f.owner.AccessToken, nil).Code)
	owner := testutil.OwnerPool(t, s.pool)
	active := func(id int64) (on bool, next *time.Time) {
		require.NoError(t, owner.QueryRow(t.Context(), `SELECT is_active, next_fire_at FROM schedules WHERE id = $1`, id).Scan(&on, &next))
		return on, next
	}
	on, next := active(mine.Id)
	require.False(t, on)
	require.Nil(t, next)
	on, next = active(theirs.Id)
	require.True(t, on, "another org's schedules go on")
	require.NotNil(t, next)
}
