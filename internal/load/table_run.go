package load

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// tableRun is the load of one table within a Run: the window, the staging load, the copy (a
// source's fast path or the decoding pipeline), verify and publish. Its fields are what the
// steps share, so each step is a method instead of a function of many parameters.
type tableRun struct {
	spec     Spec
	cfg      Config
	src      Source
	dst      Destination
	state    StateStore
	p        *TablePlan
	progress func(Progress)
	log      *slog.Logger
	start    time.Time
	ts       TableStats

	w         Window
	cursorCol *Column
	cursorIdx int
	tl        TableLoad
	sum       *Checksum // verify=checksum: the rows read
	maxCursor any       // the cursor column's highest value read
	published bool
}

func newTableRun(spec Spec, cfg Config, src Source, dst Destination, state StateStore, p *TablePlan, progress func(Progress)) *tableRun {
	return &tableRun{spec: spec, cfg: cfg, src: src, dst: dst, state: state, p: p, progress: progress,
		log: spec.Logger.With("run_id", spec.RunID, "table", p.Source.QualifiedName()), ts: TableStats{Name: p.Name}, cursorIdx: -1}
}

// fastCopier is a source that can fill a PostgreSQL table load without decoding its rows
// (raw binary COPY from PostgreSQL, COPY text from MySQL or a data file). copyFast says
// whether it took the table (handled false leaves it to the decoding pipeline); staged is
// what the staging table holds, sourceRows the window's row count as the source reported it
// while sending (-1 when it did not: verify counts then).
type fastCopier interface {
	copyFast(ctx context.Context, r *tableRun, pl *pgTableLoad) (handled bool, staged, sourceRows int64, err error)
}

// fastCopierOf is src's fast path into PostgreSQL, if it has one: its own, or the COPY text
// path of a source that hands over MySQL's text spellings.
func fastCopierOf(src Source) (fastCopier, bool) {
	if fc, ok := src.(fastCopier); ok {
		return fc, true
	}
	if ts, ok := src.(MySQLTextSource); ok {
		return mysqlTextCopier{ts}, true
	}
	return nil, false
}

// mysqlTextCopier copies from a MySQL text source into PostgreSQL as COPY text.
type mysqlTextCopier struct{ src MySQLTextSource }

// load streams the table into staging and publishes it.
func (r *tableRun) load(ctx context.Context) (TableStats, error) {
	r.start = time.Now()
	r.progress(Progress{Table: r.p.Name}) // the table starts: nothing read yet
	var err error
	if r.w, r.cursorCol, err = window(ctx, r.spec, r.cfg, r.dst, r.state, r.p); err != nil {
		return r.ts, err
	}
	if err := resumeObjects(ctx, r.spec, r.src, r.dst, r.state, r.p); err != nil {
		return r.ts, err
	}
	rej := &rejector{mode: r.cfg.SchemaContract.DataType, table: r.p.Name}
	r.w.reject = rej
	if r.tl, err = r.dst.Begin(ctx, r.p); err != nil {
		return r.ts, err
	}
	defer func() {
		if !r.published {
			r.tl.Abort()
		}
	}()
	if r.cursorCol != nil {
		r.cursorIdx, _ = r.p.Source.column(r.cursorCol.Name)
	}
	if r.cfg.Verify == VerifyChecksum {
		r.sum = &Checksum{}
	}

	// A source's fast path into PostgreSQL, when nothing needs the decoded values.
	if fc, ok := fastCopierOf(r.src); ok && r.sum == nil {
		if pl, ok := r.tl.(*pgTableLoad); ok && pl.allKept() {
			handled, staged, sourceRows, err := fc.copyFast(ctx, r, pl)
			if err != nil {
				return r.ts, r.failed(ctx, err)
			}
			if handled {
				return r.publish(ctx, staged, sourceRows)
			}
		}
	}
	copied, err := r.decodeAndCopy(ctx, rej)
	if err != nil {
		return r.ts, r.failed(ctx, err)
	}
	r.log.Debug("staged", "rows", copied, "seconds", time.Since(r.start).Seconds())
	return r.publish(ctx, copied, -1)
}

// failed names the table in a copy's error; a cancelled run says so rather than what the
// cancellation broke.
func (r *tableRun) failed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return fmt.Errorf("load %s: %w", r.p.Source.QualifiedName(), err)
}

// readProgress reports rows read so far.
func (r *tableRun) readProgress(n int64) {
	r.progress(Progress{Table: r.p.Name, RowsRead: n})
}

