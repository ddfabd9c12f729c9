package load_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

// pgStrings reads columns of a table in PostgreSQL's text output (char(n) with its padding),
// nil for NULL, by id.
func pgStrings(t *testing.T, pg *dbtest.PG, table string, cols []string) map[int][]*string {
	t.Helper()
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = pgx.Identifier{c}.Sanitize()
	}
	// The simple protocol returns every value in its text output form.
	rows, err := pg.Conn.Query(context.Background(), "SELECT id::text, "+strings.Join(quoted, ", ")+" FROM "+table, pgx.QueryExecModeSimpleProtocol)
	require.NoError(t, err)
	defer rows.Close()
	out := map[int][]*string{}
	for rows.Next() {
		raw := rows.RawValues()
		id := 0
		for _, b := range raw[0] {
			id = id*10 + int(b-'0')
		}
		for _, r := range raw[1:] {
			if r == nil {
				out[id] = append(out[id], nil)
			} else {
				s := string(r)
				out[id] = append(out[id], &s)
			}
		}
	}
	require.NoError(t, rows.Err())
	return out
}

// pgCharTable holds every PostgreSQL character type: char(n) (padded), char (char(1)), bpchar
// without a length (trailing spaces stored as given), varchar(n), varchar, text, name, "char"
// and citext, with trailing spaces, empty strings, four-byte characters and NULLs.
var pgCharTable = []string{"CREATE EXTENSION IF NOT EXISTS citext", "CREATE SCHEMA src",
	`CREATE TABLE src.chars (id int PRIMARY KEY, c5 char(5), c1 character, bp bpchar, vc5 varchar(5), vc varchar, tx text,
	  nm name, qc "char", ci citext)`,
	`INSERT INTO src.chars VALUES
	 (1, 'ab', 'a', 'ab   ', 'ab  ', 'ab  ', 'ab  ', 'ab  ', 'a', 'Ab  '),
	 (2, '', ' ', '', '', '', '', '', 'z', ''),
	 (3, ' a', 'ü', ' a ', 'ü€😀', E' x \t', E'tab\there\nnew\\N', 'ü€😀', 'b', 'ü€😀 '),
	 (4, 'ü€😀', '😀', '😀  ', ' ', ' ', ' ', ' ', ' ', ' '),
	 (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`}

var pgCharColumns = []string{"c5", "c1", "bp", "vc5", "vc", "tx", "nm", "qc", "ci"}

// Every PostgreSQL character type arrives value for value in PostgreSQL: char(n) stays char(n)
// with its padding, bpchar stays bpchar with its trailing spaces, the others are text, byte
// for byte; by decoding (verify checksum) and by binary COPY passed through (verify count).
// Before: char(n) arrived as text without its padding ('ab   ' became 'ab').
func TestRun_PostgresCharacterTypesIntoPostgres(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, pgCharTable...)
	want := pgStrings(t, pg, "src.chars", pgCharColumns)
	for _, verify := range []string{"checksum", "count"} {
		schema := "raw_" + verify
		_, err := dbtest.RunLoad(t, load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), DestinationSchema: schema,
			Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.chars", "write_disposition": "replace", "verify": "`+verify+`"}`)})
		require.NoError(t, err, verify)
		types := pgColumnTypes(t, pg, schema+".chars")
		require.Equal(t, "character(5)", types["c5"])
		require.Equal(t, "character(1)", types["c1"])
		require.Equal(t, "bpchar", types["bp"])
		for _, c := range []string{"vc5", "vc", "tx", "nm", "qc", "ci"} {
			require.Equal(t, "text", types[c], c)
		}
		require.Equal(t, want, pgStrings(t, pg, schema+".chars", pgCharColumns), verify)
	}
}

