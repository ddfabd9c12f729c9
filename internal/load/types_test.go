package load_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
)

func TestTypeMapping_PostgresSource(t *testing.T) {
	t.Parallel()
	cases := []struct {
		typname, formatted string
		array              bool
		want               string // logical type
		cast               bool
		pg, my             string // destination DDL
	}{
		{"int2", "smallint", false, "int16", false, "smallint", "smallint"},
		{"int4", "integer", false, "int32", false, "integer", "int"},
		{"int8", "bigint", false, "int64", false, "bigint", "bigint"},
		{"numeric", "numeric(38,10)", false, "decimal(38,10)", false, "numeric(38,10)", "decimal(38,10)"},
		{"numeric", "numeric(12,2)", false, "decimal(12,2)", false, "numeric(12,2)", "decimal(12,2)"},
		{"numeric", "numeric", false, "decimal", false, "numeric", "decimal(65,30)"},
		{"float4", "real", false, "float32", false, "real", "float"},
		{"float8", "double precision", false, "float64", false, "double precision", "double"},
		{"bool", "boolean", false, "bool", false, "boolean", "tinyint(1)"},
		{"varchar", "character varying(40)", false, "text", false, "text", "longtext"},
		{"bytea", "bytea", false, "bytes", false, "bytea", "longblob"},
		{"date", "date", false, "date", false, "date", "date"},
		{"time", "time without time zone", false, "time", false, "time", "time(6)"},
		{"timestamp", "timestamp without time zone", false, "timestamp", false, "timestamp", "datetime(6)"},
		{"timestamptz", "timestamp with time zone", false, "timestamptz", false, "timestamptz", "datetime(6)"},
		{"interval", "interval", false, "interval", false, "interval", "varchar(100)"},
		{"jsonb", "jsonb", false, "json", false, "jsonb", "json"},
		{"uuid", "uuid", false, "uuid", false, "uuid", "char(36)"},
		{"_int4", "integer[]", true, "json", false, "jsonb", "json"},
		{"inet", "inet", false, "text", true, "text", "longtext"},
		{"bpchar", "character(5)", false, "char", false, "character(5)", "char(5)"},
		{"bpchar", "character(300)", false, "char", false, "character(300)", "longtext"},
		{"bpchar", "bpchar", false, "char", false, "bpchar", "longtext"},
		{"money", "money", false, "decimal", false, "numeric", "decimal(65,30)"},
		{"mood", "mood", false, "text", true, "text", "longtext"},
	}
	for _, c := range cases {
		typ, cast := load.PostgresSourceType(c.typname, c.formatted, c.array)
		require.Equal(t, c.want, typ.String(), c.formatted)
		require.Equal(t, c.cast, cast, c.formatted)
		require.Equal(t, c.pg, load.Postgres.ColumnType(typ), c.formatted)
		require.Equal(t, c.my, load.MySQL.ColumnType(typ), c.formatted)
	}
}

func TestTypeMapping_MySQLSource(t *testing.T) {
	t.Parallel()
	cases := []struct {
		dataType, columnType string
		json                 bool
		want                 string
	}{
		{"tinyint", "tinyint(1)", false, "bool"},
		{"tinyint", "tinyint(4)", false, "int16"},
		{"tinyint", "tinyint(3) unsigned", false, "int16"},
		{"smallint", "smallint(5) unsigned", false, "int32"},
		{"mediumint", "mediumint(9)", false, "int32"},
		{"int", "int(11)", false, "int32"},
		{"int", "int(10) unsigned", false, "int64"},
		{"bigint", "bigint(20)", false, "int64"},
		{"bigint", "bigint(20) unsigned", false, "decimal(20,0)"},
		{"decimal", "decimal(38,10)", false, "decimal(38,10)"},
		{"float", "float", false, "float32"},
		{"double", "double", false, "float64"},
		{"bit", "bit(1)", false, "bool"},
		{"bit", "bit(8)", false, "bytes"},
		{"varchar", "varchar(40)", false, "text"},
		{"longtext", "longtext", true, "json"},
		{"longtext", "longtext", false, "text"},
		{"json", "json", false, "json"},
		{"enum", "enum('a','b')", false, "text"},
		{"varbinary", "varbinary(10)", false, "bytes"},
		{"date", "date", false, "date"},
		{"time", "time(6)", false, "duration"},
		{"time", "time", false, "duration"},
		{"char", "char(5)", false, "char"},
		{"datetime", "datetime(6)", false, "timestamp"},
		{"timestamp", "timestamp", false, "timestamptz"},
		{"year", "year(4)", false, "int32"},
		{"uuid", "uuid", false, "uuid"},
	}
	for _, c := range cases {
		require.Equal(t, c.want, load.MySQLSourceType(c.dataType, c.columnType, c.json).String(), c.columnType)
	}
}

func TestTypeMapping_SQLiteDeclaredTypes(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"INTEGER": "int64", "INT": "int64", "BIGINT": "int64", "UNSIGNED BIG INT": "int64",
		"NVARCHAR(160)": "text", "TEXT": "text", "CLOB": "text", "": "text",
		"BLOB": "bytes", "REAL": "float64", "DOUBLE PRECISION": "float64", "FLOAT": "float64",
		"NUMERIC(10,2)": "decimal(10,2)", "DECIMAL": "decimal", "NUMERIC": "decimal",
		"BOOLEAN": "bool", "DATE": "date", "DATETIME": "timestamp", "TIMESTAMP": "timestamp", "TIME": "time",
		"JSON": "json", "UUID": "uuid", "MONEY": "decimal",
	}
	for declared, want := range cases {
		require.Equal(t, want, load.SQLiteSourceType(declared).String(), declared)
	}
}

func TestSnakeCase(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"InvoiceLine": "invoice_line", "AlbumId": "album_id", "HTTPServer": "http_server", "already_snake": "already_snake",
		`we"ird Tab`: "we_ird_tab", "select": "select", "Ünïcødé Col": "ünïcødé_col", "a;b--": "a_b", "2fa": "_2fa",
		"--": "_", "userID2Name": "user_id2_name",
	}
	for in, want := range cases {
		require.Equal(t, want, load.SnakeCase(in), in)
	}
}

func TestDialect_QuotesHostileIdentifiers(t *testing.T) {
	t.Parallel()
	require.Equal(t, `"we""ird Tab"`, load.Postgres.Quote(`we"ird Tab`))
	require.Equal(t, `"raw"."select"`, load.Postgres.Qualified("raw", "select"))
	require.Equal(t, "`we``ird Tab`", load.MySQL.Quote("we`ird Tab"))
	require.Equal(t, "`db`.`ü`", load.MySQL.Qualified("db", "ü"))
}
