package load

import (
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	fits = "fits"
	inc  = "incompatible"
)

// checkWidening runs cases of (column type, source type, expected: fits, incompatible or the
// wider type's DDL).
func checkWidening(t *testing.T, widen func(have, want string) Widening, cases [][3]string) {
	t.Helper()
	for _, c := range cases {
		got := widen(c[0], c[1])
		var s string
		switch got.Verdict {
		case FitsAsIs:
			s = fits
		case Incompatible:
			s = inc
		case WidenTo:
			s = got.To
		}
		require.Equal(t, c[2], s, "column %s receiving %s", c[0], c[1])
	}
}

func TestWiden_Postgres(t *testing.T) {
	t.Parallel()
	checkWidening(t, widenPostgres, [][3]string{
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

func TestWiden_MySQL(t *testing.T) {
	t.Parallel()
	checkWidening(t, widenMySQL, [][3]string{
		// have (COLUMN_TYPE, MariaDB spells display widths), want (MySQLColumnType)
		{"int(11)", "int", fits},
		{"bigint(20)", "int", fits},
		{"smallint(6)", "int", "int"},
		{"int(11)", "bigint", "bigint"},
		{"tinyint(4)", "smallint", "smallint"},
		{"int(10) unsigned", "int", "bigint"},
		{"bigint(20) unsigned", "bigint", "decimal(20,0)"},
		{"bigint(20)", "int", fits},
		{"tinyint(1)", "tinyint(1)", fits},
		{"tinyint(1)", "int", "int"},
		{"int(11)", "tinyint(1)", fits},
		// decimals, capped at decimal(65, s) with at most 30 digits of scale
		{"decimal(12,2)", "int", fits},
		{"decimal(10,2)", "bigint", "decimal(21,2)"},
		{"decimal(10,2)", "decimal(20,6)", "decimal(20,6)"},
		{"decimal(10,4)", "decimal(12,2)", "decimal(14,4)"},
		{"decimal(60,0)", "decimal(30,20)", "decimal(65,20)"},
		{"decimal(40,10)", "decimal(65,30)", "decimal(65,30)"},
		{"int(11)", "decimal(20,6)", "decimal(20,6)"},
		{"int(11)", "decimal(9,0)", fits},
		// floats
		{"float", "double", "double"},
		{"double", "int", fits},
		{"float", "int", "double"},
		{"double", "bigint", inc}, // no exact decimal for both (fractions past 30 digits would round)
		{"decimal(10,2)", "double", inc},
		// strings: varchar, then the *text types by length (utf8mb4: 4 bytes a character)
		{"varchar(20)", "varchar(255)", "varchar(255)"},
		{"varchar(255)", "varchar(20)", fits},
		{"varchar(20)", "longtext", "longtext"},
		{"varchar(20)", "tinytext", "tinytext"},
		{"text", "varchar(255)", fits},
		{"tinytext", "varchar(100)", "text"},
		{"varchar(20000)", "varchar(255)", fits},
		{"mediumtext", "longtext", "longtext"},
		{"longtext", "json", fits}, // MariaDB's JSON is a longtext
		{"json", "longtext", "longtext"},
		{"longtext", "bigint", fits},
		{"bigint(20)", "longtext", "longtext"},
		{"bigint(20)", "varchar(255)", "varchar(255)"},
		{"char(36)", "char(36)", fits},
		{"varbinary(255)", "longblob", "longblob"},
		{"longblob", "varbinary(255)", fits},
		{"longblob", "longtext", inc},
		// dates and times (an instant is a datetime(6) in UTC there)
		{"date", "datetime(6)", "datetime(6)"},
		{"datetime(6)", "date", fits},
		{"datetime", "datetime(6)", "datetime(6)"},
		{"timestamp", "datetime(6)", "datetime(6)"},
		{"time(6)", "time(6)", fits},
		{"time", "time(6)", "time(6)"},
		{"date", "time(6)", inc},
	})
}

func TestWiden_PostgresUsingKeepsFloatDigits(t *testing.T) {
	t.Parallel()
	require.Equal(t, `"v"::text::numeric`, PostgresUsing("double precision", "numeric", `"v"`))
	require.Equal(t, `"v"::bigint`, PostgresUsing("integer", "bigint", `"v"`))
	require.Equal(t, `textin(bpcharout("v"))::text`, PostgresUsing("character(5)", "text", `"v"`))
	require.Equal(t, `textin(bpcharout("v"))::character varying(8)`, PostgresUsing("bpchar", "character varying(8)", `"v"`))
	require.Equal(t, `"v"::text`, PostgresUsing("character varying(5)", "text", `"v"`))
}
