package pgload

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"

	"github.com/datanika/datanika/internal/load"

	"github.com/jackc/pgx/v5"
)

// A merge of a whole PostgreSQL table into a PostgreSQL table that already holds most of it
// stages only what differs. The source is read ordered by its integer key, the target likewise
// over a second connection, and the two binary COPY streams are walked side by side: a row whose
// bytes equal the target row of the same key is already there and is left out; new and changed
// rows go on, as they came, into the staging table that MERGE publishes. At 2,000,000 rows of
// which 85 % arrive unchanged (benchmark c), that stages 300,000 rows instead of 2,000,000 and
// MERGE joins them, not the whole table, with the target (docs/benchmarks.md).
//
// Equal bytes mean equal values when both sides have the same type, which is required of every
// column (the source is cast to the staging types, which must be the target's). Different bytes
// may still be equal values (numeric 1.0 and 1.00 in an unconstrained column, -0 and 0): such a
// row is staged, and MERGE's IS DISTINCT FROM leaves it alone — never a change missed.
//
// The publishing transaction begins first and locks the target against other writers (SHARE ROW
// EXCLUSIVE; readers go on), so the target read over the second connection is what the MERGE
// will find. A run killed or cancelled at any point rolls back: the destination is as it was.

// deltaMergeMinRows is the target size from which a merge is read as a delta: below it, the
// plain staging costs less than a second read of the target.
const deltaMergeMinRows = 50_000

