package load

import (
	"context"
	"fmt"
)

// ChecksumTable reads a whole table of an endpoint and digests the given columns (all, when
// columns is nil) in that order. Two tables with the same rows in any order, read from any
// supported system, have the same checksum when their columns map to the same kinds.
func ChecksumTable(ctx context.Context, e Endpoint, schema, table string, columns []string) (Checksum, error) {
	var sum Checksum
	src, err := OpenSource(ctx, e)
	if err != nil {
		return sum, err
	}
	defer func() { _ = src.Close() }()
	ts, err := src.Tables(ctx, schema, []string{table})
	if err != nil {
		return sum, err
	}
	t := ts[0]
	if columns != nil {
		p := &Table{Schema: t.Schema, Name: t.Name}
		for _, c := range columns {
			i, col := t.Column(c)
			if col == nil {
				return sum, fmt.Errorf("column %q is not a column of %s", c, t.QualifiedName())
			}
			p.Columns = append(p.Columns, *col)
			p.CastText = append(p.CastText, t.CastText[i])
		}
		t = p
	}
	err = src.Read(ctx, t, Window{}, 10000, func(b *Batch) (*Batch, error) {
		sum.AddBatch(b)
		b.Reset()
		return b, nil
	})
	return sum, err
}
