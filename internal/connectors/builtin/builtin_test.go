package builtin_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/builtin"
	"github.com/datanika/datanika/internal/load"
)

func names(types []connectors.Type) []string {
	var out []string
	for _, t := range types {
		out = append(out, t.Name)
	}
	return out
}

func TestRegistry_HoldsEveryTypeOfTheIssue(t *testing.T) {
	t.Parallel()
	r := builtin.Registry()
	require.Equal(t, []string{"bigquery", "clickhouse", "file", "mssql", "mysql", "postgres", "redshift",
		"rest_api", "s3", "snowflake", "sqlite"}, names(r.Types()))
}

func TestRegistry_OffersOnlyTheTypesThatWork(t *testing.T) {
	t.Parallel()
	// Each of these has live tests; a type joins this list with its implementation.
	require.Equal(t, []string{"bigquery", "clickhouse", "file", "mssql", "mysql", "postgres", "redshift", "rest_api", "s3", "snowflake", "sqlite"}, names(builtin.Registry().Offered()))
}

func TestRegistry_DescribesEveryTypeForTheAPI(t *testing.T) {
	t.Parallel()
	for _, typ := range builtin.Registry().Types() {
		require.NotEmpty(t, typ.Label, typ.Name)
		c := typ.Capabilities
		require.True(t, c.Source || c.Destination, "%s is neither source nor destination", typ.Name)
		var schema map[string]any
		require.NoError(t, json.Unmarshal(typ.ConfigSchema, &schema), typ.Name)
		require.Equal(t, "object", schema["type"], typ.Name)
		require.Equal(t, false, schema["additionalProperties"], "%s must refuse unknown fields", typ.Name)
	}
}

func TestRegistry_TypesEncodeAsTheAPIShowsThem(t *testing.T) {
	t.Parallel()
	raw, err := json.Marshal(builtin.Registry().Types())
	require.NoError(t, err)
	var types []map[string]any
	require.NoError(t, json.Unmarshal(raw, &types))
	for _, typ := range types {
		require.ElementsMatch(t, []string{"name", "label", "capabilities", "config_schema", "available"}, keys(typ))
		if typ["name"] == "postgres" {
			require.Equal(t, true, typ["available"])
			require.Equal(t, map[string]any{"source": true, "destination": true, "sql": true, "transform_target": true}, typ["capabilities"])
			pw := typ["config_schema"].(map[string]any)["properties"].(map[string]any)["password"].(map[string]any)
			require.Equal(t, true, pw["x-secret"])
		}
		require.Equal(t, true, typ["available"], "every shipped type works: %v", typ["name"])
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestRegistry_SQLTypesImplementCatalogAndQuery(t *testing.T) {
	t.Parallel()
	r := builtin.Registry()
	configs := map[string]map[string]any{
		"postgres":   {"host": "h", "database": "d", "user": "u"},
		"mysql":      {"host": "h", "user": "u"},
		"sqlite":     {"file_id": 1},
		"file":       {"file_id": 1, "format": "csv"},
		"mssql":      {"host": "h", "database": "d", "user": "u"},
		"redshift":   {"host": "h", "database": "d", "user": "u", "password": "p"},
		"clickhouse": {"host": "h"},
		"rest_api":   {"base_url": "https://api.example.com", "resources": []any{map[string]any{"name": "a", "path": "/a"}}},
		"s3":         {"bucket": "my-bucket"},
		"bigquery":   {"project_id": "my-project-123", "dataset": "d", "credentials_json": "{}"},
		"snowflake":  {"account": "a", "user": "u", "password": "p", "warehouse": "w", "database": "d"},
	}
	env := connectors.Env{Files: func(_ context.Context, _ int64) (string, error) { return "", nil }}
	for _, typ := range r.Offered() {
		c, err := r.Open(typ.Name, configs[typ.Name], env)
		require.NoError(t, err, typ.Name)
		if typ.Capabilities.SQL {
			require.Implements(t, (*connectors.Cataloger)(nil), c, typ.Name)
			require.Implements(t, (*connectors.Querier)(nil), c, typ.Name)
		}
	}
}

func TestBuiltin_RegistersTheLoadDestinations(t *testing.T) {
	t.Parallel()
	require.Subset(t, load.RegisteredDestinations(), []string{"bigquery", "clickhouse", "mssql", "redshift", "snowflake"})
}
