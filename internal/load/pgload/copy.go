package pgload

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/datanika/datanika/internal/load"
)

// PostgreSQL to PostgreSQL, rows need not be decoded at all: the source sends binary COPY
// data with every column cast to its destination type, and the destination takes the same
// bytes. This is what makes the engine as fast as psql piping COPY into COPY. The stream is
// only framed, to count rows for progress; checksums (which need values) use the decoding path.

// copyPassthrough loads a window from a PostgreSQL source into a PostgreSQL destination's
// staging as raw binary COPY data.
func copyPassthrough(ctx context.Context, src *postgresSource, dst *pgTableLoad, w load.Window,
	progress func(rows int64)) (rows, bytes int64, err error) {
	return copyStream(ctx, src, dst, w, dst.copyBinary, progress)
}

// copyStream is copyPassthrough with the destination's COPY given: into takes the binary COPY
// data (parallel key ranges each COPY over their own connection, ranges_postgres.go).
func copyStream(ctx context.Context, src *postgresSource, dst *pgTableLoad, w load.Window,
	into func(context.Context, io.Reader) (int64, error), progress func(rows int64)) (rows, bytes int64, err error) {
	t := dst.plan.Source
	var extra []string // replace's new table fills the two _dnk columns by defaults
	pr, pw := io.Pipe()
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		// The server sends a message per row; buffering hands the destination large chunks
		// instead of one small read per row.
		bw := bufio.NewWriterSize(pw, 256<<10)
		n, err := src.copyOut(ctx, t, w, extra, bw)
		if err == nil {
			err = bw.Flush()
		}
		_ = pw.CloseWithError(err)
		done <- result{n, err}
	}()
	fr := &copyFramer{r: pr, progress: progress}
	n, err := into(ctx, fr)
	if err != nil {
		_ = pr.CloseWithError(err)
	}
	out := <-done
	switch {
	case out.err != nil:
		return 0, fr.bytes.Load(), out.err
	case err != nil:
		return 0, fr.bytes.Load(), err
	case n != out.n:
		return 0, fr.bytes.Load(), fmt.Errorf("%w: %s: the source sent %d rows, the destination took %d", load.ErrVerify, t.QualifiedName(), out.n, n)
	}
	return n, fr.bytes.Load(), nil
}

// copyFramer passes binary COPY data through, counting bytes and rows.
type copyFramer struct {
	r        io.Reader
	progress func(rows int64)
	// bytes is read by the caller while pgx's reading goroutine may still run after an error.
	bytes atomic.Int64
	rows  int64
	// The parser: what is being read, how many bytes of it are still due, and a few bytes of
	// an integer split across reads.
	state   int
	need    int
	partial []byte
	// left is the number of fields of the current row still to read.
	left int
}

const (
	frameHeader = iota // 11-byte signature, flags, extension length
	frameExtension
	frameFieldCount
	frameFieldLength
	frameFieldData
	frameTrailer
)

func (f *copyFramer) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	f.bytes.Add(int64(n))
	f.scan(p[:n])
	return n, err
}

func (f *copyFramer) scan(b []byte) {
	if f.need == 0 && f.state == frameHeader && len(f.partial) == 0 {
		f.need = 19
	}
	for len(b) > 0 {
		switch f.state {
		case frameExtension, frameFieldData, frameTrailer:
			k := min(f.need, len(b))
			f.need -= k
			b = b[k:]
			if f.need == 0 && f.state != frameTrailer {
				f.state, f.need = frameFieldLength, 4
				if f.left == 0 {
					f.state, f.need = frameFieldCount, 2
				}
			}
			continue
		}
		k := min(f.need-len(f.partial), len(b))
		f.partial = append(f.partial, b[:k]...)
		b = b[k:]
		if len(f.partial) < f.need {
			return
		}
		v := f.partial
		f.partial = f.partial[:0]
		switch f.state {
		case frameHeader:
			ext := int(binary.BigEndian.Uint32(v[15:19]))
			f.state, f.need = frameExtension, ext
			if ext == 0 {
				f.state, f.need = frameFieldCount, 2
			}
		case frameFieldCount:
			cnt := binary.BigEndian.Uint16(v)
			if cnt == 0xFFFF { // -1: the trailer
				f.state, f.need = frameTrailer, 1<<30
				continue
			}
			f.rows++
			if f.progress != nil && f.rows%10000 == 0 {
				f.progress(f.rows)
			}
			f.left = int(cnt)
			f.state, f.need = frameFieldLength, 4
			if f.left == 0 {
				f.state, f.need = frameFieldCount, 2
			}
		case frameFieldLength:
			l := binary.BigEndian.Uint32(v) // 0xFFFFFFFF (-1) is NULL, without data
			f.left--
			switch {
			case l > 0 && l != 0xFFFFFFFF:
				f.state, f.need = frameFieldData, int(l)
			case f.left == 0:
				f.state, f.need = frameFieldCount, 2
			default:
				f.state, f.need = frameFieldLength, 4
			}
		}
	}
}

