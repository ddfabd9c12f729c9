package pipeline

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestDefaultSchema_IsTheSnakeCaseOfTheNameWithinTheIdentifierLimit(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"Shop Orders":      "shop_orders",
		"InvoiceLine sync": "invoice_line_sync",
		"2024 exports":     "_2024_exports",
		"Données clients":  "données_clients",
		"  orders!!  ":     "orders",
	}
	for name, want := range cases {
		got := DefaultSchema(name)
		require.Equal(t, want, got, name)
		require.Nil(t, checkSchema(got), name)
	}
	long := DefaultSchema(strings.Repeat("é", 40) + " tail")
	require.LessOrEqual(t, len(long), maxSchemaBytes)
	require.True(t, utf8.ValidString(long), "cut at a character, never inside one")
	require.Nil(t, checkSchema(long))
	require.Equal(t, strings.Repeat("a", 62), DefaultSchema(strings.Repeat("a", 62)+" b"), "no trailing underscore after the cut")
}

func TestCheckSchema_AcceptsPlainIdentifiersOnly(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"raw", "Raw_Orders", "_x", "a1", strings.Repeat("s", 63), "données"} {
		require.Nil(t, checkSchema(ok), ok)
	}
	for _, bad := range []string{"", "raw-data", "raw data", `a"b`, "a;drop", "1raw", strings.Repeat("s", 64), "pg_catalog", "PG_temp", "information_schema", "mysql"} {
		require.NotNil(t, checkSchema(bad), bad)
	}
}

func TestNormalize_StoredConfigValidatesToItself(t *testing.T) {
	t.Parallel()
	for _, cfg := range []map[string]any{
		nil,
		{},
		{"mode": "single_table", "table": "public.orders", "write_disposition": "merge", "primary_key": "id",
			"incremental": map[string]any{"cursor_path": "updated_at", "initial_value": 5, "lag": "5m"}},
		{"table_names": []any{"a", "b"}, "write_disposition": "merge", "merge_config": map[string]any{"a": map[string]any{"primary_key": []any{"x", "y"}}},
			"schema_contract": map[string]any{"columns": "discard_row"}, "batch_size": 10,
			"filters": []any{map[string]any{"column": "deleted", "op": "eq", "value": false}, map[string]any{"column": "n", "op": "is_null"}}},
	} {
		once, errs := Normalize(cfg)
		require.Empty(t, errs, "%v", cfg)
		twice, errs := Normalize(once)
		require.Empty(t, errs, "%v", once)
		require.Equal(t, once, twice, "what is stored runs as stored")
		for _, k := range []string{"mode", "write_disposition", "batch_size", "verify", "naming", "schema_contract"} {
			require.Contains(t, once, k)
		}
	}
}

func TestNormalize_ReportsEveryProblemUnderConfig(t *testing.T) {
	t.Parallel()
	_, errs := Normalize(map[string]any{"mode": "single_table", "batch_size": 2.5, "verify": "maybe"})
	var fields []string
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	require.ElementsMatch(t, []string{"config.table", "config.batch_size", "config.verify"}, fields)
}
