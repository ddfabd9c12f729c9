package load

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"
)

func decodeRecord(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var m map[string]any
	require.NoError(t, dec.Decode(&m))
	return m
}

type emitted struct {
	table string
	row   map[string]any
}

func flattenAll(f *restFlattener, rec map[string]any, line int64) []emitted {
	var out []emitted
	f.rows(rec, line, func(table string, row map[string]any) { out = append(out, emitted{table, row}) })
	return out
}

func TestRESTFlattener_TablesFollowDltsConvention(t *testing.T) {
	t.Parallel()
	f := &restFlattener{root: "posts", nested: "tables", pk: []string{"id"}, token: "run1"}
	rec := decodeRecord(t, `{"id": 7, "author": {"name": "ann", "geo": {"lat": 1.5}}, "tags": ["a", "b"],
		"items": [{"sku": "x", "opts": [{"k": 1}]}], "empty": {}}`)
	rows := flattenAll(f, rec, 0)
	require.Len(t, rows, 1+2+1+1)

	root := rows[0]
	require.Equal(t, "posts", root.table)
	require.Equal(t, "ann", root.row["author__name"])
	require.Equal(t, json.Number("1.5"), root.row["author__geo__lat"])
	require.NotContains(t, root.row, "tags")
	require.NotContains(t, root.row, "empty")
	id := root.row[restIDColumn].(string)
	require.Len(t, id, 32)

	// Children in key order: items (with its own child), then tags.
	require.Equal(t, "posts__items", rows[1].table)
	require.Equal(t, "x", rows[1].row["sku"])
	require.Equal(t, id, rows[1].row[restParentColumn])
	require.Equal(t, json.Number("0"), rows[1].row[restListIdxColumn])
	require.Equal(t, "posts__items__opts", rows[2].table)
	require.Equal(t, rows[1].row[restIDColumn], rows[2].row[restParentColumn])
	require.Equal(t, json.Number("1"), rows[2].row["k"])
	require.Equal(t, "posts__tags", rows[3].table)
	require.Equal(t, "a", rows[3].row["value"])
	require.Equal(t, json.Number("1"), rows[4].row[restListIdxColumn])
	require.Equal(t, "b", rows[4].row["value"])

	// Ids come from the primary key: the same record gives the same ids on every replay and
	// in every run, another record other ids.
	again := flattenAll(&restFlattener{root: "posts", nested: "tables", pk: []string{"id"}, token: "run2"}, rec, 99)
	require.Equal(t, id, again[0].row[restIDColumn])
	require.Equal(t, rows[4].row[restIDColumn], again[4].row[restIDColumn])
	other := flattenAll(f, decodeRecord(t, `{"id": 8}`), 1)
	require.NotEqual(t, id, other[0].row[restIDColumn])

	// Without a primary key the id is the run's and the line's: stable across replays of
	// one spool, distinct between lines.
	nokey := &restFlattener{root: "r", nested: "tables", token: "run1"}
	a := flattenAll(nokey, decodeRecord(t, `{"v": 1}`), 3)
	b := flattenAll(nokey, decodeRecord(t, `{"v": 1}`), 3)
	c := flattenAll(nokey, decodeRecord(t, `{"v": 1}`), 4)
	require.Equal(t, a[0].row[restIDColumn], b[0].row[restIDColumn])
	require.NotEqual(t, a[0].row[restIDColumn], c[0].row[restIDColumn])
}

func TestRESTFlattener_JSONKeepsTheRecord(t *testing.T) {
	t.Parallel()
	rec := decodeRecord(t, `{"id": 1, "author": {"name": "ann"}, "tags": ["a"]}`)
	rows := flattenAll(&restFlattener{root: "posts", nested: "json"}, rec, 0)
	require.Equal(t, []emitted{{"posts", rec}}, rows)
	k := restKindOf(rec["author"])
	require.Equal(t, restJSON, k)
	v, err := k.convert(rec["tags"])
	require.NoError(t, err)
	require.Equal(t, `["a"]`, v)
}

