package load

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
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

// FastCopy is one table's load as a destination's fast path sees it: what to read, and what
// the path reports back.
type FastCopy struct {
	Spec   *Spec
	Config Config
	Plan   *TablePlan
	Window Window
	// CursorIndex is the incremental cursor's column in Plan.Source, -1 without one.
	CursorIndex int
	// Progress reports the rows read so far; Log is the table's logger, Start when it began.
	Progress func(rowsRead int64)
	Log      *slog.Logger
	Start    time.Time

	// Set by the path that took the table: its name (tests tell the paths apart by it), the
	// rows and bytes read, the cursor's high-water mark (nil: none), and the TableLoad that
	// holds the staged rows when it is not the one Begin returned (parallel key ranges).
	Path      string
	RowsRead  int64
	Bytes     int64
	MaxCursor any
	Staged    TableLoad
}

// FastCopier is a TableLoad that can fill its staging from the source without decoding its
// rows (PostgreSQL: raw binary COPY from PostgreSQL, COPY text from MySQL or a data file,
// chosen by what the source can do). It is asked only when nothing needs the decoded values
// (no checksum). handled false leaves the table to the decoding pipeline; staged is what the
// staging holds, sourceRows the window's row count as the source reported it while sending
// (-1 when it did not: verify counts then).
type FastCopier interface {
	CopyFast(ctx context.Context, src Source, c *FastCopy) (handled bool, staged, sourceRows int64, err error)
}

// fastCopies counts the tables each fast path took, by FastCopy.Path (tests check which path
// a load took).
var fastCopies sync.Map

func countFastCopy(path string) {
	n, _ := fastCopies.LoadOrStore(path, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
}

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
		r.cursorIdx, _ = r.p.Source.Column(r.cursorCol.Name)
	}
	if r.cfg.Verify == VerifyChecksum {
		r.sum = &Checksum{}
	}

	// The destination's fast path from this source, when nothing needs the decoded values.
	if fc, ok := r.tl.(FastCopier); ok && r.sum == nil {
		c := &FastCopy{Spec: &r.spec, Config: r.cfg, Plan: r.p, Window: r.w, CursorIndex: r.cursorIdx,
			Progress: r.readProgress, Log: r.log, Start: r.start}
		handled, staged, sourceRows, err := fc.CopyFast(ctx, r.src, c)
		if c.Staged != nil {
			r.tl = c.Staged // parallel ranges may stage elsewhere
		}
		if handled {
			r.ts.RowsRead, r.ts.Bytes = c.RowsRead, c.Bytes
			if c.MaxCursor != nil {
				r.maxCursor = c.MaxCursor
			}
		}
		if err != nil {
			return r.ts, r.failed(ctx, err)
		}
		if handled {
			countFastCopy(c.Path)
			return r.publish(ctx, staged, sourceRows)
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
	var guards []ValueGuard // data_type discard_*: values the destination's type cannot hold
	if d, ok := r.tl.(interface{ ValueGuards() []ValueGuard }); ok {
		guards = d.ValueGuards()
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
					if v := b.Row(i)[r.cursorIdx]; v != nil && (r.maxCursor == nil || CompareValues(v, r.maxCursor) > 0) {
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