// deltaMergeKey says whether the load can merge as a delta, and which column is the key.
func deltaMergeKey(ctx context.Context, src *postgresSource, dst *pgTableLoad, w load.Window) (int, bool, error) {
	p := dst.plan
	if p.Disposition != load.Merge || !dst.Exists || !p.KeysUnique || len(p.Keys) != 1 || !dst.AllKept() ||
		w.Cursor != "" || w.From != nil || len(w.Filters) > 0 || pgLegacyMerge || noDeltaMerge {
		return -1, false, nil
	}
	key := slices.Index(p.Columns, p.Keys[0])
	if key < 0 {
		return -1, false, nil
	}
	switch p.Source.Columns[key].Type.Kind {
	case load.KindInt16, load.KindInt32, load.KindInt64:
	default:
		return -1, false, nil
	}
	for i, c := range p.Source.Columns {
		idx := slices.IndexFunc(dst.Existing, func(e load.ExistingColumn) bool { return e.Name == p.Columns[i] })
		if idx < 0 || !sameType(dst.Existing[idx].Type, load.PostgresColumnType(c.Type)) {
			return -1, false, nil
		}
	}
	// The target must hold each key once (a primary key or unique index on exactly the key
	// column), and be big enough for the second read to pay.
	var unique bool
	var targetRows float64
	if err := dst.d.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid
  AND a.attnum = i.indkey[0] WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indnkeyatts = 1 AND i.indpred IS NULL
  AND a.attname = $2), (SELECT reltuples FROM pg_class WHERE oid = $1::regclass)`,
		dst.d.qualified(p.Name), p.Keys[0]).Scan(&unique, &targetRows); err != nil {
		return -1, false, err
	}
	if !unique || targetRows < deltaMergeMinRows {
		return -1, false, nil
	}
	dst.deltaTargetRows = int64(targetRows)
	est, err := src.EstimateRows(ctx, p.Source)
	if err != nil || float64(est) < targetRows/4 {
		return -1, false, err // a small window into a big table: the plain merge reads less
	}
	return key, true, nil
}

// copyDelta stages the window's rows that differ from the target, inside the publishing
// transaction it begins (Publish commits it). It returns the rows read from the source, the
// bytes read and the rows staged.
func copyDelta(ctx context.Context, src *postgresSource, dst *pgTableLoad, w load.Window, key int,
	progress func(rows int64)) (rows, read, staged int64, err error) {
	d, p := dst.d, dst.plan
	target := d.qualified(p.Name)
	tx, err := d.conn.Begin(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	dst.stageTx = tx // Publish commits it, Abort rolls it back
	if _, err := tx.Exec(ctx, "LOCK TABLE "+target+" IN SHARE ROW EXCLUSIVE MODE"); err != nil {
		return 0, 0, 0, fmt.Errorf("lock %q: %w", p.Name, err)
	}
	other, err := pgx.ConnectConfig(ctx, d.cc)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("connect to destination postgres %s: %w", d.cc.Host, err)
	}
	defer func() { _ = other.Close(context.WithoutCancel(ctx)) }()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		n   int64
		err error
	}
	// The source, ordered by the key (no bound: the Window has none here).
	srcR, srcW := io.Pipe()
	srcDone := make(chan result, 1)
	go func() {
		bw := bufio.NewWriterSize(srcW, 256<<10)
		ordered := w
		ordered.Cursor = p.Source.Columns[key].Name
		n, err := src.copyOut(ctx, p.Source, ordered, nil, bw)
		if err == nil {
			err = bw.Flush()
		}
		_ = srcW.CloseWithError(err)
		srcDone <- result{n, err}
	}()
	// The target, the same columns in the same order, ordered by the key.
	tgtR, tgtW := io.Pipe()
	tgtDone := make(chan result, 1)
	go func() {
		bw := bufio.NewWriterSize(tgtW, 256<<10)
		tag, err := other.PgConn().CopyTo(ctx, bw, "COPY (SELECT "+identList(dst.copyColumns())+" FROM "+target+
			" ORDER BY "+pgIdent(p.Keys[0])+") TO STDOUT (FORMAT binary)")
		if err == nil {
			err = bw.Flush()
		}
		_ = tgtW.CloseWithError(err)
		tgtDone <- result{tag.RowsAffected(), err}
	}()
	// The staging COPY, in the publishing transaction.
	stR, stW := io.Pipe()
	stDone := make(chan result, 1)
	go func() {
		n, err := dst.copyIn(ctx, stR, true)
		_ = stR.CloseWithError(err)
		stDone <- result{n, err}
	}()

	rows, read, staged, err = walkDelta(newCopyRows(srcR), newCopyRows(tgtR), key, stW, progress)
	if err != nil {
		cancel()
		_ = srcR.CloseWithError(err)
		_ = tgtR.CloseWithError(err)
	} else {
		// Target rows past the source's last key were not needed: read them out so that the
		// target's COPY ends normally.
		_, _ = io.Copy(io.Discard, tgtR)
	}
	_ = stW.CloseWithError(err)
	s, t, st := <-srcDone, <-tgtDone, <-stDone
	switch {
	case err != nil:
		return rows, read, 0, err
	case s.err != nil:
		return rows, read, 0, fmt.Errorf("read %s: %w", p.Source.QualifiedName(), s.err)
	case t.err != nil:
		return rows, read, 0, fmt.Errorf("read %q: %w", p.Name, t.err)
	case st.err != nil:
		return rows, read, 0, st.err
	case s.n != rows:
		return rows, read, 0, fmt.Errorf("%w: %s: the source sent %d rows, %d arrived", load.ErrVerify, p.Source.QualifiedName(), s.n, rows)
	case st.n != staged:
		return rows, read, 0, fmt.Errorf("%w: %s: %d rows staged, the destination took %d", load.ErrVerify, p.Source.QualifiedName(), staged, st.n)
	}
	dst.windowRows = rows
	deltaMerges.Add(1)
	return rows, read, staged, nil
}

// noDeltaMerge turns delta merges off and deltaMerges counts them (tests compare both paths).
var (
	noDeltaMerge bool
	deltaMerges  atomic.Int64
)

// walkDelta walks the source and target rows in key order and writes the source rows that are
// new or differ to out as binary COPY data.
func walkDelta(src, tgt *copyRows, key int, out io.Writer, progress func(int64)) (rows, read, staged int64, err error) {
	bw := bufio.NewWriterSize(out, 256<<10)
	if _, err := bw.Write(copyHeader); err != nil {
		return 0, 0, 0, err
	}
	tgtOK, err := tgt.next()
	if err != nil {
		return 0, 0, 0, err
	}
	for {
		ok, err := src.next()
		if err != nil {
			return rows, src.bytes, staged, err
		}
		if !ok {
			break
		}
		rows++
		if progress != nil && rows%10000 == 0 {
			progress(rows)
		}
		k, err := src.int(key)
		if err != nil {
			return rows, src.bytes, staged, err
		}
		same := false
		for tgtOK {
			tk, err := tgt.int(key)
			if err != nil {
				return rows, src.bytes, staged, err
			}
			if tk >= k {
				same = tk == k && bytes.Equal(src.row, tgt.row)
				break
			}
			if tgtOK, err = tgt.next(); err != nil {
				return rows, src.bytes, staged, err
			}
		}
		if same {
			continue
		}
		if _, err := bw.Write(src.row); err != nil {
			return rows, src.bytes, staged, err
		}
		staged++
	}
	if _, err := bw.Write([]byte{0xff, 0xff}); err != nil {
		return rows, src.bytes, staged, err
	}
	return rows, src.bytes, staged, bw.Flush()
}

// copyHeader starts binary COPY data: the signature, no flags, no header extension.
var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// copyRows reads binary COPY data row by row: row holds the current row's bytes (its field
// count, then each field's length and data), as COPY FROM takes them back.
type copyRows struct {
	r      *bufio.Reader
	row    []byte
	fields []int // offset of each field's length word in row
	bytes  int64
	header bool
}

func newCopyRows(r io.Reader) *copyRows { return &copyRows{r: bufio.NewReaderSize(r, 256<<10)} }

var errCopyData = errors.New("malformed binary COPY data")

// next reads the next row; false at the end of the data.
func (c *copyRows) next() (bool, error) {
	if !c.header {
		var h [19]byte
		if _, err := io.ReadFull(c.r, h[:]); err != nil {
			return false, err
		}
		if !bytes.Equal(h[:11], copyHeader[:11]) {
			return false, errCopyData
		}
		if ext := binary.BigEndian.Uint32(h[15:]); ext > 0 {
			if _, err := c.r.Discard(int(ext)); err != nil {
				return false, err
			}
		}
		c.bytes += 19
		c.header = true
	}
	c.row = c.row[:0]
	c.fields = c.fields[:0]
	var b [4]byte
	if _, err := io.ReadFull(c.r, b[:2]); err != nil {
		return false, err
	}
	n := int16(binary.BigEndian.Uint16(b[:2])) //nolint:gosec // the wire format is two's complement (-1: the trailer)
	if n == -1 {
		return false, nil
	}
	if n < 0 {
		return false, errCopyData
	}
	c.row = append(c.row, b[:2]...)
	for range n {
		if _, err := io.ReadFull(c.r, b[:4]); err != nil {
			return false, err
		}
		c.fields = append(c.fields, len(c.row))
		c.row = append(c.row, b[:4]...)
		l := int32(binary.BigEndian.Uint32(b[:4])) //nolint:gosec // two's complement (-1: NULL)
		if l > 0 {
			start := len(c.row)
			c.row = slices.Grow(c.row, int(l))[:start+int(l)]
			if _, err := io.ReadFull(c.r, c.row[start:]); err != nil {
				return false, err
			}
		}
	}
	c.bytes += int64(len(c.row))
	return true, nil
}

// int is field i of the current row as an integer (int2, int4 or int8).
func (c *copyRows) int(i int) (int64, error) {
	if i >= len(c.fields) {
		return 0, errCopyData
	}
	at := c.fields[i]
	l := int32(binary.BigEndian.Uint32(c.row[at:])) //nolint:gosec // two's complement (-1: NULL)
	v := c.row[at+4:]
	switch l {
	case 2:
		return int64(int16(binary.BigEndian.Uint16(v))), nil //nolint:gosec // int2, two's complement
	case 4:
		return int64(int32(binary.BigEndian.Uint32(v))), nil //nolint:gosec // int4, two's complement
	case 8:
		return int64(binary.BigEndian.Uint64(v)), nil //nolint:gosec // int8, two's complement
	default:
		return 0, fmt.Errorf("%w: a key of %d bytes", errCopyData, l)
	}
}
