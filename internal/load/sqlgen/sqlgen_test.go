package sqlgen

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/testutil"
)

// hostile is a table with names that break naive SQL: quotes of every system, a space,
// unicode, a reserved word, a comment marker, and one column of every kind.
func hostile(dialect, disposition string) *Plan {
	type col struct {
		name, bq string
		t        load.Type
	}
	cols := []col{
		{"id", "id", load.Type{Kind: load.KindInt64}},
		{"Kéy ключ", "Kéy ключ", load.Type{Kind: load.KindText}},
		{"Where", "Where", load.Type{Kind: load.KindInt16}},
		{`a"b`, "a-b", load.Type{Kind: load.KindInt32}},
		{"a`b", "a&b", load.Type{Kind: load.KindDecimal, Precision: 38, Scale: 10}},
		{"a]b", "a=b", load.Type{Kind: load.KindDecimal, Precision: 12, Scale: 2}},
		{"a'b;--", "a'b", load.Type{Kind: load.KindFloat32}},
		{"Zoë naïve", "Zoë naïve", load.Type{Kind: load.KindFloat64}},
		{"flag", "flag", load.Type{Kind: load.KindBool}},
		{"by tes", "by tes", load.Type{Kind: load.KindBytes}},
		{"day", "day", load.Type{Kind: load.KindDate}},
		{"clock", "clock", load.Type{Kind: load.KindTime}},
		{"wall", "wall", load.Type{Kind: load.KindTimestamp}},
		{"ts tz", "ts tz", load.Type{Kind: load.KindTimestampTZ}},
		{"span", "span", load.Type{Kind: load.KindInterval}},
		{"doc", "doc", load.Type{Kind: load.KindJSON}},
		{"uid", "uid", load.Type{Kind: load.KindUUID}},
		{"unbounded", "unbounded", load.Type{Kind: load.KindDecimal}},
	}
	p := &Plan{Schema: "raw data", Table: `Order "Lines"`, Disposition: disposition, RunID: "run-2026-01-01T00:00:00Z-7",
		PrimaryKey: []string{"id", "Kéy ключ"}}
	if dialect == "bigquery" {
		p.Schema, p.Table = "raw_data", "Order Lines-ü"
	}
	for _, c := range cols {
		n := c.name
		if dialect == "bigquery" {
			n = c.bq
		}
		p.Columns = append(p.Columns, Column{Name: n, Type: c.t})
	}
	if disposition == load.Merge {
		p.Keys = p.PrimaryKey
	}
	if dialect == "redshift" {
		p.S3 = &S3Source{Manifest: "s3://dnk-bucket/raw/run-7/order_lines.manifest", IAMRole: "arn:aws:iam::123456789012:role/datanika-load"}
	}
	return p
}

// hostileFragments must never stand outside a quoted identifier or a string literal.
var hostileFragments = []string{"Lines", "ключ", "Where", `a"b`, "a`b", "a]b", "a'b", "Zoë", "by tes", "ts tz", "raw data", "Kéy", "a-b", "a&b", "a=b"}

func goldenCases() []struct {
	name string
	plan func(dialect string) *Plan
} {
	withState := func(p *Plan) *Plan {
		p.State = &load.StateEntry{Pipeline: "orders sync", Table: p.Table, Value: "2026-01-01T00:00:00Z"}
		return p
	}
	return []struct {
		name string
		plan func(dialect string) *Plan
	}{
		{"append", func(d string) *Plan { return hostile(d, load.Append) }},
		{"append_existing", func(d string) *Plan {
			p := withState(hostile(d, load.Append))
			p.Exists, p.AddColumns = true, []int{15, 16}
			return p
		}},
		{"replace", func(d string) *Plan { return hostile(d, load.Replace) }},
		{"merge", func(d string) *Plan { return withState(hostile(d, load.Merge)) }},
		{"merge_existing", func(d string) *Plan {
			p := withState(hostile(d, load.Merge))
			p.Exists, p.AddColumns = true, []int{17}
			return p
		}},
	}
}

func allStatements(s *Script) []Statement {
	out := slices.Concat(s.Session, s.Prepare, []Statement{s.StageInsert}, s.Load, s.Begin, []Statement{s.Guard}, s.Data,
		[]Statement{s.RejectedInsert}, s.State, s.Commit, s.After, s.Cleanup)
	return slices.DeleteFunc(out, func(st Statement) bool { return st.SQL == "" })
}

func TestScripts_MatchGoldenFiles(t *testing.T) {
	for name, d := range Dialects {
		for _, c := range goldenCases() {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				s, err := d.Script(c.plan(name))
				require.NoError(t, err)
				got := s.Render()
				testutil.Golden(t, "testdata/"+name+"/"+c.name+".sql", got)
			})
		}
	}
}

