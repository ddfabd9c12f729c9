package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// RejectedTable is where rows and values that the schema contract discards are kept, with the
// reason, for later replay.
const RejectedTable = "_dnk_rejected"

// maxRejectedKept bounds the rejected rows kept for _dnk_rejected per table; all are counted.
const maxRejectedKept = 10000

// Rejected is one row that lost a value (discard_value) or was left out (discard_row).
type Rejected struct {
	Column string
	Reason string
	// Row is the source row as text, NULLs as nil, by column name.
	Row map[string]any
}

// rejector applies the data_type contract to values a source cannot convert to their kind.
type rejector struct {
	mode string
	mu   sync.Mutex
	rows int64
	// dropped counts the rows left out (discard_row), as opposed to values nulled.
	dropped int64
	kept    []Rejected
	table   string
}

// bad decides about a value that did not convert: fail (freeze, evolve), null it
// (discard_value) or drop the row (discard_row). raw is the row as read, for the record.
func (r *rejector) bad(cols []Column, raw []any, col int, cause error) (dropRow bool, err error) {
	if r == nil || (r.mode != ContractDiscardValue && r.mode != ContractDiscardRow) {
		return false, cause
	}
	return r.record(cols, raw, col, cause, r.mode)
}

// record counts a rejected row and keeps it (up to maxRejectedKept) for _dnk_rejected.
func (r *rejector) record(cols []Column, raw []any, col int, cause error, mode string) (dropRow bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows++
	if len(r.kept) < maxRejectedKept {
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			switch v := raw[i].(type) {
			case nil:
				row[c.Name] = nil
			case []byte:
				row[c.Name] = string(v)
			default:
				row[c.Name] = fmt.Sprint(v)
			}
		}
		r.kept = append(r.kept, Rejected{Column: cols[col].Name, Reason: fmt.Sprintf("%s: column %q: %v", mode, cols[col].Name, cause), Row: row})
	}
	if mode == ContractDiscardRow {
		r.dropped++
	}
	return mode == ContractDiscardRow, nil
}

func (r *rejector) count() (rows, dropped int64) {
	if r == nil {
		return 0, 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rows, r.dropped
}

// RowJSON is a rejected row as _dnk_rejected keeps it, a JSON object ("{}" when it cannot
// be encoded).
func RowJSON(row map[string]any) string {
	b, err := json.Marshal(row)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// newColumnRows drops the rows of a batch that carry a value in a column the destination does
// not have, under columns: discard_row, recording them with the reason.
func (r *rejector) newColumnRows(b *Batch, discarded []int) {
	b.Filter(func(row []any) bool {
		for _, c := range discarded {
			if row[c] != nil {
				_, _ = r.record(b.Columns, row, c, fmt.Errorf("the column is not in the destination"), ContractDiscardRow)
				return false
			}
		}
		return true
	})
}

// mismatchedValues applies data_type discard_value or discard_row to the values of columns
// whose destination type differs from the source's (see valueGuard): a value the column would
// not store exactly is nulled, or its row dropped. A row is recorded once, under its first
// such column, the others named in the reason.
func (r *rejector) mismatchedValues(b *Batch, guards []ValueGuard) {
	var bad []int
	b.Filter(func(row []any) bool {
		bad = bad[:0]
		for gi, g := range guards {
			if v := row[g.Col]; v != nil && !g.fits(v) {
				bad = append(bad, gi)
			}
		}
		if len(bad) == 0 {
			return true
		}
		first := guards[bad[0]]
		cause := fmt.Sprintf("the value does not fit the destination's %s", first.Have)
		if len(bad) > 1 {
			var others []string
			for _, gi := range bad[1:] {
				others = append(others, fmt.Sprintf("%q", b.Columns[guards[gi].Col].Name))
			}
			cause += " (nor do those of " + strings.Join(others, ", ") + ")"
		}
		if drop, _ := r.record(b.Columns, row, first.Col, errors.New(cause), r.mode); drop {
			return false
		}
		for _, gi := range bad {
			row[guards[gi].Col] = nil
		}
		return true
	})
}
