package load

import (
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"
)

func TestMSSQLSourceType_MapsEverySQLServerType(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                string
		precision, scale, n int
		want                Type
		cast                bool
	}{
		{"bit", 1, 0, 1, Type{Kind: KindBool, Source: "bit"}, false},
		{"tinyint", 3, 0, 1, Type{Kind: KindInt16, Source: "tinyint"}, false},
		{"smallint", 5, 0, 2, Type{Kind: KindInt16, Source: "smallint"}, false},
		{"int", 10, 0, 4, Type{Kind: KindInt32, Source: "int"}, false},
		{"bigint", 19, 0, 8, Type{Kind: KindInt64, Source: "bigint"}, false},
		{"decimal", 38, 10, 17, Type{Kind: KindDecimal, Precision: 38, Scale: 10, Source: "decimal(38,10)"}, false},
		{"numeric", 12, 2, 9, Type{Kind: KindDecimal, Precision: 12, Scale: 2, Source: "numeric(12,2)"}, false},
		{"money", 19, 4, 8, Type{Kind: KindDecimal, Precision: 19, Scale: 4, Source: "money"}, false},
		{"smallmoney", 10, 4, 4, Type{Kind: KindDecimal, Precision: 10, Scale: 4, Source: "smallmoney"}, false},
		{"float", 53, 0, 8, Type{Kind: KindFloat64, Source: "float"}, false},
		{"real", 24, 0, 4, Type{Kind: KindFloat32, Source: "real"}, false},
		{"char", 0, 0, 3, Type{Kind: KindText, Source: "char(3)"}, false},
		{"varchar", 0, 0, -1, Type{Kind: KindText, Source: "varchar(max)"}, false},
		{"nchar", 0, 0, 20, Type{Kind: KindText, Source: "nchar(10)"}, false},
		{"nvarchar", 0, 0, 80, Type{Kind: KindText, Source: "nvarchar(40)"}, false},
		{"nvarchar", 0, 0, -1, Type{Kind: KindText, Source: "nvarchar(max)"}, false},
		{"text", 0, 0, 16, Type{Kind: KindText, Source: "text"}, false},
		{"ntext", 0, 0, 16, Type{Kind: KindText, Source: "ntext"}, false},
		{"sysname", 0, 0, 256, Type{Kind: KindText, Source: "sysname"}, false},
		{"binary", 0, 0, 16, Type{Kind: KindBytes, Source: "binary(16)"}, false},
		{"varbinary", 0, 0, -1, Type{Kind: KindBytes, Source: "varbinary(max)"}, false},
		{"image", 0, 0, 16, Type{Kind: KindBytes, Source: "image"}, false},
		{"timestamp", 0, 0, 8, Type{Kind: KindBytes, Source: "timestamp"}, false}, // rowversion, not a time
		{"date", 10, 0, 3, Type{Kind: KindDate, Source: "date"}, false},
		{"time", 16, 7, 5, Type{Kind: KindTime, Source: "time(7)"}, false},
		{"datetime", 23, 3, 8, Type{Kind: KindTimestamp, Source: "datetime"}, false},
		{"datetime2", 27, 7, 8, Type{Kind: KindTimestamp, Source: "datetime2(7)"}, false},
		{"smalldatetime", 16, 0, 4, Type{Kind: KindTimestamp, Source: "smalldatetime"}, false},
		{"datetimeoffset", 34, 7, 10, Type{Kind: KindTimestampTZ, Source: "datetimeoffset(7)"}, false},
		{"uniqueidentifier", 0, 0, 16, Type{Kind: KindUUID, Source: "uniqueidentifier"}, false},
		{"json", 0, 0, -1, Type{Kind: KindJSON, Source: "json"}, false},
		{"xml", 0, 0, -1, Type{Kind: KindText, Source: "xml"}, true},
		{"sql_variant", 0, 0, 8016, Type{Kind: KindText, Source: "sql_variant"}, true},
		{"hierarchyid", 0, 0, 892, Type{Kind: KindText, Source: "hierarchyid"}, true},
		{"geography", 0, 0, -1, Type{Kind: KindText, Source: "geography"}, true},
		{"DateTime2", 27, 3, 8, Type{Kind: KindTimestamp, Source: "datetime2(3)"}, false},
	}
	for _, c := range cases {
		got, cast := MSSQLSourceType(c.name, c.precision, c.scale, c.n)
		require.Equal(t, c.want, got, c.name)
		require.Equal(t, c.cast, cast, c.name)
	}
}

func TestMSSQLValue_ConvertsWhatTheDriverSendsExactly(t *testing.T) {
	t.Parallel()
	plus2 := time.FixedZone("+02", 2*3600)
	num := func(s string) pgtype.Numeric {
		n, err := ParseNumeric(s)
		require.NoError(t, err)
		return n
	}
	cases := []struct {
		kind Kind
		in   any
		want any
	}{
		{KindInt16, int64(255), int64(255)},
		{KindInt64, int64(-9223372036854775808), int64(-9223372036854775808)},
		{KindBool, true, true},
		{KindDecimal, []byte("1234567890123456789012345678.0123456789"), num("1234567890123456789012345678.0123456789")},
		{KindDecimal, []byte("-922337203685477.5808"), num("-922337203685477.5808")}, // money's minimum
		{KindFloat32, float64(float32(1.5)), 1.5},
		{KindText, "ü€😀", "ü€😀"},
		{KindBytes, []byte{0, 0xff}, []byte{0, 0xff}},
		{KindDate, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{KindTime, time.Date(1, 1, 1, 23, 59, 59, 999999900, time.UTC), pgtype.Time{Microseconds: 86399999999, Valid: true}},
		{KindTimestamp, time.Date(1999, 12, 31, 23, 59, 59, 123456700, time.UTC), time.Date(1999, 12, 31, 23, 59, 59, 123456700, time.UTC)},
		{KindTimestampTZ, time.Date(2024, 6, 1, 12, 0, 0, 0, plus2), time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)},
		{KindUUID, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}},
		{KindJSON, `{"a": 1}`, `{"a": 1}`},
		{KindInt32, nil, nil},
	}
	for _, c := range cases {
		got, err := mssqlValue(c.kind, c.in)
		require.NoError(t, err, "%s %v", c.kind, c.in)
		if n, ok := c.want.(pgtype.Numeric); ok {
			g := got.(pgtype.Numeric)
			require.Zero(t, new(big.Int).Set(n.Int).Cmp(g.Int), "%v", c.in)
			require.Equal(t, n.Exp, g.Exp)
			continue
		}
		require.Equal(t, c.want, got, "%s %v", c.kind, c.in)
	}
	// What the driver should never send fails naming the kind rather than loading garbage.
	_, err := mssqlValue(KindInt32, "12")
	require.ErrorIs(t, err, errMSSQLValue)
	_, err = mssqlValue(KindUUID, "not a uuid")
	require.Error(t, err)
}

