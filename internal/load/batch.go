package load

// Column is one column of a table as the engine carries it.
type Column struct {
	Name     string
	Type     Type
	Nullable bool
}

// Batch is a block of rows of one table, row-major over one flat slice of values, reused from
// batch to batch so a table of any size streams through a fixed number of batches.
//
// Each value is nil (NULL) or the Go representation of its column's Kind (see the Kind
// constants). Row-major rather than typed columns: pgx's COPY takes a row of values, and the
// measurement in batch_test.go (docs/architecture.md, "Load engine") found the columnar
// layout no faster end to end once its values are boxed again for the wire.
type Batch struct {
	Columns []Column
	vals    []any
	rows    int
	// Bytes is the size of the rows as read from the source, for the run's stats.
	Bytes int64
}

// NewBatch makes an empty batch with room for capacity rows.
func NewBatch(columns []Column, capacity int) *Batch {
	return &Batch{Columns: columns, vals: make([]any, 0, capacity*len(columns))}
}

// Len is the number of rows.
func (b *Batch) Len() int { return b.rows }

// Row returns row i; the slice is the batch's own storage.
func (b *Batch) Row(i int) []any {
	n := len(b.Columns)
	return b.vals[i*n : (i+1)*n : (i+1)*n]
}

// Next appends a row of NULLs and returns it for the caller to fill.
func (b *Batch) Next() []any {
	n := len(b.Columns)
	start := len(b.vals)
	for range n {
		b.vals = append(b.vals, nil)
	}
	b.rows++
	return b.vals[start : start+n : start+n]
}

// Drop removes the last row (a row a source decided not to emit after all).
func (b *Batch) Drop() {
	b.vals = b.vals[:len(b.vals)-len(b.Columns)]
	b.rows--
}

// Full says the batch holds at least capacity rows.
func (b *Batch) Full(capacity int) bool { return b.rows >= capacity }

// Reset empties the batch, keeping its storage. Old values are cleared so the batch does not
// keep the previous rows' strings alive.
func (b *Batch) Reset() {
	clear(b.vals)
	b.vals = b.vals[:0]
	b.rows = 0
	b.Bytes = 0
}

// Filter keeps the rows for which keep is true, in order, in place.
func (b *Batch) Filter(keep func(row []any) bool) {
	n := len(b.Columns)
	kept := 0
	for i := range b.rows {
		row := b.vals[i*n : (i+1)*n]
		if !keep(row) {
			continue
		}
		if kept != i {
			copy(b.vals[kept*n:(kept+1)*n], row)
		}
		kept++
	}
	clear(b.vals[kept*n:])
	b.vals = b.vals[:kept*n]
	b.rows = kept
}