// lex splits SQL into what stands outside quotes (residue) and the quoted identifiers, as the
// dialect reads them.
func lex(t *testing.T, dialect, sql string) (residue string, idents []string) {
	t.Helper()
	var out strings.Builder
	backslash := dialect == "bigquery" || dialect == "clickhouse"
	closing := map[byte]byte{'"': '"', '`': '`', '[': ']', '\'': '\''}
	isIdentOpen := func(c byte) bool {
		switch dialect {
		case "mssql":
			return c == '[' || c == '"'
		case "redshift", "snowflake":
			return c == '"'
		default:
			return c == '`'
		}
	}
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		if c != '\'' && !isIdentOpen(c) {
			out.WriteByte(c)
			continue
		}
		end := closing[c]
		var val strings.Builder
		j := i + 1
		for ; ; j++ {
			require.Less(t, j, len(sql), "unterminated quote in %s", sql)
			if backslash && sql[j] == '\\' {
				j++
				val.WriteByte(sql[j])
				continue
			}
			if sql[j] == end {
				if j+1 < len(sql) && sql[j+1] == end && !backslash {
					val.WriteByte(end)
					j++
					continue
				}
				break
			}
			val.WriteByte(sql[j])
		}
		if c != '\'' {
			idents = append(idents, val.String())
		}
		out.WriteByte(' ')
		i = j
	}
	return out.String(), idents
}

func TestScripts_QuoteEveryHostileIdentifier(t *testing.T) {
	for name, d := range Dialects {
		for _, c := range goldenCases() {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				p := c.plan(name)
				s, err := d.Script(p)
				require.NoError(t, err)
				allowed := map[string]bool{p.Schema: true, p.Table: true, "row": true}
				for _, col := range p.Columns {
					allowed[col.Name] = true
				}
				for _, st := range allStatements(s) {
					residue, idents := lex(t, name, st.SQL)
					for _, f := range hostileFragments {
						require.NotContains(t, residue, f, "unquoted %q in %s", f, st.SQL)
					}
					for _, id := range idents {
						id = strings.TrimPrefix(id, "#")
						require.True(t, allowed[id] || strings.HasPrefix(id, "_dnk_"), "unexpected identifier %q in %s", id, st.SQL)
					}
				}
			})
		}
	}
}

// The lexer itself must catch a name left unquoted, or the test above proves nothing.
func TestLex_FindsAnUnquotedHostileName(t *testing.T) {
	residue, _ := lex(t, "snowflake", `SELECT "a""b", Zoë naïve FROM "raw data"."Order ""Lines"""`)
	require.Contains(t, residue, "Zoë")
	require.NotContains(t, residue, "Lines")
	residue, idents := lex(t, "clickhouse", "SELECT `a\\`b`, 'it''s Where' FROM t")
	require.Equal(t, []string{"a`b"}, idents)
	require.NotContains(t, residue, "Where")
}

func TestQuote_PerDialect(t *testing.T) {
	cases := map[string][][2]string{
		"mssql":      {{"a]b", "[a]]b]"}, {`a"b`, `[a"b]`}, {"Kéy ключ", "[Kéy ключ]"}, {"select", "[select]"}},
		"redshift":   {{`a"b`, `"a""b"`}, {"a]b", `"a]b"`}, {"Zoë naïve", `"Zoë naïve"`}},
		"snowflake":  {{`a"b`, `"a""b"`}, {"Where", `"Where"`}, {"x'y", `"x'y"`}},
		"bigquery":   {{"a`b", "`a\\`b`"}, {`a\b`, "`a\\\\b`"}, {"Kéy ключ", "`Kéy ключ`"}},
		"clickhouse": {{"a`b", "`a\\`b`"}, {`a\b`, "`a\\\\b`"}, {`a"b`, "`a\"b`"}},
	}
	for name, cs := range cases {
		for _, c := range cs {
			require.Equal(t, c[1], Dialects[name].Quote(c[0]), "%s quoting %q", name, c[0])
		}
	}
}

