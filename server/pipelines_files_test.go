package server

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/blob"
	"github.com/datanika/datanika/internal/connection"
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/standard"
	"github.com/datanika/datanika/internal/egress"
	"github.com/datanika/datanika/internal/files"
	"github.com/datanika/datanika/internal/queue"
	"github.com/datanika/datanika/internal/run"
	"github.com/datanika/datanika/internal/testutil"
)

// setupFileRuns is setupRuns whose worker reads the org's uploads, as the program's does
// (run.OrgEnv over the files service), from the blob store the API stores them in.
func setupFileRuns(t *testing.T) *runEnv {
	t.Helper()
	_, dbURL := testutil.NewDatabase(t)
	pool := testutil.AppPool(t, dbURL)
	blobs, err := blob.NewDir(t.TempDir())
	require.NoError(t, err)
	policy, err := egress.New(true, "")
	require.NoError(t, err)
	w := run.NewPipelineRunWorker(run.WorkerConfig{
		Pool:          pool,
		Connections:   connection.New(pool, standard.Registry(), testKeyring(t), connectors.Env{}, testutil.Logger()),
		Env:           run.OrgEnv(policy.Dialer(10*time.Second), policy.ManagedDialer(10*time.Second), files.NewService(pool, blobs, 1<<20, testutil.Logger()).Path),
		LimitWait:     200 * time.Millisecond,
		StatsInterval: 100 * time.Millisecond,
		Logger:        testutil.Logger(),
	})
	client, err := queue.New(pool, queue.Options{Logger: testutil.Logger(), Work: true, MaxWorkers: 4,
		FetchPollInterval: 50 * time.Millisecond, Register: func(ws *river.Workers) { run.Register(ws, w) }})
	require.NoError(t, err)
	require.NoError(t, client.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = queue.Stop(ctx, client)
	})
	s := setupWithPool(t, pool, func(d *Deps) { d.Queue = client; d.MaxBodyBytes = 1 << 20; d.Blobs = blobs })
	e := &runEnv{testServer: s, owner: testutil.OwnerPool(t, pool), f: s.newOrg(t)}
	dstURL := testutil.EmptyDatabase(t)
	e.dst, err = pgxpool.New(context.Background(), dstURL)
	require.NoError(t, err)
	t.Cleanup(e.dst.Close)
	e.dstConn = decode[api.Connection](t, s.call(t, http.MethodPost, "/api/v1/connections", e.f.owner.AccessToken,
		map[string]any{"name": "warehouse", "type": "postgres", "config": pgConfigFor(dstURL, runPassword)}), http.StatusCreated)
	return e
}

