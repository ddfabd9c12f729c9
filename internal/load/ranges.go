package load

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
)

// Parallel primary-key ranges: a big table with a single integer primary key is read by
// several connections at once, each one a range of the key. The split points come from the
// key's min and max in the window, read in the source's snapshot; the first range has no lower
// bound and the last no upper bound, so every row any reader sees falls in exactly one range
// (keys with gaps, negative keys, ranges that turn out empty are all fine).
//
// Consistency: PostgreSQL readers import the snapshot of the source's transaction
// (pg_export_snapshot + SET TRANSACTION SNAPSHOT), so the parallel read is exactly the serial
// one. MySQL/MariaDB cannot share a snapshot between connections: each reader starts its own
// consistent snapshot when it opens, a few milliseconds apart. A concurrent writer can make the
// ranges see slightly different states; a row is still read at most once (the ranges
// partition the key), and verify=count, counted in the source's own snapshot, fails the run
// when inserts or deletes made the states differ in size. Quiet tables load exactly.
//
// Ordering: rows from parallel ranges interleave. That matters only for merge with an
// incremental cursor on keys other than the range key (the last row by cursor order wins), so
// such tables are read serially; everywhere else order inside a load is not observable.

// Defaults of the parallel read; Spec.Parallelism and Spec.ParallelMinRows override them.
const (
	// DefaultParallelMinRows is the estimated table size from which reads go parallel: below
	// it, the extra connections cost more than they save.
	DefaultParallelMinRows = 1_000_000
	maxDefaultParallelism  = 4
)

// defaultParallelism is min(4, GOMAXPROCS / 2), at least 1. Reading in ranges only pays when
// the databases have cores to spare: with source and destination on one local PostgreSQL, a
// COPY out and a COPY in already keep two cores busy. Measured on a 2-core machine (2,000,000
// rows, raw COPY path): on a quiet machine, replace took 1.92/1.95 s serial against 2.11/2.69 s
// with 2 ranges; on a machine loaded by other work, 21.5/28.0 s serial, 19.5/24.8 s with 2
// ranges, 23.5/29.0 s with 4. Half the cores keeps 2-core machines serial and gives bigger ones
// ranges; Spec.Parallelism (datanika load --parallelism) sets any number.
func defaultParallelism() int { return max(1, min(maxDefaultParallelism, runtime.GOMAXPROCS(0)/2)) }

// RangeSource is a source that can read one table in key ranges over several connections.
type RangeSource interface {
	Source
	// EstimateRows is the catalog's estimate of the table's rows; -1 when unknown.
	EstimateRows(ctx context.Context, t *Table) (int64, error)
	// KeyBounds reads min and max of an integer column inside the window, in the source's
	// snapshot; ok is false when the window is empty.
	KeyBounds(ctx context.Context, t *Table, w Window, column string) (lo, hi int64, ok bool, err error)
	// RangeReaders opens n-1 more readers that see the source's snapshot (where the database
	// can share one). Reader 0 is the source itself. close ends the extra readers.
	RangeReaders(ctx context.Context, n int) (readers []Source, close func(), err error)
}

// KeyRanges is the split of a table on the integer key Column: range i reads
// key >= Bounds[i-1] (i > 0) and key < Bounds[i] (i < len(Bounds)).
type KeyRanges struct {
	Column string
	Bounds []int64
}

// N is the number of ranges.
func (r *KeyRanges) N() int { return len(r.Bounds) + 1 }

// Window is the window of range i: the table's window plus the key bounds as filters, which
// every source already pushes into its SQL (as parameters, or literals for COPY).
func (r *KeyRanges) Window(w Window, i int) Window {
	fs := make([]Filter, len(w.Filters), len(w.Filters)+2)
	copy(fs, w.Filters)
	if i > 0 {
		fs = append(fs, Filter{Column: r.Column, Op: "gte", Value: strconv.FormatInt(r.Bounds[i-1], 10)})
	}
	if i < len(r.Bounds) {
		fs = append(fs, Filter{Column: r.Column, Op: "lt", Value: strconv.FormatInt(r.Bounds[i], 10)})
	}
	w.Filters = fs
	return w
}