func TestColumnType_EveryKindPerDialect(t *testing.T) {
	dec := func(p, s int) load.Type { return load.Type{Kind: load.KindDecimal, Precision: p, Scale: s} }
	k := func(kind load.Kind) load.Type { return load.Type{Kind: kind} }
	type row struct {
		t                                  load.Type
		mssql, redshift, bq, snow, clickhs string
	}
	rows := []row{
		{k(load.KindInt16), "smallint", "smallint", "INT64", "SMALLINT", "Int16"},
		{k(load.KindInt32), "int", "integer", "INT64", "INTEGER", "Int32"},
		{k(load.KindInt64), "bigint", "bigint", "INT64", "BIGINT", "Int64"},
		{dec(38, 10), "decimal(38,10)", "decimal(38,10)", "BIGNUMERIC(38, 10)", "NUMBER(38,10)", "Decimal(38, 10)"},
		{dec(12, 2), "decimal(12,2)", "decimal(12,2)", "NUMERIC(12, 2)", "NUMBER(12,2)", "Decimal(12, 2)"},
		{dec(38, 9), "decimal(38,9)", "decimal(38,9)", "NUMERIC(38, 9)", "NUMBER(38,9)", "Decimal(38, 9)"},
		{dec(60, 20), "decimal(38,20)", "decimal(38,20)", "BIGNUMERIC(58, 20)", "NUMBER(38,20)", "Decimal(60, 20)"},
		{dec(20, 0), "decimal(20,0)", "decimal(20,0)", "NUMERIC(20, 0)", "NUMBER(20,0)", "Decimal(20, 0)"},
		{dec(0, 0), "decimal(38,10)", "decimal(38,10)", "BIGNUMERIC", "NUMBER(38,10)", "Decimal(76, 38)"},
		{k(load.KindFloat32), "real", "real", "FLOAT64", "FLOAT", "Float32"},
		{k(load.KindFloat64), "float", "double precision", "FLOAT64", "FLOAT", "Float64"},
		{k(load.KindBool), "bit", "boolean", "BOOL", "BOOLEAN", "Bool"},
		{k(load.KindText), "nvarchar(max)", "varchar(65535)", "STRING", "VARCHAR", "String"},
		{k(load.KindBytes), "varbinary(max)", "varbyte(1024000)", "BYTES", "BINARY", "String"},
		{k(load.KindDate), "date", "date", "DATE", "DATE", "Date32"},
		{k(load.KindTime), "time(6)", "time", "TIME", "TIME(6)", "String"},
		{k(load.KindTimestamp), "datetime2(6)", "timestamp", "DATETIME", "TIMESTAMP_NTZ(6)", "DateTime64(6, 'UTC')"},
		{k(load.KindTimestampTZ), "datetimeoffset(6)", "timestamptz", "TIMESTAMP", "TIMESTAMP_TZ(6)", "DateTime64(6, 'UTC')"},
		{k(load.KindInterval), "nvarchar(100)", "varchar(100)", "STRING", "VARCHAR", "String"},
		{k(load.KindJSON), "nvarchar(max)", "super", "JSON", "VARIANT", "String"},
		{k(load.KindUUID), "uniqueidentifier", "char(36)", "STRING", "VARCHAR(36)", "UUID"},
		// char(n) is text there (its padding kept as data); MySQL's TIME, a duration, is its text
		{load.Type{Kind: load.KindChar, Precision: 5}, "nvarchar(max)", "varchar(65535)", "STRING", "VARCHAR", "String"},
		{k(load.KindDuration), "nvarchar(100)", "varchar(100)", "STRING", "VARCHAR", "String"},
	}
	for _, r := range rows {
		require.Equal(t, r.mssql, MSSQL.ColumnType(r.t, false), "mssql %s", r.t)
		require.Equal(t, r.redshift, Redshift.ColumnType(r.t, false), "redshift %s", r.t)
		require.Equal(t, r.bq, BigQuery.ColumnType(r.t, false), "bigquery %s", r.t)
		require.Equal(t, r.snow, Snowflake.ColumnType(r.t, false), "snowflake %s", r.t)
		require.Equal(t, r.clickhs, ClickHouse.ColumnType(r.t, false), "clickhouse %s", r.t)
	}
	// SQL Server's (max) types cannot be index keys.
	require.Equal(t, "nvarchar(450)", MSSQL.ColumnType(k(load.KindText), true))
	require.Equal(t, "varbinary(900)", MSSQL.ColumnType(k(load.KindBytes), true))
}

func TestValidateName_RefusesWhatEachSystemCannotHold(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) }
	cases := []struct {
		dialect, kind, name string
		ok                  bool
	}{
		{"mssql", "column", long(128), true},
		{"mssql", "column", long(129), false},
		{"mssql", "table", "a\x00b", false},
		{"redshift", "column", long(63), true}, // 126 bytes
		{"redshift", "column", long(64), false},
		{"snowflake", "table", long(255), true},
		{"snowflake", "table", long(256), false},
		{"bigquery", "column", `a"b`, false},
		{"bigquery", "column", "a;b", false},
		{"bigquery", "column", "Kéy ключ-1 & a'b", true},
		{"bigquery", "column", "_PARTITIONTIME", false},
		{"bigquery", "table", "Order Lines-ü", true},
		{"bigquery", "table", "a.b", false},
		{"bigquery", "schema", "raw data", false},
		{"bigquery", "schema", "raw_data_2", true},
		{"clickhouse", "column", "a`b\"c'd", true},
		{"clickhouse", "column", "", false},
		{"redshift", "column", "\xff", false},
	}
	for _, c := range cases {
		err := Dialects[c.dialect].ValidateName(c.kind, c.name)
		if c.ok {
			require.NoError(t, err, "%s %s %q", c.dialect, c.kind, c.name)
		} else {
			require.ErrorIs(t, err, ErrName, "%s %s %q", c.dialect, c.kind, c.name)
		}
	}
}