// The SQL the source sends, golden: catalog, windows with every filter, the cursor bound and
// its order, and the count.
func TestMSSQLSource_SQLIsGolden(t *testing.T) {
	t.Parallel()
	tbl := &Table{Schema: "sales", Name: "Order]Lines"}
	for _, c := range []struct {
		name, typ string
		p, s, n   int
	}{{"id", "bigint", 19, 0, 8}, {"name", "nvarchar", 0, 0, 80}, {"amount", "money", 19, 4, 8},
		{"updated", "datetime", 23, 3, 8}, {"at", "datetimeoffset", 34, 7, 10}, {"guid", "uniqueidentifier", 0, 0, 16},
		{"doc", "xml", 0, 0, -1}, {"node", "hierarchyid", 0, 0, 892}, {"memo", "ntext", 0, 0, 16}} {
		typ, cast := MSSQLSourceType(c.typ, c.p, c.s, c.n)
		tbl.Columns = append(tbl.Columns, Column{Name: c.name, Type: typ})
		tbl.CastText = append(tbl.CastText, cast)
	}
	var out strings.Builder
	add := func(title, q string, args []any) {
		out.WriteString("-- " + title + "\n" + q + "\n")
		for i, a := range args {
			out.WriteString("--   @p" + strconv.Itoa(i+1) + " = " + a.(string) + "\n")
		}
		out.WriteString("\n")
	}
	add("snapshot state", mssqlSnapshotStateSQL, nil)
	add("columns", mssqlColumnsSQL, []any{"sales"})
	q, args, err := mssqlSelect(tbl, Window{})
	require.NoError(t, err)
	add("whole table", q, args)
	w := Window{Filters: []Filter{{Column: "name", Op: "ne", Value: "x'; DROP TABLE t --"}, {Column: "amount", Op: "gte", Value: 10.5},
		{Column: "id", Op: "in", Value: []any{1, 2}}, {Column: "guid", Op: "not_null"}, {Column: "memo", Op: "eq", Value: "m"}},
		Cursor: "updated", From: time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC), Inclusive: true}
	q, args, err = mssqlSelect(tbl, w)
	require.NoError(t, err)
	add("filters and an inclusive cursor bound", q, args)
	q, args, err = mssqlSelect(tbl, Window{Cursor: "at", From: time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC), Desc: true})
	require.NoError(t, err)
	add("cursor descending", q, args)
	where, args, err := mssqlWhere(tbl, Window{Filters: []Filter{{Column: "id", Op: "not_in", Value: []any{}},
		{Column: "doc", Op: "ne", Value: "<a/>"}, {Column: "name", Op: "in", Value: []any{}}}})
	require.NoError(t, err)
	add("count", "SELECT COUNT_BIG(*) FROM "+msQualified(tbl)+where, args)
	_, _, err = mssqlWhere(tbl, Window{Filters: []Filter{{Column: "nope", Op: "eq", Value: 1}}})
	require.ErrorContains(t, err, `filter column "nope"`)

	golden := filepath.Join("testdata", "mssql_sql.golden")
	if os.Getenv("DATANIKA_UPDATE_GOLDEN") != "" {
		require.NoError(t, os.WriteFile(golden, []byte(out.String()), 0o600))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run with DATANIKA_UPDATE_GOLDEN=1 to write it")
	require.Equal(t, string(want), out.String())
}

func TestParseURL_SQLServer(t *testing.T) {
	t.Parallel()
	ep, err := ParseURL("sqlserver://sa:p%40ss@db.example:14330/shop?encrypt=strict&trust_server_certificate=true&schema=sales")
	require.NoError(t, err)
	require.Equal(t, "mssql", ep.Type)
	require.Equal(t, map[string]any{"host": "db.example", "port": 14330, "user": "sa", "password": "p@ss", "database": "shop",
		"encrypt": "strict", "trust_server_certificate": true, "schema": "sales"}, ep.Config)
	ep, err = ParseURL("mssql://u@h?database=d")
	require.NoError(t, err)
	require.Equal(t, map[string]any{"host": "h", "user": "u", "database": "d"}, ep.Config)
	for _, bad := range []string{"sqlserver://h/db", "sqlserver://u@h", "sqlserver://u@h:0/db", "sqlserver://u:secret@h/db?trust_server_certificate=maybe"} {
		_, err := ParseURL(bad)
		require.Error(t, err, bad)
		require.NotContains(t, err.Error(), "secret")
	}
	_, err = url.Parse("sqlserver://u@h/db")
	require.NoError(t, err)
}