// Into MariaDB, char(n) is CHAR(n) (MySQL strips the padding when read: the same char(n)
// value), bpchar a longtext keeping its trailing spaces, the others longtext, byte for byte.
func TestRun_PostgresCharacterTypesIntoMariaDB(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, pgCharTable...)
	want := pgStrings(t, pg, "src.chars", pgCharColumns)
	my := dbtest.NewMyDest(t)
	_, err := dbtest.RunLoad(t, my.Spec(pg.Endpoint(t), dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.chars",
		"write_disposition": "replace", "verify": "checksum"}`)))
	require.NoError(t, err)
	types := dbtest.MyColumnTypes(t, my, "chars")
	require.Equal(t, "char(5)", types["c5"])
	require.Equal(t, "char(1)", types["c1"])
	for _, c := range []string{"bp", "vc5", "vc", "tx", "nm", "qc", "ci"} {
		require.Equal(t, "longtext", types[c], c)
	}
	got := myStrings(t, my.DB, "chars", pgCharColumns)
	require.Len(t, got, len(want))
	for id, w := range want {
		for i, c := range pgCharColumns {
			if w[i] == nil {
				require.Nil(t, got[id][i], "%s row %d", c, id)
				continue
			}
			require.NotNil(t, got[id][i], "%s row %d", c, id)
			v := *w[i]
			if c == "c5" || c == "c1" {
				v = strings.TrimRight(v, " ")
			}
			require.Equal(t, v, *got[id][i], "%s row %d", c, id)
		}
	}
}

// pgRestType is one column of the walk through PostgreSQL's remaining types: its DDL, an edge
// value and an ordinary one, the type it arrives as in PostgreSQL and in MariaDB, and the
// expression (s. source, d. destination) that must hold for every row in PostgreSQL.
type pgRestType struct {
	col, ddl, edge, plain, pgType, myType, same string
}

var pgRestTypes = []pgRestType{
	{"bt", "bit(4)", "B'1010'", "B'0000'", "text", "longtext", "s.bt::text = d.bt"},
	{"vb", "varbit", "B''", "B'1'", "text", "longtext", "s.vb::text = d.vb"},
	{"en", "src.mood", "'happy'", "'sad'", "text", "longtext", "s.en::text = d.en"},
	{"pt", "point", "'(1.2345678901234567,-1e-300)'", "'(0,0)'", "text", "longtext", "s.pt::text = d.pt"},
	{"ln", "line", "'{1,-1,0.5}'", "'{0,1,2}'", "text", "longtext", "s.ln::text = d.ln"},
	{"ls", "lseg", "'[(0,0),(1e300,1)]'", "'[(1,1),(2,2)]'", "text", "longtext", "s.ls::text = d.ls"},
	{"bx", "box", "'(1,1),(0,0)'", "'(2,2),(1,1)'", "text", "longtext", "s.bx::text = d.bx"},
	{"pa", "path", "'[(0,0),(1,1),(2,0)]'", "'((0,0),(1,1))'", "text", "longtext", "s.pa::text = d.pa"},
	{"pg", "polygon", "'((0,0),(1,1),(1,0))'", "'((0,0))'", "text", "longtext", "s.pg::text = d.pg"},
	{"ci", "circle", "'<(0,0),0.1>'", "'<(1,1),1e10>'", "text", "longtext", "s.ci::text = d.ci"},
	{"i4r", "int4range", "'[-2147483648,2147483647)'", "'empty'", "text", "longtext", "s.i4r::text = d.i4r"},
	{"nr", "numrange", "'(,0.000000000000000001]'", "'[1.50,2.50)'", "text", "longtext", "s.nr::text = d.nr"},
	{"tsr", "tstzrange", "'[2024-01-01 00:00:00.000001+14,infinity)'", "'(,)'", "text", "longtext", "s.tsr::text = d.tsr"},
	{"dr", "daterange", "'[2024-02-29,2024-03-01]'", "'[-infinity,2000-01-01)'", "text", "longtext", "s.dr::text = d.dr"},
	{"mr", "int4multirange", "'{[1,3),[5,7)}'", "'{}'", "text", "longtext", "s.mr::text = d.mr"},
	{"mo", "money", "'-92233720368547758.08'", "'0.01'", "numeric", "decimal(65,30)", "s.mo::numeric = d.mo"},
	{"x", "xml", "'<a b=\"1\">x &amp; y</a>'", "'text only'", "text", "longtext", "s.x::text = d.x"},
	{"iv", "interval", "'-178000000 years -1 microsecond'", "'1 mon 2 days 03:04:05.000006'", "interval", "varchar(100)", "s.iv = d.iv"},
	{"ttz", "timetz", "'23:59:59.999999-15:59'", "'00:00+14'", "text", "longtext", "s.ttz::text = d.ttz"},
	{"dint", "src.posint", "2147483647", "1", "integer", "int(11)", "s.dint = d.dint"},
	{"dnum", "src.amount", "-99999999.99", "0.10", "numeric(10,2)", "decimal(10,2)", "s.dnum::text = d.dnum::text"},
	{"dtxt", "src.code", "'ü€😀'", "''", "text", "longtext", "s.dtxt::text = d.dtxt"},
	{"ia", "integer[]", "'{-2147483648,NULL,2147483647}'", "'{}'", "jsonb", "longtext", "to_jsonb(s.ia) = d.ia"},
	{"i2", "integer[][]", "'{{1,2},{3,4}}'", "'{{NULL}}'", "jsonb", "longtext", "to_jsonb(s.i2) = d.i2"},
	{"na", "numeric[]", "'{0.000000000000000000001,-1e30,NaN}'", "'{1.50}'", "jsonb", "longtext", "to_jsonb(s.na) = d.na"},
	{"ca", "char(3)[]", "'{\"a\",\"  \"}'", "'{abc}'", "jsonb", "longtext", "to_jsonb(s.ca) = d.ca"},
	{"iva", "interval[]", "'{\"1 day\",\"-00:00:00.000001\"}'", "'{}'", "jsonb", "longtext", "to_jsonb(s.iva) = d.iva"},
	{"tsa", "timestamptz[]", "'{\"2024-06-01 12:00:00.123456+02\",infinity}'", "'{}'", "jsonb", "longtext", "to_jsonb(s.tsa) = d.tsa"},
	{"moa", "money[]", "'{1.23,-0.01}'", "'{}'", "jsonb", "longtext", "to_jsonb(s.moa) = d.moa"},
	{"ea", "src.mood[]", "'{happy,sad}'", "'{}'", "jsonb", "longtext", "to_jsonb(s.ea) = d.ea"},
	{"bya", "bytea[]", "'{\"\\\\x00ff\"}'", "'{}'", "jsonb", "longtext", "to_jsonb(s.bya) = d.bya"},
	{"pta", "point[]", "'{\"(1,2)\"}'", "'{}'", "jsonb", "longtext", "to_jsonb(s.pta) = d.pta"},
	{"da", "src.posint[]", "'{1,2}'", "'{}'", "jsonb", "longtext", "to_jsonb(s.da) = d.da"},
}

func makePGRestTypes(t *testing.T, pg *dbtest.PG) {
	t.Helper()
	defs := []string{"id int PRIMARY KEY"}
	edge, plain, nulls := []string{"1"}, []string{"2"}, []string{"3"}
	for _, c := range pgRestTypes {
		defs = append(defs, c.col+" "+c.ddl)
		edge = append(edge, c.edge)
		plain = append(plain, c.plain)
		nulls = append(nulls, "NULL")
	}
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TYPE src.mood AS ENUM ('sad', 'happy')",
		"CREATE DOMAIN src.posint AS integer CHECK (VALUE > 0)", "CREATE DOMAIN src.amount AS numeric(10,2)",
		"CREATE DOMAIN src.code AS varchar(3)",
		"CREATE TABLE src.rest ("+strings.Join(defs, ", ")+")",
		"INSERT INTO src.rest VALUES ("+strings.Join(edge, ", ")+"), ("+strings.Join(plain, ", ")+"), ("+strings.Join(nulls, ", ")+")")
}

// The rest of PostgreSQL's types, each with an edge value, arrive in PostgreSQL as the
// mapping in docs/architecture.md says and equal to the source's (as text, as numeric for
// money, as to_jsonb for arrays), by decoding and by binary COPY. Before: a domain arrived as
// text instead of its base type, and money as text spelled for lc_monetary ("-$92,233,…").
func TestRun_PostgresRemainingTypesIntoPostgres(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	makePGRestTypes(t, pg)
	for _, verify := range []string{"checksum", "count"} {
		schema := "raw_" + verify
		res, err := dbtest.RunLoad(t, load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), DestinationSchema: schema,
			Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.rest", "write_disposition": "replace", "verify": "`+verify+`"}`)})
		require.NoError(t, err, verify)
		require.Equal(t, int64(3), res.RowsLoaded)
		types := pgColumnTypes(t, pg, schema+".rest")
		for _, c := range pgRestTypes {
			require.Equal(t, c.pgType, types[c.col], "%s %s (%s)", verify, c.col, c.ddl)
			require.Equal(t, int64(2), pg.Count(t, "SELECT count(*) FROM src.rest s JOIN "+schema+".rest d USING (id) WHERE "+c.same),
				"%s %s (%s): %s", verify, c.col, c.ddl, c.same)
			require.Equal(t, int64(1), pg.Count(t, "SELECT count(*) FROM "+schema+".rest WHERE id = 3 AND "+c.col+" IS NULL"), c.col)
		}
	}
}

