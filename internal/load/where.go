package load

import (
	"fmt"
	"strings"
)

// whereSyntax is how one source spells the WHERE clause of a window: the filters and the
// incremental bound are the same logic everywhere; quoting, parameters and casts differ.
type whereSyntax struct {
	// column is a column as compared: quoted, and cast where its type cannot be compared.
	column func(c *Column) string
	// bind binds one value compared with c and returns the SQL that stands for it.
	bind func(c *Column, v any) string
	// cursorValue is the value bound for the incremental lower bound from.
	cursorValue func(c *Column, from any) any
	// inList spells "column [NOT] IN values" (values not empty) when the source has its own
	// way; nil: a list of bound values.
	inList func(c *Column, column string, values []any, not bool) string
}

// windowWhere builds " WHERE …" for the filters and the incremental bound of w ("" when there
// are none), failing on a filter column that t does not have.
func windowWhere(t *Table, w Window, s whereSyntax) (string, error) {
	var conds []string
	for _, f := range w.Filters {
		_, col := t.column(f.Column)
		if col == nil {
			return "", fmt.Errorf("filter column %q is not a column of %s", f.Column, t.QualifiedName())
		}
		c := s.column(col)
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
			if s.inList != nil {
				conds = append(conds, s.inList(col, c, list, f.Op == "not_in"))
				continue
			}
			ps := make([]string, len(list))
			for i, v := range list {
				ps[i] = s.bind(col, v)
			}
			op := " IN ("
			if f.Op == "not_in" {
				op = " NOT IN ("
			}
			conds = append(conds, c+op+strings.Join(ps, ", ")+")")
		default:
			conds = append(conds, c+" "+sqlOps[f.Op]+" "+s.bind(col, f.Value))
		}
	}
	if w.Cursor != "" && w.From != nil {
		_, col := t.column(w.Cursor)
		op := " > "
		if w.Inclusive {
			op = " >= "
		}
		conds = append(conds, s.column(col)+op+s.bind(col, s.cursorValue(col, w.From)))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), nil
}