// CopyFast takes the source's fast path into PostgreSQL, chosen by what the source can do,
// when every source column is written and no value needs checking one by one.
func (l *pgTableLoad) CopyFast(ctx context.Context, src load.Source, c *load.FastCopy) (bool, int64, int64, error) {
	if !l.AllKept() {
		return false, 0, 0, nil
	}
	switch s := src.(type) {
	case *postgresSource:
		return s.copyFast(ctx, l, c)
	case load.CopyTextSource:
		return copyFileFast(ctx, s, l, c)
	case load.MySQLTextSource:
		return copyMySQLFast(ctx, s, l, c)
	}
	return false, 0, 0, nil
}

// copyFast: PostgreSQL to PostgreSQL without checksum, raw binary COPY, no decoding.
func (s *postgresSource) copyFast(ctx context.Context, pl *pgTableLoad, c *load.FastCopy) (bool, int64, int64, error) {
	// A whole-table merge into a table holding most of it stages only what differs.
	key, delta, err := deltaMergeKey(ctx, s, pl, c.Window)
	if err != nil {
		return true, 0, 0, err
	}
	if delta {
		rows, bytes, staged, err := copyDelta(ctx, s, pl, c.Window, key, c.Progress)
		c.Path, c.RowsRead, c.Bytes = "postgres_delta", rows, bytes
		if err != nil {
			return true, 0, 0, err
		}
		c.Log.Debug("staged the rows that differ", "rows", rows, "staged", staged, "seconds", time.Since(c.Start).Seconds())
		// Verify: the staging COPY took every row sent to it, and every source row was
		// either staged or found byte for byte in the target (copyDelta checks both).
		c.Staged = pl
		return true, staged, staged, nil
	}
	rows, bytes, staged, err := passthrough(ctx, c.Spec, s, pl, c.Window, c.Progress)
	c.Staged = staged // parallel ranges may stage elsewhere (ranges.go)
	c.Path, c.RowsRead, c.Bytes = "postgres_raw", rows, bytes
	if err != nil {
		return true, 0, 0, err
	}
	if c.CursorIndex >= 0 && rows > 0 {
		if c.MaxCursor, err = s.max(ctx, c.Plan.Source, c.Window, c.Plan.Source.Columns[c.CursorIndex].Name); err != nil {
			return true, 0, 0, fmt.Errorf("read the cursor's high-water mark: %w", err)
		}
	}
	c.Log.Debug("staged", "rows", rows, "seconds", time.Since(c.Start).Seconds())
	// rows is what the source server reported sending from its snapshot of the window, and
	// equals what the destination server reported storing (copyStream checks): the count
	// verify=count would otherwise scan the source again for.
	return true, rows, rows, nil
}

// copyMySQLFast: MySQL to PostgreSQL, values as the server spells them, COPY text, no
// decoding (copy_mysql.go).
func copyMySQLFast(ctx context.Context, s load.MySQLTextSource, pl *pgTableLoad, c *load.FastCopy) (bool, int64, int64, error) {
	dt := c.Config.SchemaContract.DataType
	if dt == load.ContractDiscardValue || dt == load.ContractDiscardRow || !mysqlTextKinds(c.Plan.Source) {
		return false, 0, 0, nil
	}
	rows, bytes, maxCursor, err := copyMySQLText(ctx, s, pl, c.Window, c.CursorIndex, c.Progress)
	if errors.Is(err, load.ErrNoTextQuery) {
		return false, 0, 0, nil
	}
	c.Path, c.RowsRead, c.Bytes, c.MaxCursor = "mysql_text", rows, bytes, maxCursor
	if err != nil {
		return true, 0, 0, err
	}
	c.Log.Debug("staged", "rows", rows, "seconds", time.Since(c.Start).Seconds())
	return true, rows, -1, nil
}

// copyFileFast: a parquet file to PostgreSQL as binary COPY (copy_file.go), or a CSV or TSV
// file with values checked and passed as COPY text.
func copyFileFast(ctx context.Context, s load.CopyTextSource, pl *pgTableLoad, c *load.FastCopy) (bool, int64, int64, error) {
	if bs, ok := s.(load.CopyBinarySource); ok && bs.CopyBinary(c.Window) {
		rows, bytes, err := copyFileBinary(ctx, bs, pl, c.Window, c.Progress)
		c.Path, c.RowsRead, c.Bytes = "file_binary", rows, bytes
		if err != nil {
			return true, 0, 0, err
		}
		return true, rows, rows, nil
	}
	if !s.CopyTextable(c.Window) {
		return false, 0, 0, nil
	}
	rows, bytes, err := copyFileText(ctx, s, pl, c.Window, c.Progress)
	c.Path, c.RowsRead, c.Bytes = "file_text", rows, bytes
	if err != nil {
		return true, 0, 0, err
	}
	return true, rows, rows, nil
}
