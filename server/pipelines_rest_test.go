package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
)

func TestPipelines_RESTAPISourceRefusesTheSQLIncrementalWindow(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	restAPI := s.connectionOf(t, f, "rest_api", map[string]any{"base_url": "https://api.example.com",
		"resources": []any{map[string]any{"name": "orders", "path": "/orders"}}})
	pg := s.createConnection(t, f)
	body := func(source int64, cfg map[string]any) map[string]any {
		return map[string]any{"name": uniqueEmail("rest"), "source_connection_id": source, "destination_connection_id": pg.Id, "config": cfg}
	}
	incremental := map[string]any{"mode": "single_table", "table": "orders", "incremental": map[string]any{"cursor_path": "id"}}
	p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/pipelines", f.editor.AccessToken, body(restAPI.Id, incremental)), http.StatusUnprocessableEntity)
	require.Equal(t, api.ErrorCodeValidationFailed, *p.Code)
	require.Contains(t, fieldsOf(p), "config.incremental")
	require.Contains(t, fieldsOf(p)["config.incremental"], "set incremental on the resource")
	// The same config over a SQL source is fine.
	sql := decode[api.Pipeline](t, s.call(t, http.MethodPost, "/api/v1/pipelines", f.editor.AccessToken, body(pg.Id, incremental)), http.StatusCreated)

	// A pipeline over the API is created, filters included (applied in the stream); adding the
	// SQL window to it, or moving a SQL incremental pipeline onto the API, is refused and
	// changes nothing.
	ok := decode[api.Pipeline](t, s.call(t, http.MethodPost, "/api/v1/pipelines", f.editor.AccessToken,
		body(restAPI.Id, map[string]any{"table_names": []any{"orders"}, "filters": []any{map[string]any{"column": "id", "op": "gt", "value": 1}}})), http.StatusCreated)
	p = decodeProblem(t, s.call(t, http.MethodPatch, pipelinePath(ok.Id), f.editor.AccessToken, map[string]any{"config": incremental}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "config.incremental")
	p = decodeProblem(t, s.call(t, http.MethodPatch, pipelinePath(sql.Id), f.editor.AccessToken,
		map[string]any{"source_connection_id": restAPI.Id}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "config.incremental")
	got := decode[api.Pipeline](t, s.call(t, http.MethodGet, pipelinePath(sql.Id), f.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, sql, got)
	got = decode[api.Pipeline](t, s.call(t, http.MethodGet, pipelinePath(ok.Id), f.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, ok, got)
}
