package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
)

func TestPipelines_RESTAPISourceRefusesWhatOnlySQLSourcesUse(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	restAPI := s.connectionOf(t, f, "rest_api", map[string]any{"base_url": "https://api.example.com",
		"resources": []any{map[string]any{"name": "orders", "path": "/orders"}}})
	pg := s.createConnection(t, f)
	body := func(source int64, cfg map[string]any) map[string]any {
		return map[string]any{"name": uniqueEmail("rest"), "source_connection_id": source, "destination_connection_id": pg.Id, "config": cfg}
	}
	for field, cfg := range map[string]map[string]any{
		"config.incremental": {"mode": "single_table", "table": "orders", "incremental": map[string]any{"cursor_path": "id"}},
		"config.filters":     {"filters": []any{map[string]any{"column": "id", "op": "gt", "value": 1}}},
	} {
		p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/pipelines", f.editor.AccessToken, body(restAPI.Id, cfg)), http.StatusUnprocessableEntity)
		require.Equal(t, api.ErrorCodeValidationFailed, *p.Code)
		require.Contains(t, fieldsOf(p), field)
		// The same config over a SQL source is fine.
		decode[api.Pipeline](t, s.call(t, http.MethodPost, "/api/v1/pipelines", f.editor.AccessToken, body(pg.Id, cfg)), http.StatusCreated)
	}

	// A pipeline over the API is created; adding filters to it, or moving a filtered pipeline
	// onto the API, is refused and changes nothing.
	ok := decode[api.Pipeline](t, s.call(t, http.MethodPost, "/api/v1/pipelines", f.editor.AccessToken,
		body(restAPI.Id, map[string]any{"table_names": []any{"orders"}})), http.StatusCreated)
	p := decodeProblem(t, s.call(t, http.MethodPatch, pipelinePath(ok.Id), f.editor.AccessToken, map[string]any{"config": map[string]any{
		"filters": []any{map[string]any{"column": "id", "op": "gt", "value": 1}}}}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "config.filters")
	filtered := decode[api.Pipeline](t, s.call(t, http.MethodPost, "/api/v1/pipelines", f.editor.AccessToken,
		body(pg.Id, map[string]any{"filters": []any{map[string]any{"column": "id", "op": "gt", "value": 1}}})), http.StatusCreated)
	p = decodeProblem(t, s.call(t, http.MethodPatch, pipelinePath(filtered.Id), f.editor.AccessToken,
		map[string]any{"source_connection_id": restAPI.Id}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "config.filters")
	got := decode[api.Pipeline](t, s.call(t, http.MethodGet, pipelinePath(filtered.Id), f.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, filtered, got)
}
