package load

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sync/atomic"
)

// PostgreSQL to PostgreSQL, rows need not be decoded at all: the source sends binary COPY
// data with every column cast to its destination type, and the destination takes the same
// bytes. This is what makes the engine as fast as psql piping COPY into COPY. The stream is
// only framed, to count rows for progress; checksums (which need values) use the decoding path.

// copyPassthrough loads a window from a PostgreSQL source into a PostgreSQL destination's
// staging as raw binary COPY data.
func copyPassthrough(ctx context.Context, src *postgresSource, dst *pgTableLoad, w Window,
	progress func(rows int64)) (rows, bytes int64, err error) {
	return copyStream(ctx, src, dst, w, dst.copyBinary, progress)
}

// copyStream is copyPassthrough with the destination's COPY given: into takes the binary COPY
// data (parallel key ranges each COPY over their own connection, ranges_postgres.go).
func copyStream(ctx context.Context, src *postgresSource, dst *pgTableLoad, w Window,
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
		return 0, fr.bytes.Load(), fmt.Errorf("%w: %s: the source sent %d rows, the destination took %d", ErrVerify, t.QualifiedName(), out.n, n)
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
