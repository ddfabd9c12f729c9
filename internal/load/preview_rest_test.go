package load_test

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

func previewREST(t *testing.T, api *fakeAPI, config map[string]any, resource, cfg string, limit int) (*load.RESTPreview, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return load.PreviewREST(ctx, config, api.endpoint(t, "tables").Env, resource, dbtest.MustConfig(t, cfg), limit)
}

// The preview of a resource is its first page as a run that stops after one page loads it:
// the same table and column names, types, keys and values.
func TestPreviewREST_IsTheFirstPageAsARunLoadsIt(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	p, err := previewREST(t, api, api.config("tables"), "posts", `{}`, 100)
	require.NoError(t, err)
	// One request: the first page, from the incremental initial_value (posts 2 and 3).
	require.Equal(t, []string{"/api/posts?limit=2&offset=0&since=2024-01-02T00%3A00%3A00Z"}, api.requests())
	require.Equal(t, "posts", p.Table)
	require.Equal(t, []string{"posts__tags"}, p.ChildTables)
	require.Equal(t, []string{"id"}, p.PrimaryKey)
	require.False(t, p.Truncated)
	var names, types []string
	for _, c := range p.Columns {
		names = append(names, c.Name)
		types = append(types, c.Type.String())
	}
	require.Equal(t, []string{"id", "author__name", "score", "title", "updated_at", "_dnk_id"}, names)
	require.Equal(t, []string{"int64", "text", "decimal", "text", "timestamptz", "text"}, types)
	require.Len(t, p.Rows, 2)
	require.Equal(t, []any{int64(2), "a0", "2.25", "Post 2", "2024-01-02T10:00:00Z"}, p.Rows[0][:5])
	require.Equal(t, int64(3), p.Rows[1][0])

	// A run of one page into PostgreSQL makes the same table.
	pg := dbtest.NewPG(t)
	onePage := api.config("tables")
	onePage["max_pages"] = 1
	src := api.endpoint(t, "tables")
	src.Config = onePage
	_, err = dbtest.RunLoad(t, load.Spec{Pipeline: "preview", Source: src, Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"table_names": ["posts"]}`)})
	require.NoError(t, err)
	rows, err := pg.Conn.Query(context.Background(), `SELECT attname FROM pg_attribute WHERE attrelid = 'raw.posts'::regclass
		AND attnum > 0 AND NOT attisdropped AND attname NOT IN ('_dnk_loaded_at', '_dnk_run_id') ORDER BY attnum`)
	require.NoError(t, err)
	var loaded []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		loaded = append(loaded, n)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, names, loaded)
	require.Equal(t, int64(len(p.Rows)), pg.Count(t, `SELECT count(*) FROM raw.posts`))
	var id string
	require.NoError(t, pg.Conn.QueryRow(context.Background(), `SELECT _dnk_id FROM raw.posts WHERE id = 2`).Scan(&id))
	require.Equal(t, id, p.Rows[0][5], "the same derived _dnk_id")
}

func TestPreviewREST_AppliesTheFiltersNamingAndLimit(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	// The filter keeps post 3 of the page; preserve keeps the names as the API spells them.
	p, err := previewREST(t, api, api.config("json"), "posts", `{"filters": [{"column": "id", "op": "gt", "value": 2}]}`, 100)
	require.NoError(t, err)
	require.Len(t, p.Rows, 1)
	require.Equal(t, int64(3), p.Rows[0][0])
	require.Empty(t, p.ChildTables)

	p, err = previewREST(t, api, api.config("json"), "users", `{}`, 1)
	require.NoError(t, err)
	require.True(t, p.Truncated, "the page has two users")
	require.Len(t, p.Rows, 1)
	require.Equal(t, "json", p.Columns[2].Type.String())
	require.JSONEq(t, `{"age": 31}`, p.Rows[0][2].(string))

	renamed := api.config("json")
	renamed["resources"] = []any{map[string]any{"name": "People", "path": "users", "primary_key": "id"}}
	p, err = previewREST(t, api, renamed, "people", `{}`, 10)
	require.NoError(t, err)
	require.Equal(t, "people", p.Table, "snake_case by default")
	p, err = previewREST(t, api, renamed, "People", `{"naming": "preserve"}`, 10)
	require.NoError(t, err)
	require.Equal(t, "People", p.Table)
}

func TestPreviewREST_RefusesWhatARunWouldRefuse(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	_, err := previewREST(t, api, api.config("json"), "orders", `{}`, 10)
	require.ErrorIs(t, err, load.ErrNoTable)

	_, err = previewREST(t, api, api.config("json"), "posts", `{"filters": [{"column": "nope", "op": "eq", "value": 1}]}`, 10)
	require.ErrorContains(t, err, `filter column "nope" is not a field of any record of resource posts`)

	_, err = previewREST(t, api, api.config("json"), "posts", `{"mode": "single_table", "table": "posts", "incremental": {"cursor_path": "id"}}`, 10)
	var fe load.FieldErrors
	require.ErrorAs(t, err, &fe)

	// The API's refusal comes back without the token.
	bad := maps.Clone(api.config("json"))
	bad["auth"] = map[string]any{"type": "bearer", "token": "wrong-token-Zq9x"}
	_, err = previewREST(t, api, bad, "posts", `{}`, 10)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "wrong-token-Zq9x")
	require.False(t, strings.Contains(err.Error(), api.token))
}
