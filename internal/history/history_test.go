package history

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/testutil"
)

// env is the history service in a rolled-back transaction (the fast tier); rows are arranged
// through owner, which sees past row-level security, and read back as a member of an org,
// through it.
type env struct {
	s     *Service
	owner dbgen.DBTX
}

func newEnv(t *testing.T) env {
	t.Helper()
	tx := testutil.Tx(t)
	return env{s: New(tx), owner: testutil.AsOwner(t, tx)}
}

// orgSeq makes org slugs and emails unique across parallel tests, whose uncommitted rows would
// otherwise make each other wait on the unique indexes.
var orgSeq atomic.Int64

func (e env) id(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	var id int64
	require.NoError(t, e.owner.QueryRow(context.Background(), sql, args...).Scan(&id))
	return id
}

// org is an org with a viewer and two connections; it returns the viewer's principal.
type org struct {
	p        auth.Principal
	src, dst int64
}

func (e env) org(t *testing.T, name string) org {
	t.Helper()
	name = fmt.Sprintf("%s-%d", name, orgSeq.Add(1))
	orgID := e.id(t, `INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id`, name)
	userID := e.id(t, `INSERT INTO users (email, full_name) VALUES ($1, 'Viewer') RETURNING id`, name+"@example.com")
	e.id(t, `INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'viewer') RETURNING id`, orgID, userID)
	conn := func(n string) int64 {
		return e.id(t, `INSERT INTO connections (org_id, name, type, direction, config_sealed) VALUES ($1, $2, 'postgres', 'both', '\x00') RETURNING id`, orgID, n)
	}
	return org{p: auth.Principal{UserID: userID, OrgID: orgID, Role: auth.RoleViewer}, src: conn("src"), dst: conn("dst")}
}

func (e env) pipeline(t *testing.T, o org, name string) int64 {
	t.Helper()
	return e.id(t, `INSERT INTO pipelines (org_id, name, source_connection_id, destination_connection_id, destination_schema, status)
		VALUES ($1, $2, $3, $4, 'raw', 'active') RETURNING id`, o.p.OrgID, name, o.src, o.dst)
}

type runRow struct {
	targetType string
	targetID   int64
	status     string
	trigger    string
	created    time.Time
	rows       int64
}

