package load

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/datanika/datanika/internal/connectors/restapi"
)

// restFlattener turns one record of a resource into the rows of its tables.
type restFlattener struct {
	root   string
	nested string
	pk     []string
	// token makes the _dnk_id of a record without a primary key unique to this run.
	token string
}

type restList struct {
	key   string
	items []any
}

// rows emits the rows record rec (line line of the spool) makes: itself, as it is with nested
// "json"; with "tables", its objects flattened and its arrays as rows of child tables, depth
// first. The ids are derived, never random, so every replay of a spool gives the same rows.
func (f *restFlattener) rows(rec map[string]any, line int64, emit func(table string, row map[string]any)) {
	if f.nested != restapi.NestedTables {
		emit(f.root, rec)
		return
	}
	var id string
	if len(f.pk) > 0 {
		parts := []string{f.root}
		for _, k := range f.pk {
			v, _ := restapi.Lookup(rec, k)
			b, _ := json.Marshal(v)
			parts = append(parts, string(b))
		}
		id = restID(parts...)
	} else {
		id = restID(f.token, f.root, strconv.FormatInt(line, 10))
	}
	f.row(f.root, rec, id, nil, emit)
}

func (f *restFlattener) row(table string, obj map[string]any, id string, extra map[string]any, emit func(string, map[string]any)) {
	row := make(map[string]any, len(obj)+len(extra)+1)
	var lists []restList
	flattenInto(row, "", obj, &lists)
	for k, v := range extra {
		row[k] = v
	}
	row[restIDColumn] = id
	emit(table, row)
	slices.SortFunc(lists, func(a, b restList) int { return strings.Compare(a.key, b.key) })
	for _, l := range lists {
		child := table + "__" + l.key
		for i, el := range l.items {
			idx := strconv.Itoa(i)
			m, ok := el.(map[string]any)
			if !ok {
				m = map[string]any{"value": el}
			}
			f.row(child, m, restID(id, l.key, idx), map[string]any{restParentColumn: id, restListIdxColumn: json.Number(idx)}, emit)
		}
	}
}

// flattenInto puts obj's scalars into row as <prefix>__<key> columns and collects its arrays.
func flattenInto(row map[string]any, prefix string, obj map[string]any, lists *[]restList) {
	for k, v := range obj {
		name := k
		if prefix != "" {
			name = prefix + "__" + k
		}
		switch x := v.(type) {
		case map[string]any:
			flattenInto(row, name, x, lists)
		case []any:
			*lists = append(*lists, restList{key: name, items: x})
		default:
			row[name] = v
		}
	}
}

func restID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// restKind is a column type inferred from JSON values, from the narrowest up.
type restKind uint8

const (
	restNull restKind = iota
	restBool
	restInt
	restDecimal
	restFloat
	restDate
	restTimestamp
	restTimestampTZ
	restText
	restJSON
)

// restKindOf is the kind of one JSON value (decoded with UseNumber).
func restKindOf(v any) restKind {
	switch x := v.(type) {
	case nil:
		return restNull
	case bool:
		return restBool
	case json.Number:
		s := x.String()
		if strings.ContainsAny(s, "eE") {
			return restFloat
		}
		if !strings.Contains(s, ".") {
			if _, err := strconv.ParseInt(s, 10, 64); err == nil {
				return restInt
			}
		}
		return restDecimal
	case string:
		return restStringKind(x)
	case map[string]any, []any:
		return restJSON
	default:
		return restText
	}
}

var (
	restTimestampLayouts   = []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"}
	restTimestampTZLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00"}
)

// restStringKind recognises ISO dates and timestamps; anything else is text.
func restStringKind(s string) restKind {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return restText
	}
	if len(s) == 10 {
		if _, err := time.Parse(time.DateOnly, s); err == nil {
			return restDate
		}
		return restText
	}
	if len(s) < 19 || (s[10] != 'T' && s[10] != ' ') {
		return restText
	}
	for _, l := range restTimestampTZLayouts {
		if _, err := time.Parse(l, s); err == nil {
			return restTimestampTZ
		}
	}
	for _, l := range restTimestampLayouts {
		if _, err := time.Parse(l, s); err == nil {
			return restTimestamp
		}
	}
	return restText
}

// widenRest is the narrowest kind that holds values of both kinds.
func widenRest(a, b restKind) restKind {
	switch {
	case a == b || b == restNull:
		return a
	case a == restNull:
		return b
	case a == restJSON || b == restJSON:
		return restJSON
	case a >= restInt && a <= restFloat && b >= restInt && b <= restFloat:
		return max(a, b)
	case (a == restDate && b == restTimestamp) || (a == restTimestamp && b == restDate):
		return restTimestamp
	default:
		return restText
	}
}

