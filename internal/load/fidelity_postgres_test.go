package load_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
)

// pgStrings reads columns of a table in PostgreSQL's text output (char(n) with its padding),
// nil for NULL, by id.
func pgStrings(t *testing.T, pg *pgEnv, table string, cols []string) map[int][]*string {
	t.Helper()
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = pgx.Identifier{c}.Sanitize()
	}
	// The simple protocol returns every value in its text output form.
	rows, err := pg.conn.Query(context.Background(), "SELECT id::text, "+strings.Join(quoted, ", ")+" FROM "+table, pgx.QueryExecModeSimpleProtocol)
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
	pg := newPG(t)
	pg.exec(t, pgCharTable...)
	want := pgStrings(t, pg, "src.chars", pgCharColumns)
	for _, verify := range []string{"checksum", "count"} {
		schema := "raw_" + verify
		_, err := runLoad(t, load.Spec{Source: pg.endpoint(t), Destination: pg.endpoint(t), DestinationSchema: schema,
			Config: mustConfig(t, `{"mode": "single_table", "table": "src.chars", "write_disposition": "replace", "verify": "`+verify+`"}`)})
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
	pg := newPG(t)
	pg.exec(t, pgCharTable...)
	want := pgStrings(t, pg, "src.chars", pgCharColumns)
	my := newMyDest(t)
	_, err := runLoad(t, my.spec(pg.endpoint(t), mustConfig(t, `{"mode": "single_table", "table": "src.chars",
		"write_disposition": "replace", "verify": "checksum"}`)))
	require.NoError(t, err)
	types := myColumnTypes(t, my, "chars")
	require.Equal(t, "char(5)", types["c5"])
	require.Equal(t, "char(1)", types["c1"])
	for _, c := range []string{"bp", "vc5", "vc", "tx", "nm", "qc", "ci"} {
		require.Equal(t, "longtext", types[c], c)
	}
	got := myStrings(t, my.db, "chars", pgCharColumns)
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