// decodeAndCopy is the general path: the source's reader fills batches (decoded values, the
// contract's checks, checksum and cursor on the way) while the destination copies them.
func (r *tableRun) decodeAndCopy(ctx context.Context, rej *rejector) (int64, error) {
	var newColumns []int
	if d, ok := r.tl.(interface{ Discarded() []int }); ok && r.cfg.SchemaContract.Columns == ContractDiscardRow {
		newColumns = d.Discarded()
	}
	var guards []valueGuard // data_type discard_*: values the destination's type cannot hold
	if d, ok := r.tl.(interface{ valueGuards() []valueGuard }); ok {
		guards = d.valueGuards()
	}

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full := make(chan *Batch, 1)
	free := make(chan *Batch, batchesInFlight)
	readDone := make(chan error, 1)
	allocated := 1
	go func() {
		defer close(full)
		readDone <- readTable(rctx, &r.spec, r.src, r.p, r.w, r.cfg.BatchSize, func(b *Batch) (*Batch, error) {
			if len(newColumns) > 0 {
				rej.newColumnRows(b, newColumns)
			}
			if len(guards) > 0 {
				rej.mismatchedValues(b, guards)
			}
			r.ts.RowsRead += int64(b.Len())
			r.ts.Bytes += b.Bytes
			if r.sum != nil {
				r.sum.AddBatch(b)
			}
			if r.cursorIdx >= 0 {
				for i := range b.Len() {
					if v := b.Row(i)[r.cursorIdx]; v != nil && (r.maxCursor == nil || compareValues(v, r.maxCursor) > 0) {
						r.maxCursor = v
					}
				}
			}
			select {
			case full <- b:
			case <-rctx.Done():
				return nil, rctx.Err()
			}
			select {
			case nb := <-free:
				nb.Reset()
				return nb, nil
			default:
			}
			if allocated < batchesInFlight {
				allocated++
				return NewBatch(b.Columns, r.cfg.BatchSize), nil
			}
			select {
			case nb := <-free:
				nb.Reset()
				return nb, nil
			case <-rctx.Done():
				return nil, rctx.Err()
			}
		})
	}()
	var current *Batch
	var rowsSeen int64
	var readErr error
	next := func() (*Batch, error) {
		if current != nil {
			free <- current
			current = nil
		}
		select {
		case b, ok := <-full:
			if !ok {
				readErr = <-readDone
				return nil, readErr
			}
			current = b
			rowsSeen += int64(b.Len())
			r.readProgress(rowsSeen)
			return b, nil
		case <-rctx.Done():
			return nil, rctx.Err()
		}
	}
	copied, err := r.tl.Copy(rctx, next)
	if err != nil {
		cancel()
		for range full { //nolint:revive // drain so the reader can finish
		}
		if readErr != nil {
			err = readErr
		}
		return copied, err
	}
	return copied, nil
}

// publish verifies and publishes the staged table, then saves the state kept outside.
// sourceRows, when >= 0, is the window's row count as the source server reported it while
// sending the rows (binary COPY's command tag, in the read's snapshot); otherwise verify
// counts the window at the source.
func (r *tableRun) publish(ctx context.Context, staged, sourceRows int64) (TableStats, error) {
	p, ts := r.p, r.ts
	pub := Publication{ExpectRows: -1, ExpectChecksum: r.sum, Staged: staged}
	rejectedRows := int64(0)
	if r.w.reject != nil {
		ts.RowsRejected, rejectedRows = r.w.reject.count()
		pub.Rejected = r.w.reject.kept
		ts.RowsRead += rejectedRows // read, then left out
	}
	if r.cfg.Verify == VerifyCount || r.cfg.Verify == VerifyChecksum {
		n := sourceRows
		if n < 0 {
			var err error
			if n, err = r.src.Count(ctx, p.Source, r.w); err != nil {
				return ts, fmt.Errorf("verify %s: count the source: %w", p.Source.QualifiedName(), err)
			}
		}
		pub.ExpectRows = n - rejectedRows // rows the contract left out are accounted for
	}
	newState := r.newState()
	pub.State = newState
	pub.Ledger = &LedgerEntry{Pipeline: r.spec.Pipeline, Attempt: cmp.Or(r.spec.Attempt, r.spec.RunID)}
	if newState != nil {
		pub.Ledger.Cursor = newState.Value
	}
	if r.spec.WithoutDestinationRecord {
		pub.State, pub.Ledger = nil, nil
	}
	out, err := r.tl.Publish(ctx, pub)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return ts, fmt.Errorf("publish %s: %w", p.Source.QualifiedName(), err)
	}
	r.published = true
	ts.RowsWritten = out.RowsWritten
	if r.state != nil && newState != nil && !out.AlreadyPublished {
		// Only a copy: the destination already holds the state, so a failure here (the
		// metadata database unreachable) must not fail a run whose rows are published.
		if err := r.state.Put(ctx, r.spec.Pipeline, newState.Table, newState.Value); err != nil {
			if r.spec.WithoutDestinationRecord {
				return ts, fmt.Errorf("save the incremental state of %s: %w", p.Source.QualifiedName(), err)
			}
			r.spec.Logger.Warn("the incremental state is saved in the destination; its copy in the metadata database could not be updated",
				"table", p.Source.QualifiedName(), "error", err)
		}
	}
	ts.Seconds = time.Since(r.start).Seconds()
	r.progress(Progress{Table: p.Name, RowsRead: ts.RowsRead, Done: true})
	r.spec.Logger.Info("table loaded", "run_id", r.spec.RunID, "table", p.Source.QualifiedName(), "rows_read", ts.RowsRead, "rows_written", ts.RowsWritten, "seconds", ts.Seconds)
	return ts, nil
}