// Into MariaDB, the same types arrive as the mapping says, and the engine's checksum (each
// value read back from MariaDB against the source's) agrees.
func TestRun_PostgresRemainingTypesIntoMariaDB(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	makePGRestTypes(t, pg)
	my := dbtest.NewMyDest(t)
	res, err := dbtest.RunLoad(t, my.Spec(pg.Endpoint(t), dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.rest",
		"write_disposition": "replace", "verify": "checksum"}`)))
	require.NoError(t, err)
	require.Equal(t, int64(3), res.RowsLoaded)
	types := dbtest.MyColumnTypes(t, my, "rest")
	for _, c := range pgRestTypes {
		require.Equal(t, c.myType, types[c.col], "%s (%s)", c.col, c.ddl)
	}
	var mo string
	require.NoError(t, my.DB.QueryRowContext(context.Background(), "SELECT mo FROM rest WHERE id = 1").Scan(&mo))
	require.Equal(t, "-92233720368547758.080000000000000000000000000000", mo)
}

// A char(n) destination column that evolve widens to text (the source's column became text)
// keeps the padding of the rows already there: PostgreSQL's own char-to-text cast would strip it.
func TestRun_PostgresCharWidenedToTextKeepsItsPadding(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.c (id int PRIMARY KEY, c char(5))", "INSERT INTO src.c VALUES (1, 'ab'), (2, NULL)")
	spec := load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.c", "write_disposition": "append", "verify": "checksum"}`)}
	_, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, "character(5)", pgColumnTypes(t, pg, "raw.c")["c"])
	pg.Exec(t, "ALTER TABLE src.c ALTER COLUMN c TYPE text", "DELETE FROM src.c", "INSERT INTO src.c VALUES (3, 'longer than five ')")
	_, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, "text", pgColumnTypes(t, pg, "raw.c")["c"])
	got := pgStrings(t, pg, "raw.c", []string{"c"})
	require.Equal(t, "ab   ", *got[1][0], "the old row keeps its padding")
	require.Nil(t, got[2][0])
	require.Equal(t, "longer than five ", *got[3][0])
}