func (e env) run(t *testing.T, o org, r runRow) int64 {
	t.Helper()
	if r.targetType == "" {
		r.targetType = "pipeline"
	}
	if r.trigger == "" {
		r.trigger = "manual"
	}
	return e.id(t, `INSERT INTO runs (org_id, target_type, target_id, status, trigger, created_at, rows_loaded) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		o.p.OrgID, r.targetType, r.targetID, r.status, r.trigger, r.created, r.rows)
}

func ids(rows []Listed) []int64 {
	out := make([]int64, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.Run.ID)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func TestListRuns_FiltersByStatusTargetTriggerAndTime(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	a, b := e.org(t, "org-a"), e.org(t, "org-b")
	orders, customers := e.pipeline(t, a, "orders"), e.pipeline(t, a, "customers")
	theirs := e.pipeline(t, b, "orders")
	base := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	at := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }

	r1 := e.run(t, a, runRow{targetID: orders, status: "success", trigger: "manual", created: at(0)})
	r2 := e.run(t, a, runRow{targetID: orders, status: "failed", trigger: "schedule", created: at(1)})
	r3 := e.run(t, a, runRow{targetID: customers, status: "success", trigger: "api", created: at(2)})
	r4 := e.run(t, a, runRow{targetID: customers, status: "cancelled", trigger: "retry", created: at(3)})
	r5 := e.run(t, a, runRow{targetID: orders, status: "running", trigger: "manual", created: at(4)})
	r6 := e.run(t, a, runRow{targetType: "job", targetID: customers, status: "success", trigger: "dependency", created: at(5)})
	e.run(t, b, runRow{targetID: theirs, status: "success", created: at(2)})

	cases := []struct {
		name string
		f    Filter
		want []int64
	}{
		{"everything, newest first, only the org's own", Filter{}, []int64{r6, r5, r4, r3, r2, r1}},
		{"by status", Filter{Status: ptr("success")}, []int64{r6, r3, r1}},
		{"by a status none has", Filter{Status: ptr("queued")}, nil},
		{"by target", Filter{TargetType: ptr("pipeline"), TargetID: &orders}, []int64{r5, r2, r1}},
		{"by target type", Filter{TargetType: ptr("pipeline")}, []int64{r5, r4, r3, r2, r1}},
		{"by target id across types", Filter{TargetID: &customers}, []int64{r6, r4, r3}},
		{"by another org's target", Filter{TargetID: &theirs}, nil},
		{"by trigger", Filter{Trigger: ptr("manual")}, []int64{r5, r1}},
		{"since includes, until excludes", Filter{Since: ptr(at(1)), Until: ptr(at(3))}, []int64{r3, r2}},
		{"since alone", Filter{Since: ptr(at(4))}, []int64{r6, r5}},
		{"until alone", Filter{Until: ptr(at(1))}, []int64{r1}},
		{"filters combine", Filter{Status: ptr("success"), TargetType: ptr("pipeline"), Since: ptr(at(1))}, []int64{r3}},
		{"the limit", Filter{Limit: 2}, []int64{r6, r5}},
	}
	for _, c := range cases {
		if c.f.Limit == 0 {
			c.f.Limit = 100
		}
		got, err := e.s.ListRuns(ctx, a.p, c.f)
		require.NoError(t, err, c.name)
		require.Equal(t, c.want, nilIfEmpty(ids(got)), c.name)
	}

	all, err := e.s.ListRuns(ctx, a.p, Filter{Limit: 100})
	require.NoError(t, err)
	names := map[int64]string{}
	for _, r := range all {
		names[r.Run.ID] = r.TargetName
	}
	require.Equal(t, "orders", names[r1])
	require.Equal(t, "customers", names[r3])
	require.Empty(t, names[r6], "a job's name is unknown before jobs exist")

	// A deleted pipeline keeps its name in the list.
	_, err = e.owner.Exec(ctx, `UPDATE pipelines SET deleted_at = now() WHERE id = $1`, orders)
	require.NoError(t, err)
	got, err := e.s.ListRuns(ctx, a.p, Filter{TargetID: &orders, Limit: 1})
	require.NoError(t, err)
	require.Equal(t, "orders", got[0].TargetName)
}

func nilIfEmpty(s []int64) []int64 {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestListRuns_RefusesAnEmptyRangeAndABadTarget(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	a := e.org(t, "org-a")
	now := time.Now()
	for name, c := range map[string]struct {
		f     Filter
		field string
	}{
		"since equals until": {Filter{Since: &now, Until: &now}, "until"},
		"since after until":  {Filter{Since: ptr(now.Add(time.Second)), Until: &now}, "until"},
		"a zero target":      {Filter{TargetID: ptr(int64(0))}, "target_id"},
		"a negative target":  {Filter{TargetID: ptr(int64(-4))}, "target_id"},
	} {
		c.f.Limit = 10
		_, err := e.s.ListRuns(ctx, a.p, c.f)
		ae := testutil.RequireKind(t, err, apperr.Invalid)
		require.Equal(t, c.field, ae.Fields[0].Field, name)
	}
}

// Paging by (created_at, id) visits every run once, in order, also across runs created at the
// same instant and runs created while paging.
func TestListRuns_PagesEveryRunOnce(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	a := e.org(t, "org-a")
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := range 17 {
		// Groups of three share an instant.
		e.run(t, a, runRow{targetID: int64(1000 + i), status: "success", created: base.Add(time.Duration(i/3) * time.Minute)})
	}
	want, err := e.s.ListRuns(ctx, a.p, Filter{Limit: 100})
	require.NoError(t, err)
	require.Len(t, want, 17)
	for i := 1; i < len(want); i++ {
		prev, cur := want[i-1].Run, want[i].Run
		require.True(t, prev.CreatedAt.Time.After(cur.CreatedAt.Time) || prev.CreatedAt.Time.Equal(cur.CreatedAt.Time) && prev.ID > cur.ID,
			"newest first, then highest id")
	}

	var got []int64
	var after *Position
	for page := 0; ; page++ {
		require.Less(t, page, 10, "paging ends")
		rows, err := e.s.ListRuns(ctx, a.p, Filter{Limit: 4, After: after})
		require.NoError(t, err)
		if len(rows) == 0 {
			break
		}
		require.LessOrEqual(t, len(rows), 4)
		got = append(got, ids(rows)...)
		last := rows[len(rows)-1].Run
		after = &Position{CreatedAt: last.CreatedAt.Time, ID: last.ID}
		if page == 0 {
			// A run created now is newer than the cursor: it does not shift the pages.
			e.run(t, a, runRow{targetID: 1, status: "queued", created: time.Now()})
		}
	}
	require.Equal(t, ids(want), got)

	// A filter holds across pages.
	rows, err := e.s.ListRuns(ctx, a.p, Filter{Limit: 2, TargetID: ptr(int64(1000)), After: &Position{CreatedAt: time.Now(), ID: math.MaxInt64}})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.Equal(t, int64(1000), rows[0].Run.TargetID)
}

func TestGetRun_AnotherOrgsRunIsNotFound(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	a, b := e.org(t, "org-a"), e.org(t, "org-b")
	mine := e.run(t, a, runRow{targetID: 1, status: "success", created: time.Now()})
	theirs := e.run(t, b, runRow{targetID: 1, status: "success", created: time.Now()})

	r, err := e.s.GetRun(ctx, a.p, mine)
	require.NoError(t, err)
	require.Equal(t, mine, r.ID)
	require.Equal(t, a.p.OrgID, r.OrgID)
	for _, id := range []int64{theirs, theirs + 1000} {
		_, err := e.s.GetRun(ctx, a.p, id)
		ae := testutil.RequireKind(t, err, apperr.NotFound)
		require.Contains(t, ae.Detail, fmt.Sprint(id))
	}
	// Even a principal claiming another org through row-level security alone sees nothing.
	_, err = e.s.GetRun(ctx, auth.Principal{UserID: a.p.UserID, OrgID: b.p.OrgID}, mine)
	testutil.RequireKind(t, err, apperr.NotFound)
}

func TestLogs_DoneOnlyWhenTheRunEndedAndNoLineFollows(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	a, b := e.org(t, "org-a"), e.org(t, "org-b")
	ended := e.run(t, a, runRow{targetID: 1, status: "failed", created: time.Now()})
	running := e.run(t, a, runRow{targetID: 2, status: "running", created: time.Now()})
	for _, run := range []int64{ended, running} {
		for seq := 1; seq <= 3; seq++ {
			_, err := e.owner.Exec(ctx, `INSERT INTO run_logs (run_id, seq, org_id, level, message) VALUES ($1, $2, $3, 'info', $4)`,
				run, seq, a.p.OrgID, fmt.Sprintf("line %d", seq))
			require.NoError(t, err)
		}
	}
	seqs := func(p LogPage) []int64 {
		var out []int64
		for _, l := range p.Lines {
			out = append(out, l.Seq)
		}
		return out
	}
	cases := []struct {
		run          int64
		after        int64
		limit        int32
		want         []int64
		done         bool
		whyDoneOrNot string
	}{
		{ended, 0, 10, []int64{1, 2, 3}, true, "ended, every line read"},
		{ended, 0, 3, []int64{1, 2, 3}, true, "ended, the page exactly holds the rest"},
		{ended, 0, 2, []int64{1, 2}, false, "a line follows"},
		{ended, 2, 2, []int64{3}, true, "the rest"},
		{ended, 3, 2, nil, true, "nothing after the last"},
		{running, 0, 10, []int64{1, 2, 3}, false, "a running run may write more"},
		{running, 3, 10, nil, false, "a running run may write more"},
	}
	for _, c := range cases {
		page, err := e.s.Logs(ctx, a.p, c.run, c.after, c.limit)
		require.NoError(t, err)
		require.Equal(t, c.want, seqs(page), c.whyDoneOrNot)
		require.Equal(t, c.done, page.Done, c.whyDoneOrNot)
		require.Equal(t, c.run, page.Run.ID)
	}
	_, err := e.s.Logs(ctx, b.p, ended, 0, 10)
	testutil.RequireKind(t, err, apperr.NotFound)
}

func TestEnded_TheFinalStatuses(t *testing.T) {
	t.Parallel()
	for status, ended := range map[string]bool{
		"queued": false, "running": false, "success": true, "failed": true, "cancelled": true, "skipped": true, "": false, "unknown": false,
	} {
		require.Equal(t, ended, Ended(status), status)
	}
}

func TestDashboard_CountsWindowsDaysAndFailingPipelines(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	a, b := e.org(t, "org-a"), e.org(t, "org-b")
	failing, recovered, deleted := e.pipeline(t, a, "failing"), e.pipeline(t, a, "recovered"), e.pipeline(t, a, "deleted")
	ago := func(d time.Duration) time.Time { return time.Now().Add(-d) }
	const day = 24 * time.Hour

	e.run(t, a, runRow{targetID: failing, status: "success", created: ago(3 * day), rows: 100})
	failedRun := e.run(t, a, runRow{targetID: failing, status: "failed", created: ago(time.Hour)})
	e.run(t, a, runRow{targetID: failing, status: "running", created: ago(10 * time.Minute)}) // newer, but not ended
	e.run(t, a, runRow{targetID: recovered, status: "failed", created: ago(2 * day)})
	e.run(t, a, runRow{targetID: recovered, status: "success", created: ago(30 * time.Minute), rows: 20})
	e.run(t, a, runRow{targetID: deleted, status: "failed", created: ago(20 * time.Minute)})
	e.run(t, a, runRow{targetType: "job", targetID: 5, status: "cancelled", created: ago(10 * day)})
	e.run(t, a, runRow{targetID: failing, status: "success", created: ago(20 * day), rows: 1000}) // outside every window
	e.run(t, b, runRow{targetID: 1, status: "failed", created: ago(time.Minute)})
	_, err := e.owner.Exec(ctx, `UPDATE pipelines SET deleted_at = now() WHERE id = $1`, deleted)
	require.NoError(t, err)

	d, err := e.s.Dashboard(ctx, a.p)
	require.NoError(t, err)
	require.Equal(t, int64(2), d.Counts.Connections)
	require.Equal(t, int64(2), d.Counts.Pipelines, "a deleted pipeline is not counted")
	require.Equal(t, int64(1), d.Counts.ActiveRuns)

	require.Equal(t, map[string]int64{"queued": 0, "running": 1, "success": 1, "failed": 2, "cancelled": 0, "skipped": 0}, d.Last24h.ByStatus)
	require.Equal(t, int64(4), d.Last24h.Total)
	require.NotNil(t, d.Last24h.SuccessRate)
	require.InDelta(t, 1.0/3, *d.Last24h.SuccessRate, 1e-9, "success / (success + failed)")
	require.Equal(t, map[string]int64{"queued": 0, "running": 1, "success": 2, "failed": 3, "cancelled": 0, "skipped": 0}, d.Last7d.ByStatus)
	require.Equal(t, int64(6), d.Last7d.Total)
	require.InDelta(t, 2.0/5, *d.Last7d.SuccessRate, 1e-9)

	require.Len(t, d.Days, 14)
	var today time.Time
	require.NoError(t, e.owner.QueryRow(ctx, `SELECT (now() AT TIME ZONE 'UTC')::date`).Scan(&today))
	require.True(t, today.Equal(d.Days[13].Day.Time), "the last day is today (UTC): %v", d.Days[13].Day.Time)
	var total, rows int64
	for i, day := range d.Days {
		if i > 0 {
			require.Equal(t, d.Days[i-1].Day.Time.AddDate(0, 0, 1), day.Day.Time, "consecutive days, oldest first")
		}
		total += day.Success + day.Failed + day.Cancelled + day.Other
		rows += day.RowsLoaded
	}
	require.Equal(t, int64(7), total, "every run of the last 14 days, counted once")
	require.Equal(t, int64(120), rows)

	require.Len(t, d.Failing, 1, "only a live pipeline whose newest ended run failed")
	require.Equal(t, failing, d.Failing[0].PipelineID)
	require.Equal(t, "failing", d.Failing[0].PipelineName)
	require.Equal(t, failedRun, d.Failing[0].Run.ID)

	// An org without runs: every status at zero and no success rate.
	empty, err := e.s.Dashboard(ctx, e.org(t, "org-c").p)
	require.NoError(t, err)
	require.Len(t, empty.Last24h.ByStatus, 6)
	require.Zero(t, empty.Last7d.Total)
	require.Nil(t, empty.Last24h.SuccessRate)
	require.Nil(t, empty.Last7d.SuccessRate)
	require.Len(t, empty.Days, 14)
	require.Empty(t, empty.Failing)
}