func TestScript_RefusesBadPlans(t *testing.T) {
	for name, d := range Dialects {
		p := hostile(name, load.Merge)
		p.Keys = nil
		_, err := d.Script(p)
		require.ErrorContains(t, err, "needs keys", name)

		p = hostile(name, load.Append)
		p.Columns = append(p.Columns, Column{Name: load.RunIDColumn, Type: load.Type{Kind: load.KindText}})
		_, err = d.Script(p)
		require.ErrorIs(t, err, ErrName, name)

		p = hostile(name, load.Append)
		p.PrimaryKey = []string{"nope"}
		_, err = d.Script(p)
		require.ErrorContains(t, err, `"nope"`, name)

		p = hostile(name, "upsert")
		_, err = d.Script(p)
		require.ErrorContains(t, err, "disposition", name)
	}
	// A BigQuery plan with a name BigQuery cannot hold fails naming it.
	p := hostile("mssql", load.Append)
	_, err := BigQuery.Script(p)
	require.ErrorIs(t, err, ErrName)
	require.ErrorContains(t, err, "raw data")
	// BigQuery and Redshift column names are case-insensitive: Foo and foo clash.
	p = hostile("bigquery", load.Append)
	p.Columns = append(p.Columns, Column{Name: "WHERE", Type: load.Type{Kind: load.KindText}})
	_, err = BigQuery.Script(p)
	require.ErrorIs(t, err, ErrName)
}

func TestRedshift_CopyFromS3NeedsFilesAndCredentialsAndMasksKeys(t *testing.T) {
	p := hostile("redshift", load.Append)
	p.S3 = nil
	_, err := Redshift.Script(p)
	require.True(t, errors.Is(err, ErrNoS3))

	p.S3 = &S3Source{Manifest: "s3://b/k.manifest"}
	_, err = Redshift.Script(p)
	require.ErrorContains(t, err, "IAM role")

	p.S3 = &S3Source{Manifest: "s3://b/it's.manifest", AccessKeyID: "AKIAEXAMPLEKEY", SecretAccessKey: "s3cr3t'x", SessionToken: "tok", Region: "eu-west-1"}
	s, err := Redshift.Script(p)
	require.NoError(t, err)
	require.Len(t, s.Load, 1)
	c := s.Load[0]
	require.Contains(t, c.SQL, "SECRET_ACCESS_KEY 's3cr3t''x'")
	require.Contains(t, c.SQL, "FROM 's3://b/it''s.manifest'")
	for _, secret := range []string{"AKIAEXAMPLEKEY", "s3cr3t", "tok"} {
		require.NotContains(t, c.Printable(), secret)
		require.NotContains(t, s.Render(), secret)
	}
	require.Contains(t, c.Printable(), "SECRET_ACCESS_KEY '***'")
}

func TestScripts_PublishInOneTransactionWhereTheSystemHasThem(t *testing.T) {
	for name, d := range Dialects {
		p := hostile(name, load.Merge)
		p.State = &load.StateEntry{Pipeline: "p", Table: p.Table, Value: "1"}
		s, err := d.Script(p)
		require.NoError(t, err)
		require.NotEmpty(t, s.Data)
		require.NotEmpty(t, s.State)
		if name == "clickhouse" {
			require.False(t, s.Transactional)
			require.Empty(t, s.Begin)
			continue
		}
		require.True(t, s.Transactional, name)
		require.Len(t, s.Begin, 1)
		require.Len(t, s.Commit, 1)
		if name == "snowflake" || name == "bigquery" {
			// DDL commits implicitly there (Snowflake) or is refused in a transaction
			// (BigQuery): nothing between Begin and Commit may be DDL.
			for _, st := range slices.Concat(s.Data, s.State, []Statement{s.RejectedInsert}) {
				for _, ddl := range []string{"CREATE ", "ALTER ", "DROP ", "TRUNCATE "} {
					require.False(t, strings.HasPrefix(st.SQL, ddl), "%s: DDL in the transaction: %s", name, st.SQL)
				}
			}
		}
	}
}
