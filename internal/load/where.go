package load

import (
	"fmt"
	"strings"
	"time"
)

// WhereSyntax is how one source spells the WHERE clause of a window: the filters and the
// incremental bound are the same logic everywhere; quoting, parameters and casts differ.
type WhereSyntax struct {
	// Column is a column as compared: quoted, and cast where its type cannot be compared.
	Column func(c *Column) string
	// Bind binds one value compared with c and returns the SQL that stands for it.
	Bind func(c *Column, v any) string
	// CursorValue is the value bound for the incremental lower bound from.
	CursorValue func(c *Column, from any) any
	// InList spells "column [NOT] IN values" (values not empty) when the source has its own
	// way; nil: a list of bound values.
	InList func(c *Column, column string, values []any, not bool) string
}

// WindowWhere builds " WHERE …" for the filters and the incremental bound of w ("" when there
// are none), failing on a filter column that t does not have.
func WindowWhere(t *Table, w Window, s WhereSyntax) (string, error) {
	var conds []string
	for _, f := range w.Filters {
		_, col := t.Column(f.Column)
		if col == nil {
			return "", fmt.Errorf("filter column %q is not a column of %s", f.Column, t.QualifiedName())
		}
		c := s.Column(col)
		switch f.Op {
		case "is_null":
			conds = append(conds, c+" IS NULL")
		case "not_null":
			conds = append(conds, c+" IS NOT NULL")
		case "in", "not_in":
			list := f.Value.([]any)
			if len(list) == 0 { // in an empty list: nothing; not in it: everything
				if f.Op == "in" {
					conds = append(conds, "1 = 0")
				}
				continue
			}
			if s.InList != nil {
				conds = append(conds, s.InList(col, c, list, f.Op == "not_in"))
				continue
			}
			ps := make([]string, len(list))
			for i, v := range list {
				ps[i] = s.Bind(col, v)
			}
			op := " IN ("
			if f.Op == "not_in" {
				op = " NOT IN ("
			}
			conds = append(conds, c+op+strings.Join(ps, ", ")+")")
		default:
			conds = append(conds, c+" "+sqlOps[f.Op]+" "+s.Bind(col, f.Value))
		}
	}
	if w.Cursor != "" && w.From != nil {
		_, col := t.Column(w.Cursor)
		op := " > "
		if w.Inclusive {
			op = " >= "
		}
		conds = append(conds, s.Column(col)+op+s.Bind(col, s.CursorValue(col, w.From)))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), nil
}

// CursorParamText spells a cursor bound for a database to parse.
func CursorParamText(k Kind, v any) string {
	if t, ok := v.(time.Time); ok {
		switch k {
		case KindTimestampTZ:
			return t.Format(time.RFC3339Nano)
		case KindDate:
			return t.Format("2006-01-02")
		default:
			return t.Format("2006-01-02 15:04:05.999999")
		}
	}
	return Canonical(k, v)
}

var sqlOps = map[string]string{"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
