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
			props := typ["config_schema"].(map[string]any)["properties"].(map[string]any)
			require.Equal(t, true, props["password"].(map[string]any)["x-secret"])
			require.Equal(t, true, props["host"].(map[string]any)["x-target"])
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
	// A pipeline into any offered destination type is accepted (pipeline validation asks
	// SupportsDestination, and answers 422 when it refuses), except the file stores.
	var loadable []string
	for _, typ := range builtin.Registry().Offered() {
		if typ.Capabilities.Destination && load.SupportsDestination(typ.Name) == nil {
			loadable = append(loadable, typ.Name)
		}
	}
	require.Equal(t, []string{"bigquery", "clickhouse", "mssql", "mysql", "postgres", "redshift", "snowflake"}, loadable)
}

// markedPaths lists the dotted paths of a schema's properties carrying marker, nested objects,
// maps ("*") and array items ("[]") included.
func markedPaths(schema map[string]any, marker, prefix string) []string {
	var out []string
	if schema[marker] == true {
		out = append(out, prefix)
	}
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	if props, ok := schema["properties"].(map[string]any); ok {
		for k, sub := range props {
			out = append(out, markedPaths(sub.(map[string]any), marker, join(k))...)
		}
	}
	if ap, ok := schema["additionalProperties"].(map[string]any); ok {
		out = append(out, markedPaths(ap, marker, join("*"))...)
	}
	if it, ok := schema["items"].(map[string]any); ok {
		out = append(out, markedPaths(it, marker, join("[]"))...)
	}
	return out
}

// Every field that decides where a connector sends its bytes carries "x-target": true, so a
// stored secret never follows a connection to a new destination (connectors.Registry.Merge).
// Not targets: database/schema/warehouse names (the same server gets the same credentials),
// TLS settings (how, not where; see README), and file_id (an upload of the org, no network).
// BigQuery's token_uri lives inside the secret credentials_json: a new one comes only with a
// new key.
func TestRegistry_EveryTypeMarksWhereItConnects(t *testing.T) {
	t.Parallel()
	want := map[string][]string{
		"bigquery":   {"project_id"},
		"clickhouse": {"host", "port", "protocol", "secure"},
		"file":       nil,
		"mssql":      {"host", "port"},
		"mysql":      {"host", "port"},
		"postgres":   {"host", "port"},
		"redshift":   {"host", "port", "s3_staging.bucket", "s3_staging.endpoint", "s3_staging.region"},
		"rest_api":   {"auth.token_url", "base_url"},
		"s3":         {"bucket", "endpoint", "region"},
		"snowflake":  {"account"},
		"sqlite":     nil,
	}
	for _, typ := range builtin.Registry().Types() {
		var schema map[string]any
		require.NoError(t, json.Unmarshal(typ.ConfigSchema, &schema), typ.Name)
		w, ok := want[typ.Name]
		require.True(t, ok, "%s: say which of its fields are targets", typ.Name)
		require.ElementsMatch(t, w, markedPaths(schema, "x-target", ""), typ.Name)
		if len(markedPaths(schema, "x-secret", "")) > 0 {
			require.NotEmpty(t, w, "%s holds secrets, so it must say where they go", typ.Name)
		}
	}
}
