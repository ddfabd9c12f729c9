package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
)

// runRow is a run inserted directly, as the worker would have left it.
type runRow struct {
	targetType string // "pipeline" unless set
	targetID   int64
	status     string // "success" unless set
	trigger    string // "manual" unless set
	createdAt  time.Time
	rows       int64
	err        string
	stats      string
}

// insertPipeline stores a connection and a pipeline using it directly, for runs to point at.
func insertPipeline(t *testing.T, db *pgxpool.Pool, orgID int64, name string) int64 {
	t.Helper()
	ctx := context.Background()
	var connID, id int64
	require.NoError(t, db.QueryRow(ctx, `INSERT INTO connections (org_id, name, type, direction, config_sealed)
		VALUES ($1, $2, 'postgres', 'both', '\x00') RETURNING id`, orgID, name+" db").Scan(&connID))
	require.NoError(t, db.QueryRow(ctx, `INSERT INTO pipelines (org_id, name, source_connection_id, destination_connection_id, destination_schema, status)
		VALUES ($1, $2, $3, $3, 'dest', 'active') RETURNING id`, orgID, name, connID).Scan(&id))
	return id
}

func insertRun(t *testing.T, db *pgxpool.Pool, orgID int64, r runRow) int64 {
	t.Helper()
	if r.targetType == "" {
		r.targetType = "pipeline"
	}
	if r.status == "" {
		r.status = "success"
	}
	if r.trigger == "" {
		r.trigger = "manual"
	}
	if r.createdAt.IsZero() {
		r.createdAt = time.Now()
	}
	if r.stats == "" {
		r.stats = "{}"
	}
	var started, finished *time.Time
	if r.status != "queued" {
		s := r.createdAt.Add(time.Second)
		started = &s
	}
	switch r.status {
	case "success", "failed", "cancelled":
		f := r.createdAt.Add(3500 * time.Millisecond)
		finished = &f
	}
	var errText *string
	if r.err != "" {
		errText = &r.err
	}
	var id int64
	require.NoError(t, db.QueryRow(context.Background(), `INSERT INTO runs
		(org_id, target_type, target_id, status, trigger, created_at, started_at, finished_at, rows_loaded, error, stats)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		orgID, r.targetType, r.targetID, r.status, r.trigger, r.createdAt, started, finished, r.rows, errText, r.stats).Scan(&id))
	return id
}

// insertLogs appends log lines seq from..to to a run.
func insertLogs(t *testing.T, db *pgxpool.Pool, orgID, runID int64, from, to int64) {
	t.Helper()
	for seq := from; seq <= to; seq++ {
		_, err := db.Exec(context.Background(), `INSERT INTO run_logs (run_id, seq, org_id, level, message, fields)
			VALUES ($1, $2, $3, 'info', $4, $5)`, runID, seq, orgID, fmt.Sprintf("line %d", seq), fmt.Sprintf(`{"n": %d}`, seq))
		require.NoError(t, err)
	}
}

func TestRuns_ListFiltersAndPagesNewestFirst(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	other := s.newOrg(t)
	db := database0(t, s)
	orders := insertPipeline(t, db, f.orgID, "Orders")
	users := insertPipeline(t, db, f.orgID, "Users")
	base := time.Now().Add(-time.Hour).Truncate(time.Microsecond)
	var ids []int64 // oldest first
	for i, r := range []runRow{
		{targetID: orders, status: "success", trigger: "manual"},
		{targetID: orders, status: "failed", trigger: "schedule", err: "relation missing"},
		{targetID: users, status: "success", trigger: "api"},
		{targetID: users, status: "cancelled", trigger: "manual"},
		{targetID: orders, status: "failed", trigger: "retry"},
		{targetID: users, status: "success", trigger: "manual"},
		{targetType: "job", targetID: 99, status: "success", trigger: "manual"},
	} {
		r.createdAt = base.Add(time.Duration(i) * time.Minute)
		ids = append(ids, insertRun(t, db, f.orgID, r))
	}
	// Two runs created at the same instant are still ordered, by id.
	same := insertRun(t, db, f.orgID, runRow{targetID: orders, status: "queued", createdAt: base.Add(10 * time.Minute)})
	same2 := insertRun(t, db, f.orgID, runRow{targetID: users, status: "running", createdAt: base.Add(10 * time.Minute)})
	ids = append(ids, same, same2)
	insertRun(t, db, other.orgID, runRow{targetID: orders})

	list := func(query string) api.RunList {
		t.Helper()
		return decode[api.RunList](t, s.call(t, http.MethodGet, "/api/v1/runs"+query, f.viewer.AccessToken, nil), http.StatusOK)
	}
	idsOf := func(l api.RunList) []int64 {
		out := []int64{}
		for _, r := range l.Items {
			out = append(out, r.Id)
		}
		return out
	}
	newestFirst := []int64{same2, same, ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}

	// Paging by 4 walks every run once, newest first, and the last page has no cursor.
	var walked []int64
	query := "?limit=4"
	for pages := 0; ; pages++ {
		require.Less(t, pages, 5)
		l := list(query)
		walked = append(walked, idsOf(l)...)
		if l.NextCursor == nil {
			break
		}
		query = "?limit=4&cursor=" + url.QueryEscape(*l.NextCursor)
	}
	require.Equal(t, newestFirst, walked)

	all := list("")
	require.Equal(t, newestFirst, idsOf(all))
	require.Nil(t, all.NextCursor)
	byID := map[int64]api.Run{}
	for _, r := range all.Items {
		byID[r.Id] = r
	}
	require.Equal(t, "Orders", *byID[ids[1]].TargetName)
	require.Equal(t, "Users", *byID[ids[2]].TargetName)
	require.Nil(t, byID[ids[6]].TargetName, "a target without a name (jobs do not exist yet) has none")
	require.Equal(t, "relation missing", *byID[ids[1]].Error)
	require.Equal(t, int64(2500), *byID[ids[1]].DurationMs)
	require.Nil(t, byID[same].StartedAt)
	require.Nil(t, byID[same].DurationMs)

	require.Equal(t, []int64{ids[4], ids[1]}, idsOf(list("?status=failed")))
	require.Equal(t, []int64{ids[1]}, idsOf(list("?trigger=schedule")))
	require.Equal(t, []int64{same2, ids[5], ids[3], ids[2]}, idsOf(list(fmt.Sprintf("?target_type=pipeline&target_id=%d", users))))
	require.Equal(t, []int64{ids[6]}, idsOf(list("?target_type=job")))
	require.Equal(t, []int64{ids[4]}, idsOf(list(fmt.Sprintf("?target_id=%d&status=failed&trigger=retry", orders))), "filters combine")
	since := base.Add(2 * time.Minute).UTC().Format(time.RFC3339Nano)
	until := base.Add(4 * time.Minute).UTC().Format(time.RFC3339Nano)
	require.Equal(t, []int64{ids[3], ids[2]}, idsOf(list("?since="+url.QueryEscape(since)+"&until="+url.QueryEscape(until))),
		"since includes, until excludes")

	// The other org sees only its own run.
	otherList := decode[api.RunList](t, s.call(t, http.MethodGet, "/api/v1/runs", other.owner.AccessToken, nil), http.StatusOK)
	require.Len(t, otherList.Items, 1)

	for _, bad := range []struct{ query, field string }{
		{"?status=exploded", "status"},
		{"?target_type=dashboard", "target_type"},
		{"?trigger=whim", "trigger"},
		{"?since=yesterday", "since"},
		{"?limit=501", "limit"},
		{"?cursor=bm90LWEtY3Vyc29y", "cursor"},
		{"?since=" + url.QueryEscape(until) + "&until=" + url.QueryEscape(since), "until"},
		{"?target_id=0", "target_id"},
	} {
		p := decodeProblem(t, s.call(t, http.MethodGet, "/api/v1/runs"+bad.query, f.viewer.AccessToken, nil), http.StatusUnprocessableEntity)
		require.NotNil(t, p.Errors, bad.query)
		var fields []string
		for _, e := range *p.Errors {
			fields = append(fields, e.Field)
		}
		require.Contains(t, fields, bad.field, bad.query)
	}
}

func TestRuns_GetIsScopedToTheOrg(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	other := s.newOrg(t)
	db := database0(t, s)
	p := insertPipeline(t, db, f.orgID, "Orders")
	id := insertRun(t, db, f.orgID, runRow{targetID: p, rows: 42, trigger: "api",
		stats: `{"phase": "done", "tables": [{"name": "public.orders", "rows_read": 42, "rows_written": 42, "rows_rejected": 0, "bytes": 1024, "seconds": 0.5}]}`})

	r := decode[api.Run](t, s.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d", id), f.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, id, r.Id)
	require.Equal(t, api.RunStatus("success"), r.Status)
	require.Equal(t, api.RunTrigger("api"), r.Trigger)
	require.Equal(t, api.RunTargetType("pipeline"), r.TargetType)
	require.Equal(t, p, r.TargetId)
	require.Equal(t, int64(42), r.RowsLoaded)
	require.Equal(t, int32(1), r.Attempt)
	require.Equal(t, "done", *r.Stats.Phase)
	require.Equal(t, []api.RunTableStats{{Name: "public.orders", RowsRead: 42, RowsWritten: 42, Bytes: 1024, Seconds: 0.5}}, *r.Stats.Tables)
	require.Equal(t, int64(2500), *r.DurationMs)

	decodeProblem(t, s.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d", id), other.owner.AccessToken, nil), http.StatusNotFound)
	decodeProblem(t, s.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d/logs", id), other.owner.AccessToken, nil), http.StatusNotFound)
	decodeProblem(t, s.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d/logs/stream", id), other.owner.AccessToken, nil), http.StatusNotFound)
	decodeProblem(t, s.call(t, http.MethodGet, "/api/v1/runs/987654321", f.owner.AccessToken, nil), http.StatusNotFound)
	decodeProblem(t, s.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d", id), "", nil), http.StatusUnauthorized)
}

func TestRunLogs_PagesInOrderAndSaysWhenDone(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	db := database0(t, s)
	id := insertRun(t, db, f.orgID, runRow{targetID: insertPipeline(t, db, f.orgID, "Orders"), status: "running"})
	insertLogs(t, db, f.orgID, id, 1, 5)
	logs := func(query string) api.RunLogList {
		t.Helper()
		return decode[api.RunLogList](t, s.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d/logs%s", id, query), f.viewer.AccessToken, nil), http.StatusOK)
	}

	l := logs("?limit=2")
	require.Len(t, l.Items, 2)
	require.Equal(t, int64(1), l.Items[0].Seq)
	require.Equal(t, "line 1", l.Items[0].Message)
	require.Equal(t, api.RunLogLineLevel("info"), l.Items[0].Level)
	require.Equal(t, map[string]any{"n": float64(1)}, l.Items[0].Fields)
	require.Equal(t, int64(2), l.NextAfter)
	require.False(t, l.Done)

	l = logs("?after=2")
	require.Equal(t, []int64{3, 4, 5}, seqs(l.Items))
	require.Equal(t, int64(5), l.NextAfter)
	require.False(t, l.Done, "the run is still running: lines may follow")

	l = logs("?after=5")
	require.Empty(t, l.Items)
	require.Equal(t, int64(5), l.NextAfter, "next_after stays where it was when nothing is new")
	require.False(t, l.Done)

	_, err := db.Exec(context.Background(), "UPDATE runs SET status = 'failed', finished_at = now() WHERE id = $1", id)
	require.NoError(t, err)
	require.False(t, logs("?after=3&limit=1").Done, "ended, but lines follow")
	require.True(t, logs("?after=4&limit=1").Done, "ended and this is the last line")
	require.True(t, logs("?after=5").Done)

	decodeProblem(t, s.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d/logs?limit=0", id), f.viewer.AccessToken, nil), http.StatusUnprocessableEntity)
}

func seqs(lines []api.RunLogLine) []int64 {
	out := []int64{}
	for _, l := range lines {
		out = append(out, l.Seq)
	}
	return out
}

// sseEvent is one Server-Sent Event as a client parses it.
type sseEvent struct {
	name, id, data string
}

// sseReader reads events from a stream, skipping comments.
type sseReader struct {
	sc       *bufio.Scanner
	comments int
}

func (r *sseReader) next(t *testing.T) sseEvent {
	t.Helper()
	var ev sseEvent
	for r.sc.Scan() {
		line := r.sc.Text()
		switch {
		case line == "":
			if ev.name != "" || ev.data != "" {
				return ev
			}
		case strings.HasPrefix(line, ":"):
			r.comments++
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "id: "):
			ev.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			ev.data += strings.TrimPrefix(line, "data: ")
		}
	}
	require.NoError(t, r.sc.Err())
	return sseEvent{name: "EOF"}
}

// openStream opens a run's live log stream over a real HTTP connection, as the SPA's fetch does.
func openStream(t *testing.T, ctx context.Context, srv *httptest.Server, runID int64, token string, headers ...string) (*http.Response, *sseReader) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/runs/%d/logs/stream", srv.URL, runID), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = res.Body.Close() })
	require.Equal(t, http.StatusOK, res.StatusCode)
	return res, &sseReader{sc: bufio.NewScanner(res.Body)}
}

func TestRunLogs_StreamSendsLinesLiveResumesAndEnds(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	db := database0(t, s)
	id := insertRun(t, db, f.orgID, runRow{targetID: insertPipeline(t, db, f.orgID, "Orders"), status: "running"})
	insertLogs(t, db, f.orgID, id, 1, 2)
	srv := httptest.NewServer(s.e)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	res, events := openStream(t, ctx, srv, id, f.viewer.AccessToken)
	require.Equal(t, "text/event-stream", res.Header.Get("Content-Type"))
	require.Equal(t, "no-cache", res.Header.Get("Cache-Control"))
	require.Equal(t, "no", res.Header.Get("X-Accel-Buffering"))

	ev := events.next(t)
	require.Equal(t, "status", ev.name)
	var run api.Run
	require.NoError(t, json.Unmarshal([]byte(ev.data), &run))
	require.Equal(t, api.RunStatus("running"), run.Status)
	for _, seq := range []string{"1", "2"} {
		ev = events.next(t)
		require.Equal(t, "log", ev.name)
		require.Equal(t, seq, ev.id)
		var line api.RunLogLine
		require.NoError(t, json.Unmarshal([]byte(ev.data), &line))
		require.Equal(t, "line "+seq, line.Message)
	}

	// Lines written while the client listens arrive live; then the run changes and ends (its
	// worker writes every line before the final status).
	insertLogs(t, db, f.orgID, id, 3, 3)
	ev = events.next(t)
	require.Equal(t, sseEvent{name: "log", id: "3", data: ev.data}, ev)
	_, err := db.Exec(ctx, `UPDATE runs SET stats = '{"phase": "publishing"}' WHERE id = $1`, id)
	require.NoError(t, err)
	ev = events.next(t)
	require.Equal(t, "status", ev.name)
	require.Contains(t, ev.data, `"phase":"publishing"`)
	insertLogs(t, db, f.orgID, id, 4, 4)
	_, err = db.Exec(ctx, "UPDATE runs SET status = 'success', finished_at = now(), rows_loaded = 7 WHERE id = $1", id)
	require.NoError(t, err)
	ev = events.next(t)
	require.Equal(t, "log", ev.name)
	require.Equal(t, "4", ev.id)
	ev = events.next(t)
	require.Equal(t, "status", ev.name)
	require.NoError(t, json.Unmarshal([]byte(ev.data), &run))
	require.Equal(t, api.RunStatus("success"), run.Status)
	require.Equal(t, int64(7), run.RowsLoaded)
	require.Equal(t, "end", events.next(t).name)
	require.Equal(t, "EOF", events.next(t).name, "the stream closes after end")

	// A reconnect resumes after the last event it saw: Last-Event-ID, or ?after= for clients
	// that cannot set headers.
	_, events = openStream(t, ctx, srv, id, f.viewer.AccessToken, "Last-Event-ID", "2")
	got := []string{}
	for ev := events.next(t); ev.name != "EOF"; ev = events.next(t) {
		got = append(got, ev.name+ev.id)
	}
	require.Equal(t, []string{"status", "log3", "log4", "end"}, got)

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/runs/%d/logs/stream?after=3", srv.URL, id), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+f.viewer.AccessToken)
	res, err = srv.Client().Do(req)
	require.NoError(t, err)
	defer func() { _ = res.Body.Close() }()
	events = &sseReader{sc: bufio.NewScanner(res.Body)}
	require.Equal(t, "status", events.next(t).name)
	require.Equal(t, "4", events.next(t).id)
	require.Equal(t, "end", events.next(t).name)

	rec := s.do(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d/logs/stream", id), nil, "Authorization", "Bearer "+f.viewer.AccessToken, "Last-Event-ID", "soon")
	decodeProblem(t, rec, http.StatusUnprocessableEntity)
}

func TestRunLogs_StreamStopsWhenTheClientGoesAway(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	db := database0(t, s)
	id := insertRun(t, db, f.orgID, runRow{targetID: insertPipeline(t, db, f.orgID, "Orders"), status: "running"})
	srv := httptest.NewServer(s.e)
	ctx, cancel := context.WithCancel(context.Background())
	_, events := openStream(t, ctx, srv, id, f.viewer.AccessToken)
	require.Equal(t, "status", events.next(t).name)
	cancel()

	// Close waits for every request being served: it returns only if the stream of a run that
	// never ends stopped when its client left.
	closed := make(chan struct{})
	go func() {
		srv.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream kept running after its client went away")
	}
}

// The RBAC and cross-tenant tests walk every operation of openapi.yaml; the read side of runs
// registers its cases here. The runs have ended, so their streams end at once.
func init() {
	endedRun := func(t *testing.T, s *testServer, f orgFixture) int64 {
		db := database0(t, s)
		return insertRun(t, db, f.orgID, runRow{targetID: insertPipeline(t, db, f.orgID, uniqueEmail("pipeline")), status: "failed"})
	}
	get := func(format string) func(t *testing.T, s *testServer, f orgFixture) request {
		return func(t *testing.T, s *testServer, f orgFixture) request {
			return request{http.MethodGet, fmt.Sprintf(format, endedRun(t, s, f)), nil}
		}
	}
	for op, format := range map[string]string{
		"getRun": "/api/v1/runs/%d", "getRunLogs": "/api/v1/runs/%d/logs", "streamRunLogs": "/api/v1/runs/%d/logs/stream",
	} {
		requestBuilders[op] = get(format)
		crossTenantTargets[op] = get(format)
	}
	requestBuilders["listRuns"] = func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodGet, "/api/v1/runs?status=failed", nil}
	}
	requestBuilders["getDashboard"] = func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodGet, "/api/v1/dashboard", nil}
	}
}

func TestRunLogs_StreamOutlivesTheServerTimeouts(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	db := database0(t, s)
	id := insertRun(t, db, f.orgID, runRow{targetID: insertPipeline(t, db, f.orgID, "Orders"), status: "running"})
	srv := httptest.NewUnstartedServer(s.e)
	srv.Config.ReadTimeout = 300 * time.Millisecond
	srv.Config.WriteTimeout = 300 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	_, events := openStream(t, ctx, srv, id, f.viewer.AccessToken)
	require.Equal(t, "status", events.next(t).name)
	time.Sleep(time.Second)
	insertLogs(t, db, f.orgID, id, 1, 1)
	require.Equal(t, "1", events.next(t).id, "the stream is still alive past both timeouts")
}
