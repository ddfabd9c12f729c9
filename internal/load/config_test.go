package load_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/load"
)

func TestParseConfig_DefaultsFollowTheSpec(t *testing.T) {
	t.Parallel()
	cfg, err := load.ParseConfig(nil)
	require.NoError(t, err)
	require.Equal(t, load.ModeFullDatabase, cfg.Mode)
	require.Equal(t, load.Append, cfg.WriteDisposition)
	require.Equal(t, 50000, cfg.BatchSize)
	require.Equal(t, load.VerifyCount, cfg.Verify)
	require.Equal(t, load.NamingSnakeCase, cfg.Naming)
	require.Equal(t, load.SchemaContract{Tables: "evolve", Columns: "evolve", DataType: "evolve"}, cfg.SchemaContract)

	cfg, err = load.ParseConfig([]byte(`{"mode": "single_table", "table": "public.orders", "write_disposition": "merge",
		"primary_key": ["a", "b"], "incremental": {"cursor_path": "updated_at", "initial_value": "2024-01-01", "row_order": "desc", "lag": "5m"},
		"batch_size": 1000, "schema_contract": "freeze", "filters": [{"column": "x", "op": "in", "value": [1, "a"]},
		{"column": "y", "op": "is_null"}], "verify": "checksum", "naming": "preserve", "source_schema": "public"}`))
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, cfg.PrimaryKey)
	require.Equal(t, &load.Incremental{CursorPath: "updated_at", InitialValue: "2024-01-01", RowOrder: "desc", Lag: "5m"}, cfg.Incremental)
	require.Equal(t, load.SchemaContract{Tables: "freeze", Columns: "freeze", DataType: "freeze"}, cfg.SchemaContract)
	require.Len(t, cfg.Filters, 2)
	require.Equal(t, []string{"a", "b"}, cfg.KeysFor("orders"))

	cfg, err = load.ParseConfig([]byte(`{"write_disposition": "merge", "merge_config": {"orders": {"primary_key": "id"}}}`))
	require.NoError(t, err)
	require.Equal(t, []string{"id"}, cfg.KeysFor("orders"))
	require.Nil(t, cfg.KeysFor("customers"))
}

func TestParseConfig_ReportsEveryFieldByPath(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, config string
		want         []apperr.FieldError
	}{
		{"not json", `{`, []apperr.FieldError{{Field: "config", Message: "is not valid JSON"}}},
		{"not an object", `[]`, []apperr.FieldError{{Field: "config", Message: "must be an object"}}},
		{"single table needs table", `{"mode": "single_table"}`,
			[]apperr.FieldError{{Field: "config.table", Message: "is required when mode is single_table"}}},
		{"single table forbids table_names and merge_config",
			`{"mode": "single_table", "table": "t", "table_names": ["a"], "merge_config": {"a": {"primary_key": "id"}}}`,
			[]apperr.FieldError{{Field: "config.table_names", Message: "is not allowed when mode is single_table"},
				{Field: "config.merge_config", Message: "is not allowed when mode is single_table (use primary_key)"}}},
		{"full database forbids table and incremental", `{"table": "t", "incremental": {"cursor_path": "c"}}`,
			[]apperr.FieldError{{Field: "config.table", Message: "is not allowed when mode is full_database"},
				{Field: "config.incremental", Message: "is not allowed when mode is full_database"}}},
		{"merge needs its key", `{"mode": "single_table", "table": "t", "write_disposition": "merge"}`,
			[]apperr.FieldError{{Field: "config.primary_key", Message: "is required when write_disposition is merge"}}},
		{"merge full database needs merge_config", `{"write_disposition": "merge"}`,
			[]apperr.FieldError{{Field: "config.merge_config", Message: "is required when write_disposition is merge"}}},
		{"merge_config entry needs its key", `{"write_disposition": "merge", "merge_config": {"orders": {}}}`,
			[]apperr.FieldError{{Field: "config.merge_config.orders.primary_key", Message: "is required"}}},
		{"incremental fields", `{"mode": "single_table", "table": "t", "incremental": {"row_order": "sideways", "lag": "soon", "x": 1}}`,
			[]apperr.FieldError{{Field: "config.incremental.x", Message: "is not a known field"},
				{Field: "config.incremental.cursor_path", Message: "is required"},
				{Field: "config.incremental.row_order", Message: "must be one of: asc, desc"},
				{Field: "config.incremental.lag", Message: "must be a duration such as 5m, 2h or 1d, or a non-negative number"}}},
		{"batch size", `{"batch_size": 0}`, []apperr.FieldError{{Field: "config.batch_size", Message: "must be a positive integer (at most 10000000)"}}},
		{"batch size fraction", `{"batch_size": 1.5}`, []apperr.FieldError{{Field: "config.batch_size", Message: "must be a positive integer (at most 10000000)"}}},
		{"contract", `{"schema_contract": {"tables": "melt", "rows": "freeze"}}`,
			[]apperr.FieldError{{Field: "config.schema_contract.rows", Message: "is not a known field (tables, columns, data_type)"},
				{Field: "config.schema_contract.tables", Message: "must be one of: evolve, freeze, discard_value, discard_row"}}},
		{"filters", `{"filters": [{"column": "a", "op": "like", "value": "x"}, {"op": "eq"}, {"column": "c", "op": "in", "value": []},
			{"column": "d", "op": "is_null", "value": 1}]}`,
			[]apperr.FieldError{{Field: "config.filters[0].op", Message: "must be one of: eq, ne, gt, gte, lt, lte, in, not_in, is_null, not_null"},
				{Field: "config.filters[1].column", Message: "is required"},
				{Field: "config.filters[1].value", Message: "is required with op eq"},
				{Field: "config.filters[2].value", Message: "must be a non-empty list with op in"},
				{Field: "config.filters[3].value", Message: "is not allowed with op is_null"}}},
		{"enums and unknown keys", `{"mode": "all", "write_disposition": "upsert", "verify": "yes", "naming": "camel", "colour": 1}`,
			[]apperr.FieldError{{Field: "config.colour", Message: "is not a known field"},
				{Field: "config.mode", Message: "must be one of: single_table, full_database"},
				{Field: "config.write_disposition", Message: "must be one of: append, replace, merge"},
				{Field: "config.verify", Message: "must be one of: none, count, checksum"},
				{Field: "config.naming", Message: "must be one of: snake_case, preserve"}}},
		{"key list", `{"mode": "single_table", "table": "t", "write_disposition": "merge", "primary_key": ["a", "a", 3]}`,
			[]apperr.FieldError{{Field: "config.primary_key[1]", Message: "repeats a column"},
				{Field: "config.primary_key[2]", Message: "must be a non-empty string"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := load.ParseConfig([]byte(c.config))
			var fe load.FieldErrors
			require.True(t, errors.As(err, &fe), "%v", err)
			require.Equal(t, c.want, []apperr.FieldError(fe))
		})
	}
}