// An uploaded CSV becomes a file connection, a pipeline of it loads into PostgreSQL with its
// types inferred, all through the API and the run worker.
func TestPipelines_FromAnUploadedFileRunThroughTheServer(t *testing.T) {
	t.Parallel()
	content, err := os.ReadFile("../../shared/datasets/jaffle_shop/raw_orders.csv")
	if err != nil {
		t.Skipf("jaffle_shop is not here: %v", err)
	}
	e := setupFileRuns(t)
	up := decode[api.File](t, e.call(t, http.MethodPost, "/api/v1/files", e.f.editor.AccessToken, upload{"file", "raw_orders.csv", content}), http.StatusCreated)
	src := decode[api.Connection](t, e.call(t, http.MethodPost, "/api/v1/connections", e.f.owner.AccessToken,
		map[string]any{"name": "orders upload", "type": "file", "config": map[string]any{"file_id": up.Id, "format": "csv"}}), http.StatusCreated)

	// A config the file source cannot take is refused before it is stored.
	p := decodeProblem(t, e.call(t, http.MethodPost, "/api/v1/pipelines", e.f.owner.AccessToken, map[string]any{
		"name": "bad orders", "source_connection_id": src.Id, "destination_connection_id": e.dstConn.Id,
		"config": map[string]any{"files": map[string]any{"delimiter": ";;", "encoding": "ebcdic"}}}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "config.files.delimiter")
	require.Contains(t, fieldsOf(p), "config.files.encoding")
	// What a file source cannot take, and config.files on a source that is not one.
	p = decodeProblem(t, e.call(t, http.MethodPost, "/api/v1/pipelines", e.f.owner.AccessToken, map[string]any{
		"name": "filtered orders", "source_connection_id": src.Id, "destination_connection_id": e.dstConn.Id,
		"config": map[string]any{"mode": "single_table", "table": "orders", "filters": []any{map[string]any{"column": "id", "op": "gt", "value": 1}},
			"incremental": map[string]any{"cursor_path": "id"}}}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "config.filters")
	require.Contains(t, fieldsOf(p), "config.incremental")
	p = decodeProblem(t, e.call(t, http.MethodPost, "/api/v1/pipelines", e.f.owner.AccessToken, map[string]any{
		"name": "pg with files", "destination_schema": "raw", "source_connection_id": e.dstConn.Id, "destination_connection_id": e.dstConn.Id,
		"config": map[string]any{"files": map[string]any{"delimiter": ";"}}}), http.StatusUnprocessableEntity)
	require.Equal(t, []string{"config.files"}, slices.Collect(maps.Keys(fieldsOf(p))))

	pl := decode[api.Pipeline](t, e.call(t, http.MethodPost, "/api/v1/pipelines", e.f.owner.AccessToken, map[string]any{
		"name": "orders", "source_connection_id": src.Id, "destination_connection_id": e.dstConn.Id, "destination_schema": "raw",
		"config": map[string]any{"mode": "single_table", "table": fmt.Sprintf("file.file_%d", up.Id), "files": map[string]any{"null_marker": ""}}}), http.StatusCreated)
	p = decodeProblem(t, e.call(t, http.MethodPatch, fmt.Sprintf("/api/v1/pipelines/%d", pl.Id), e.f.owner.AccessToken, map[string]any{
		"config": map[string]any{"mode": "single_table", "table": "orders", "incremental": map[string]any{"cursor_path": "id"}}}), http.StatusUnprocessableEntity)
	require.Equal(t, []string{"config.incremental"}, slices.Collect(maps.Keys(fieldsOf(p))))
	p = decodeProblem(t, e.call(t, http.MethodPatch, fmt.Sprintf("/api/v1/pipelines/%d", pl.Id), e.f.owner.AccessToken, map[string]any{
		"source_connection_id": e.dstConn.Id}), http.StatusUnprocessableEntity)
	require.Equal(t, []string{"config.files"}, slices.Collect(maps.Keys(fieldsOf(p))), "a source that is not a file does not take the stored config.files")
	queued := e.trigger(t, pl.Id, map[string]any{})
	r := e.waitFor(t, queued.Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "error: %v", r.errMsg)
	require.Equal(t, int64(99), r.rowsLoaded)

	table := fmt.Sprintf("raw.file_%d", up.Id)
	require.Equal(t, int64(99), e.count(t, e.dst, "SELECT count(*) FROM "+table))
	require.Equal(t, int64(1), e.count(t, e.dst, "SELECT count(*) FROM "+table+" WHERE id = 1 AND user_id = 1 AND order_date = DATE '2018-01-01' AND status = 'returned'"))
	var idType, dateType string
	require.NoError(t, e.dst.QueryRow(context.Background(), `SELECT
		(SELECT data_type FROM information_schema.columns WHERE table_schema = 'raw' AND column_name = 'id'),
		(SELECT data_type FROM information_schema.columns WHERE table_schema = 'raw' AND column_name = 'order_date')`).Scan(&idType, &dateType))
	require.Equal(t, "bigint", idType)
	require.Equal(t, "date", dateType)

	// The upload deleted, the next run fails saying so; the loaded table stays.
	require.Equal(t, http.StatusNoContent, e.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/files/%d", up.Id), e.f.admin.AccessToken, nil).Code)
	again := e.trigger(t, pl.Id, map[string]any{})
	r = e.waitFor(t, again.Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "failed", r.status)
	require.NotNil(t, r.errMsg)
	require.Contains(t, *r.errMsg, fmt.Sprintf("file %d", up.Id))
	require.Equal(t, int64(99), e.count(t, e.dst, "SELECT count(*) FROM "+table))
}
