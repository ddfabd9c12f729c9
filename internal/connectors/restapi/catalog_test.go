package restapi

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
)

func TestCatalog_OneTablePerResourceWithInferredColumns(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/orders":
			_, _ = w.Write([]byte(`{"data": [
				{"id": 1, "amount": 10, "big": 1234567890123456789012, "paid": true, "created_at": "2024-05-01T10:00:00Z",
				 "day": "2024-05-01", "name": "a", "tags": ["x"], "address": {"city": "Oslo"}, "mixed": 1, "gone": null,
				 "when": "2024-05-01"},
				{"id": 2, "amount": 10.5, "paid": false, "created_at": "2024-05-02 11:00:00", "day": "2024-05-02",
				 "name": "b", "tags": [], "address": null, "mixed": "one", "when": "2024-05-02T00:00:00Z"}
			], "next": null}`))
		case "/customers":
			writeJSON(w, map[string]any{"data": []any{}})
		}
	})
	cfg := config(s.URL, "", map[string]any{"resources": []any{
		map[string]any{"name": "orders", "path": "/orders", "primary_key": "id"},
		map[string]any{"name": "customers", "path": "/customers", "primary_key": []any{"region", "code"}},
	}})
	schemas, err := open(t, cfg, openPolicy(t)).Catalog(t.Context())
	require.NoError(t, err)
	require.Len(t, schemas, 1)
	require.Equal(t, "api", schemas[0].Name)
	tables := schemas[0].Tables
	require.Len(t, tables, 2)
	require.Equal(t, "orders", tables[0].Name)
	require.Equal(t, connectors.KindTable, tables[0].Kind)

	col := func(name, typ string) connectors.Column {
		return connectors.Column{Name: name, Type: typ, Nullable: true}
	}
	require.Equal(t, []connectors.Column{
		{Name: "id", Type: "integer", PrimaryKey: true},
		col("address", "json"),
		col("amount", "number"),
		col("big", "number"),
		col("created_at", "timestamp"),
		col("day", "date"),
		col("gone", "string"),
		col("mixed", "string"),
		col("name", "string"),
		col("paid", "boolean"),
		col("tags", "json"),
		col("when", "timestamp"),
	}, tables[0].Columns)

	require.Equal(t, "customers", tables[1].Name)
	require.Equal(t, []connectors.Column{
		{Name: "region", Type: "string", PrimaryKey: true},
		{Name: "code", Type: "string", PrimaryKey: true},
	}, tables[1].Columns, "an empty first page shows the key columns only")
}

func TestCatalog_FailureNamesTheResource(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			http.Error(w, "nope", http.StatusForbidden)
			return
		}
		writeJSON(w, items(1, 1))
	})
	cfg := config(s.URL, "", map[string]any{"resources": []any{
		map[string]any{"name": "fine", "path": "/fine"},
		map[string]any{"name": "broken", "path": "/broken"},
	}})
	_, err := open(t, cfg, openPolicy(t)).Catalog(t.Context())
	require.ErrorContains(t, err, "resource broken: GET "+s.URL+"/broken: HTTP 403 Forbidden: nope")
}

func TestCatalog_WidenTypes(t *testing.T) {
	t.Parallel()
	require.Equal(t, "number", widen("integer", "number"))
	require.Equal(t, "timestamp", widen("date", "timestamp"))
	require.Equal(t, "json", widen("string", "json"))
	require.Equal(t, "string", widen("boolean", "integer"))
	require.Equal(t, "integer", widen("", "integer"))
	require.Equal(t, "integer", widen("integer", ""))
}