// splitRange cuts [lo, hi] into at most n ranges of about equal key span, returning the n-1
// inner bounds. Spans near the whole int64 domain do not overflow.
func splitRange(lo, hi int64, n int) []int64 {
	if n < 2 || hi <= lo {
		return nil
	}
	span := uint64(hi) - uint64(lo) //nolint:gosec // two's complement: the exact distance, up to 2^64-1
	step := span / uint64(n)
	if span < uint64(n) { // fewer keys than readers: one key each
		n, step = int(span)+1, 1 //nolint:gosec // span < n here
	}
	bounds := make([]int64, 0, n-1)
	for i := 1; i < n; i++ {
		bounds = append(bounds, int64(uint64(lo)+step*uint64(i))) //nolint:gosec // wraps back into range by design
	}
	return bounds
}

// parallelism is the number of readers of a table, 1 when reads are serial.
func (spec *Spec) parallelism() int {
	switch {
	case spec.Parallelism > 0:
		return spec.Parallelism
	case spec.Parallelism < 0:
		return 1
	}
	return defaultParallelism()
}

// PlanRanges decides whether a table is read in parallel and where its ranges split; nil
// means a serial read.
func PlanRanges(ctx context.Context, spec *Spec, src Source, p *TablePlan, w Window) (RangeSource, *KeyRanges, error) {
	n := spec.parallelism()
	rs, ok := src.(RangeSource)
	t := p.Source
	if n < 2 || !ok || len(t.PrimaryKey) != 1 {
		return nil, nil, nil
	}
	_, col := t.Column(t.PrimaryKey[0])
	if col == nil || (col.Type.Kind != KindInt16 && col.Type.Kind != KindInt32 && col.Type.Kind != KindInt64) {
		return nil, nil, nil
	}
	if p.Disposition == Merge && w.Cursor != "" && (len(p.Keys) != 1 || len(p.PrimaryKey) != 1 || p.Keys[0] != p.PrimaryKey[0]) {
		return nil, nil, nil // the last row by cursor order must win: keep the order
	}
	minRows := spec.ParallelMinRows
	if minRows <= 0 {
		minRows = DefaultParallelMinRows
	}
	est, err := rs.EstimateRows(ctx, t)
	if err != nil {
		return nil, nil, fmt.Errorf("estimate the rows of %s: %w", t.QualifiedName(), err)
	}
	if est < minRows {
		return nil, nil, nil
	}
	lo, hi, ok, err := rs.KeyBounds(ctx, t, w, col.Name)
	if err != nil {
		return nil, nil, fmt.Errorf("read the key range of %s: %w", t.QualifiedName(), err)
	}
	bounds := splitRange(lo, hi, n)
	if !ok || len(bounds) == 0 {
		return nil, nil, nil
	}
	return rs, &KeyRanges{Column: col.Name, Bounds: bounds}, nil
}

// readTable reads the window of a table, in parallel ranges when PlanRanges says so. emit is
// called by one reader at a time. Memory: each reader fills its own batch, so a parallel read
// holds up to n + batchesInFlight batches.
func readTable(ctx context.Context, spec *Spec, src Source, p *TablePlan, w Window, batchSize int, emit Emit) error {
	rs, kr, err := PlanRanges(ctx, spec, src, p, w)
	if err != nil {
		return err
	}
	if kr == nil {
		return src.Read(ctx, p.Source, w, batchSize, emit)
	}
	readers, closeReaders, err := rs.RangeReaders(ctx, kr.N())
	if err != nil {
		return fmt.Errorf("open the parallel readers of %s: %w", p.Source.QualifiedName(), err)
	}
	defer closeReaders()
	spec.Logger.Debug("parallel read", "run_id", spec.RunID, "table", p.Source.QualifiedName(), "ranges", kr.N(),
		"key", kr.Column, "bounds", kr.Bounds)
	var mu sync.Mutex
	serial := func(b *Batch) (*Batch, error) {
		mu.Lock()
		defer mu.Unlock()
		return emit(b)
	}
	return RunRanges(ctx, kr.N(), func(ctx context.Context, i int) error {
		return readers[i].Read(ctx, p.Source, kr.Window(w, i), batchSize, serial)
	})
}

// RunRanges runs fn for every range at once; the first failure cancels the others and is the
// error returned (not the cancellations it caused).
func RunRanges(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := fn(ctx, i); err != nil {
				cancel(fmt.Errorf("range %d of %d: %w", i+1, n, err))
			}
		})
	}
	wg.Wait()
	// The first range's failure, or the caller's cancellation.
	return context.Cause(ctx)
}