func (k restKind) loadType() Type {
	switch k {
	case restBool:
		return Type{Kind: KindBool, Source: "boolean"}
	case restInt:
		return Type{Kind: KindInt64, Source: "integer"}
	case restDecimal:
		return Type{Kind: KindDecimal, Source: "number"}
	case restFloat:
		return Type{Kind: KindFloat64, Source: "number"}
	case restDate:
		return Type{Kind: KindDate, Source: "date"}
	case restTimestamp:
		return Type{Kind: KindTimestamp, Source: "timestamp"}
	case restTimestampTZ:
		return Type{Kind: KindTimestampTZ, Source: "timestamp with zone"}
	case restJSON:
		return Type{Kind: KindJSON, Source: "json"}
	default:
		return Type{Kind: KindText, Source: "string"}
	}
}

// convert turns a JSON value into the Go value of the kind's column.
func (k restKind) convert(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch k {
	case restBool:
		return v.(bool), nil
	case restInt:
		return v.(json.Number).Int64()
	case restDecimal:
		return ParseNumeric(v.(json.Number).String())
	case restFloat:
		return v.(json.Number).Float64()
	case restDate:
		t, err := time.Parse(time.DateOnly, v.(string))
		return t, err
	case restTimestamp, restTimestampTZ:
		layouts := restTimestampLayouts
		if k == restTimestampTZ {
			layouts = restTimestampTZLayouts
		}
		for _, l := range layouts {
			if t, err := time.Parse(l, v.(string)); err == nil {
				return t, nil
			}
		}
		return nil, fmt.Errorf("%q is not a timestamp", v)
	case restJSON:
		b, err := json.Marshal(v)
		return string(b), err
	default:
		switch x := v.(type) {
		case string:
			return x, nil
		case json.Number:
			return x.String(), nil
		case bool:
			return strconv.FormatBool(x), nil
		default:
			b, err := json.Marshal(v)
			return string(b), err
		}
	}
}

// restDestName maps a REST table or column name to the destination's: each part between the
// nesting separators "__" by the naming, the separators kept (dlt's convention), and a leading
// underscore kept (_dnk_id, _posts_title).
func restDestName(naming, name string) string {
	if naming == NamingPreserve {
		return name
	}
	lead := ""
	if strings.HasPrefix(name, "_") {
		lead, name = "_", strings.TrimLeft(name, "_")
	}
	parts := strings.Split(name, "__")
	for i, p := range parts {
		parts[i] = SnakeCase(p)
	}
	return lead + strings.Join(parts, "__")
}

// restFilterMatch says whether record rec passes filter f, comparing as the connector orders
// cursors (numbers as numbers, RFC 3339 instants as instants, else text), and whether the
// record has the field at all (f.Column, a dot path; "__" nests too). A missing field is null,
// and null passes only is_null (SQL's three-valued logic).
func restFilterMatch(rec map[string]any, f Filter) (keep, present bool) {
	v, present := restapi.Lookup(rec, strings.ReplaceAll(f.Column, "__", "."))
	switch f.Op {
	case "is_null":
		return v == nil, present
	case "not_null":
		return v != nil, present
	}
	text, ok := restFilterText(v)
	if !ok {
		return false, present
	}
	equal := func(want any) bool {
		w, ok := restFilterText(want)
		return ok && restapi.CompareCursor(text, w) == 0
	}
	switch f.Op {
	case "in", "not_in":
		list, _ := f.Value.([]any)
		return slices.ContainsFunc(list, equal) == (f.Op == "in"), present
	case "eq":
		return equal(f.Value), present
	case "ne":
		w, ok := restFilterText(f.Value)
		return ok && restapi.CompareCursor(text, w) != 0, present
	}
	w, ok := restFilterText(f.Value)
	if !ok {
		return false, present
	}
	c := restapi.CompareCursor(text, w)
	switch f.Op {
	case "gt":
		return c > 0, present
	case "gte":
		return c >= 0, present
	case "lt":
		return c < 0, present
	case "lte":
		return c <= 0, present
	}
	return false, present
}

// restFilterText is a scalar's text for comparing; ok is false for null, objects and arrays.
func restFilterText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int:
		return strconv.Itoa(x), true
	default:
		return "", false
	}
}
