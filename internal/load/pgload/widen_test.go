package pgload

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

const (
	fits = dbtest.WidenFits
	inc  = dbtest.WidenIncompatible
)

func TestWiden_Postgres(t *testing.T) {
	t.Parallel()
	dbtest.CheckWidening(t, widenPostgres, [][3]string{
		// have (format_type), want (PostgresColumnType), answer
		{"integer", "integer", fits},
		{"bigint", "integer", fits},
		{"smallint", "integer", "integer"},
		{"integer", "bigint", "bigint"},
		{"smallint", "bigint", "bigint"},
		// integers into decimals: fit when the integer digits suffice
		{"numeric(12,2)", "integer", fits},
		{"numeric(11,2)", "integer", "numeric(12,2)"},
		{"numeric(10,2)", "bigint", "numeric(21,2)"},
		{"numeric", "bigint", fits},
		{"integer", "numeric(9,0)", fits},
		{"integer", "numeric(10,0)", "numeric(10,0)"},
		{"integer", "numeric(20,6)", "numeric(20,6)"},
		{"bigint", "numeric(10,2)", "numeric(21,2)"},
		{"integer", "numeric", "numeric"},
		// decimals: max integer digits + max scale, never losing scale
		{"numeric(10,2)", "numeric(10,2)", fits},
		{"numeric(10,2)", "numeric(8,1)", fits},
		{"numeric(10,2)", "numeric(20,6)", "numeric(20,6)"},
		{"numeric(10,4)", "numeric(12,2)", "numeric(14,4)"},
		{"numeric(12,2)", "numeric", "numeric"},
		{"numeric", "numeric(12,2)", fits},
		{"numeric(1000,0)", "numeric(10,5)", "numeric"}, // over PostgreSQL's 1000 digits: unconstrained
		// floats: real < double; integers only when exact
		{"real", "double precision", "double precision"},
		{"double precision", "real", fits},
		{"double precision", "integer", fits},
		{"real", "smallint", fits},
		{"real", "integer", "double precision"},
		{"double precision", "bigint", "numeric"},
		{"smallint", "real", "real"},
		{"integer", "double precision", "double precision"},
		{"bigint", "double precision", inc},
		{"numeric(10,2)", "double precision", inc},
		{"double precision", "numeric(10,2)", inc},
		// strings
		{"character varying(20)", "text", "text"},
		{"character varying(20)", "character varying(10)", fits},
		{"character varying(20)", "character varying(40)", "character varying(40)"},
		{"character(3)", "text", "text"},
		{"text", "text", fits},
		{"text", "bigint", fits},
		{"text", "jsonb", fits},
		{"text", "timestamptz", fits},
		{"character varying(30)", "bigint", fits},
		{"character varying(10)", "bigint", "text"},
		{"bigint", "text", "text"},
		{"jsonb", "text", "text"},
		{"date", "text", "text"},
		{"text", "bytea", inc},
		{"bytea", "text", inc},
		// dates and times
		{"date", "timestamp", "timestamp"},
		{"timestamp without time zone", "date", fits},
		{"timestamp(3) without time zone", "timestamp", "timestamp"},
		{"timestamp without time zone", "timestamptz", inc},
		{"timestamp with time zone", "timestamp", inc},
		{"timestamp with time zone", "timestamptz", fits},
		{"time without time zone", "time", fits},
		{"time without time zone", "timestamp", inc},
		// a MySQL TIME (a duration) once loaded as time of day: every time of day is an interval
		{"time without time zone", "interval", "interval"},
		{"time(3) without time zone", "interval", "interval"},
		{"interval", "interval", fits},
		{"interval", "time", inc},
		// char(n) kept as char(n); bpchar without a length is unbounded (char without one is char(1))
		{"character(5)", "character(5)", fits},
		{"text", "character(5)", fits},
		{"character varying(10)", "character(5)", fits},
		{"bpchar", "character(5)", fits},
		{"bpchar", "bpchar", fits},
		{"character(1)", "character(5)", "character(5)"},
		{"character(5)", "character(3)", fits},
		{"character(5)", "bpchar", "bpchar"},
		{"character(5)", "character varying(5)", "character varying(5)"},
		{"character(5)", "character varying(3)", "character varying(5)"},
		{"character varying(5)", "character(3)", fits},
		{"character varying(3)", "character(5)", "character varying(5)"},
		// json and jsonb take each other's text
		{"json", "jsonb", fits},
		{"jsonb", "jsonb", fits},
		{"uuid", "uuid", fits},
		{"boolean", "integer", inc},
		{"integer", "boolean", inc},
		{"integer[]", "jsonb", inc},
		{"inet", "text", "text"},
	})
}

func TestWiden_PostgresUsingKeepsFloatDigits(t *testing.T) {
	t.Parallel()
	require.Equal(t, `"v"::text::numeric`, postgresUsing("double precision", "numeric", `"v"`))
	require.Equal(t, `"v"::bigint`, postgresUsing("integer", "bigint", `"v"`))
	require.Equal(t, `textin(bpcharout("v"))::text`, postgresUsing("character(5)", "text", `"v"`))
	require.Equal(t, `textin(bpcharout("v"))::character varying(8)`, postgresUsing("bpchar", "character varying(8)", `"v"`))
	require.Equal(t, `"v"::text`, postgresUsing("character varying(5)", "text", `"v"`))
}