// newState is the state published with the table: the incremental cursor's high-water mark,
// else what the source keeps of itself (a REST resource's cursor, the S3 objects loaded).
func (r *tableRun) newState() *StateEntry {
	if r.maxCursor != nil {
		st := &StateEntry{Pipeline: r.spec.Pipeline, Table: stateKey(r.p.Source), Value: Canonical(r.cursorCol.Type.Kind, r.maxCursor)}
		if r.cursorCol.Type.Kind == KindTimestampTZ {
			st.Value = r.maxCursor.(time.Time).UTC().Format(time.RFC3339Nano)
		}
		return st
	}
	if st := sourceState(r.spec, r.src, r.p.Source); st != nil {
		return st
	}
	return objectsState(r.spec, r.src, r.p)
}

// copyFast: PostgreSQL to PostgreSQL without checksum, raw binary COPY, no decoding.
func (s *postgresSource) copyFast(ctx context.Context, r *tableRun, pl *pgTableLoad) (bool, int64, int64, error) {
	// A whole-table merge into a table holding most of it stages only what differs.
	key, delta, err := deltaMergeKey(ctx, s, pl, r.w)
	if err != nil {
		return true, 0, 0, err
	}
	if delta {
		rows, bytes, staged, err := copyDelta(ctx, s, pl, r.w, key, r.readProgress)
		r.ts.RowsRead, r.ts.Bytes = rows, bytes
		if err != nil {
			return true, 0, 0, err
		}
		r.log.Debug("staged the rows that differ", "rows", rows, "staged", staged, "seconds", time.Since(r.start).Seconds())
		// Verify: the staging COPY took every row sent to it, and every source row was
		// either staged or found byte for byte in the target (copyDelta checks both).
		r.tl = pl
		return true, staged, staged, nil
	}
	rows, bytes, staged, err := passthrough(ctx, &r.spec, s, pl, r.w, r.readProgress)
	r.tl = staged // parallel ranges may stage elsewhere (ranges_postgres.go)
	r.ts.RowsRead, r.ts.Bytes = rows, bytes
	if err != nil {
		return true, 0, 0, err
	}
	if r.cursorIdx >= 0 && rows > 0 {
		if r.maxCursor, err = s.max(ctx, r.p.Source, r.w, r.cursorCol.Name); err != nil {
			return true, 0, 0, fmt.Errorf("read the cursor's high-water mark: %w", err)
		}
	}
	r.log.Debug("staged", "rows", rows, "seconds", time.Since(r.start).Seconds())
	// rows is what the source server reported sending from its snapshot of the window, and
	// equals what the destination server reported storing (copyStream checks): the count
	// verify=count would otherwise scan the source again for.
	return true, rows, rows, nil
}

// copyFast: MySQL to PostgreSQL, values as the server spells them, COPY text, no decoding.
func (c mysqlTextCopier) copyFast(ctx context.Context, r *tableRun, pl *pgTableLoad) (bool, int64, int64, error) {
	dt := r.cfg.SchemaContract.DataType
	if dt == ContractDiscardValue || dt == ContractDiscardRow || !mysqlTextKinds(r.p.Source) {
		return false, 0, 0, nil
	}
	rows, bytes, maxCursor, err := copyMySQLText(ctx, c.src, pl, r.w, r.cursorIdx, r.readProgress)
	if errors.Is(err, ErrNoTextQuery) {
		return false, 0, 0, nil
	}
	r.ts.RowsRead, r.ts.Bytes, r.maxCursor = rows, bytes, maxCursor
	if err != nil {
		return true, 0, 0, err
	}
	r.log.Debug("staged", "rows", rows, "seconds", time.Since(r.start).Seconds())
	return true, rows, -1, nil
}

// copyFast: a CSV, TSV or parquet file to PostgreSQL, values checked and passed as COPY text
// (copy_file_postgres.go).
func (s *fileSource) copyFast(ctx context.Context, r *tableRun, pl *pgTableLoad) (bool, int64, int64, error) {
	if !s.textCopyable(r.w) {
		return false, 0, 0, nil
	}
	rows, bytes, err := copyFileText(ctx, s, pl, r.w, r.readProgress)
	r.ts.RowsRead, r.ts.Bytes = rows, bytes
	if err != nil {
		return true, 0, 0, err
	}
	return true, rows, rows, nil
}