func TestRESTKinds_InferAndWiden(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]restKind{
		`null`: restNull, `true`: restBool, `42`: restInt, `-9223372036854775808`: restInt,
		`9223372036854775808`: restDecimal, `1.25`: restDecimal, `1e3`: restFloat, `"x"`: restText,
		`"2024-02-29"`: restDate, `"2024-02-30"`: restText, `"2024-01-02T03:04:05Z"`: restTimestampTZ,
		`"2024-01-02T03:04:05.123+02:00"`: restTimestampTZ, `"2024-01-02 03:04:05"`: restTimestamp,
		`"2024-01-02T03:04:05.5"`: restTimestamp, `"12345678901"`: restText, `{}`: restJSON, `[1]`: restJSON,
	} {
		rec := decodeRecord(t, `{"v": `+in+`}`)
		require.Equal(t, want, restKindOf(rec["v"]), in)
	}
	for _, c := range []struct{ a, b, want restKind }{
		{restNull, restInt, restInt}, {restInt, restDecimal, restDecimal}, {restDecimal, restFloat, restFloat},
		{restDate, restTimestamp, restTimestamp}, {restTimestamp, restTimestampTZ, restText}, {restInt, restText, restText},
		{restBool, restInt, restText}, {restText, restJSON, restJSON}, {restDate, restDate, restDate},
	} {
		require.Equal(t, c.want, widenRest(c.a, c.b), "%d+%d", c.a, c.b)
		require.Equal(t, c.want, widenRest(c.b, c.a), "%d+%d", c.b, c.a)
	}
	// Values of a widened column convert to its kind.
	for _, c := range []struct {
		k    restKind
		in   string
		want any
	}{
		{restText, `42`, "42"}, {restText, `true`, "true"}, {restText, `{"a":1}`, `{"a":1}`},
		{restFloat, `2`, 2.0}, {restJSON, `"s"`, `"s"`}, {restInt, `null`, nil},
	} {
		v, err := c.k.convert(decodeRecord(t, `{"v": `+c.in+`}`)["v"])
		require.NoError(t, err)
		require.Equal(t, c.want, v, c.in)
	}
	d, err := restDecimal.convert(json.Number("12345678901234567890.000000001"))
	require.NoError(t, err)
	require.Equal(t, "12345678901234567890.000000001", NumericText(d.(pgtype.Numeric)))
}

func TestRESTDestName_KeepsNestingSeparatorsAndLeadingUnderscore(t *testing.T) {
	t.Parallel()
	require.Equal(t, "order_items__product_id", restDestName(NamingSnakeCase, "OrderItems__productId"))
	require.Equal(t, "_dnk_parent_id", restDestName(NamingSnakeCase, "_dnk_parent_id"))
	require.Equal(t, "_posts_title", restDestName(NamingSnakeCase, "_posts_title"))
	require.Equal(t, "a_x__b", restDestName(NamingSnakeCase, "a.x__b"))
	require.Equal(t, "OrderItems__productId", restDestName(NamingPreserve, "OrderItems__productId"))
}

func TestRESTFilterMatch_ComparesLikeCursorsAndTreatsMissingAsNull(t *testing.T) {
	t.Parallel()
	rec := decodeRecord(t, `{"id": 10, "price": "9.50", "at": "2024-01-02T03:00:00+02:00", "ok": true, "none": null,
		"tags": ["x"], "meta": {"region": "eu"}}`)
	for _, c := range []struct {
		f             Filter
		keep, present bool
	}{
		{Filter{Column: "id", Op: "eq", Value: json.Number("10.0")}, true, true},
		{Filter{Column: "id", Op: "gt", Value: json.Number("9")}, true, true},       // 10 > 9 as numbers, not text
		{Filter{Column: "id", Op: "lt", Value: json.Number("9")}, false, true},      //
		{Filter{Column: "price", Op: "gte", Value: json.Number("9.5")}, true, true}, // text holding a number
		{Filter{Column: "at", Op: "lt", Value: "2024-01-02T02:00:00Z"}, true, true}, // 01:00Z, as instants
		{Filter{Column: "ok", Op: "eq", Value: true}, true, true},
		{Filter{Column: "ok", Op: "ne", Value: true}, false, true},
		{Filter{Column: "id", Op: "in", Value: []any{json.Number("1"), json.Number("10")}}, true, true},
		{Filter{Column: "id", Op: "not_in", Value: []any{json.Number("10")}}, false, true},
		{Filter{Column: "id", Op: "in", Value: []any{}}, false, true},
		{Filter{Column: "none", Op: "is_null"}, true, true},
		{Filter{Column: "none", Op: "eq", Value: "x"}, false, true},
		{Filter{Column: "none", Op: "ne", Value: "x"}, false, true}, // null is not unequal either
		{Filter{Column: "gone", Op: "is_null"}, true, false},
		{Filter{Column: "gone", Op: "not_null"}, false, false},
		{Filter{Column: "meta.region", Op: "eq", Value: "eu"}, true, true},
		{Filter{Column: "meta__region", Op: "eq", Value: "eu"}, true, true},
		{Filter{Column: "tags", Op: "eq", Value: "x"}, false, true}, // an array is not a scalar
	} {
		keep, present := restFilterMatch(rec, c.f)
		require.Equal(t, c.keep, keep, "%+v", c.f)
		require.Equal(t, c.present, present, "%+v", c.f)
	}
}
