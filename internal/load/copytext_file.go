package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// CSV and TSV files to PostgreSQL as COPY text (parquet files go as binary COPY,
// copybinary_file.go): every value is still checked against its
// column's kind (a value that does not fit follows the contract as on the decoding path), but it
// is passed on as the file spells it, escaped for COPY, instead of being converted to a Go value
// and encoded again — PostgreSQL reads the spellings the checks accept (integers, decimals in
// plain or exponent form, ISO dates and timestamps with or without a zone, true/false/t/f,
// UUIDs). The decoding path's boxing and pgx's binary encoding of decimals cost more client CPU
// than parsing the file (docs/benchmarks.md, "File sources").
//
// It is taken when nothing needs the values themselves: no checksum, a data_type contract of
// evolve or freeze (discard_* records rows one by one), and every column written.

// CopyTextSource is a source that can write a window of a table as PostgreSQL's COPY text,
// checking every value against its column's kind but passing it on as spelled (file sources:
// CSV, TSV). PostgreSQL's COPY text path takes it.
type CopyTextSource interface {
	Source
	// CopyTextable says whether the window can be written so: no filter, no cursor, and a
	// data_type contract of evolve or freeze.
	CopyTextable(w Window) bool
	// WriteCopyText writes the window's rows of t to bw as COPY text lines in t's column order,
	// reporting the rows written so far to progress, and returns the rows and the bytes read.
	WriteCopyText(ctx context.Context, t *Table, w Window, bw *bufio.Writer, progress func(rows int64)) (rows, bytes int64, err error)
}

// CopyTextable says whether the file source can take the COPY text path.
func (s *fileSource) CopyTextable(w Window) bool {
	return (s.format == "csv" || s.format == "tsv") && s.fastWindow(w)
}

// fastWindow says whether nothing in the window needs decoded values: no filter, no cursor, and
// a data_type contract of evolve or freeze (discard_* records rows one by one).
func (s *fileSource) fastWindow(w Window) bool {
	return len(w.Filters) == 0 && w.Cursor == "" &&
		(w.reject == nil || w.reject.mode == ContractEvolve || w.reject.mode == ContractFreeze)
}

// WriteCopyText writes the pending objects as COPY text.
func (s *fileSource) WriteCopyText(ctx context.Context, t *Table, w Window, bw *bufio.Writer, progress func(rows int64)) (rows, bytes int64, err error) {
	rd := &rowReader{s: s, t: t, w: w}
	return s.eachPending(ctx, progress, func(obj fileObject, report func(int64)) (int64, error) {
		return s.writeCSVText(ctx, obj, rd, bw, report)
	})
}

// eachPending writes each pending object with write, which reports its own rows so far;
// progress hears the rows of every object so far. It returns the rows written and the bytes
// of the objects read.
func (s *fileSource) eachPending(ctx context.Context, progress func(rows int64),
	write func(obj fileObject, report func(int64)) (int64, error)) (rows, bytes int64, err error) {
	s.rows = 0
	for _, obj := range s.pending {
		if err = ctx.Err(); err != nil {
			break
		}
		var n int64
		n, err = write(obj, func(r int64) { progress(rows + r) })
		rows += n
		bytes += obj.Size
		if err != nil {
			break
		}
	}
	return rows, bytes, err
}

// writeCSVText writes one object's records as COPY text lines, in the table's column order.
func (s *fileSource) writeCSVText(ctx context.Context, obj fileObject, rd *rowReader, bw *bufio.Writer, progress func(int64)) (int64, error) {
	r, closeFn, err := openText(ctx, obj)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", obj.Name, err)
	}
	defer func() { _ = closeFn() }()
	d := s.dialect
	cr := newCSVReader(decodeReader(r, d.Encoding), d.Delimiter, d.Quote)
	cols := rd.t.Columns
	fileIdx := -1
	if s.fileColumn != "" {
		fileIdx, _ = rd.t.Column(s.fileColumn)
	}
	field := make([]int, len(cols)) // the file's field of each table column, -1 for none
	var pos []int
	setPositions := func() {
		for i := range field {
			field[i] = -1
		}
		for i, ci := range pos {
			field[ci] = i
		}
	}
	if !d.Header {
		for i := range cols {
			if i != fileIdx {
				pos = append(pos, i)
			}
		}
		setPositions()
	}
	var line []byte
	var rows int64
	for {
		rec, quoted, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, fmt.Errorf("%s: %w", obj.Name, err)
		}
		if pos == nil {
			if pos, err = s.headerPositions(obj, rec, rd.t); err != nil {
				return rows, err
			}
			setPositions()
			continue
		}
		if len(rec) > len(pos) {
			return rows, fmt.Errorf("%s, line %d: %d fields where the header has %d", obj.Name, cr.line, len(rec), len(pos))
		}
		line = line[:0]
		for ci := range cols {
			if ci > 0 {
				line = append(line, '\t')
			}
			if ci == fileIdx {
				line = AppendCopyEscaped(line, []byte(obj.Name))
				continue
			}
			fi := field[ci]
			if fi < 0 || fi >= len(rec) || s.isNull(rec[fi], quoted[fi], cols[ci].Type.Kind) {
				line = append(line, '\\', 'N')
				continue
			}
			v := rec[fi]
			k := cols[ci].Type.Kind
			if k == KindText {
				line = AppendCopyEscaped(line, []byte(v))
				continue
			}
			out, err := textForCopy(k, v)
			if err != nil {
				_, ferr := rd.badValue(obj, int64(cr.line), ci, v, err, nil)
				return rows, ferr
			}
			line = AppendCopyEscaped(line, []byte(out))
		}
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return rows, err
		}
		rows++
		s.rows++
		if rows%10000 == 0 {
			progress(rows)
		}
	}
}

// textForCopy checks that v is a value of kind k and returns how COPY text is to read it.
func textForCopy(k Kind, v string) (string, error) {
	switch k {
	case KindInt64, KindInt32, KindInt16:
		if isInteger(v) {
			return v, nil
		}
	case KindDecimal:
		if isPlainDecimal(v) || fitsKind(KindFloat64, v) {
			return v, nil
		}
	case KindFloat64, KindFloat32:
		if fitsKind(KindFloat64, v) {
			return v, nil
		}
	case KindBool:
		if b, ok := parseFileBool(v); ok {
			if b {
				return "t", nil
			}
			return "f", nil
		}
	case KindDate:
		if fitsKind(KindDate, v) {
			return v, nil
		}
	case KindTimestamp, KindTimestampTZ:
		tv, err := fileValue(k, v)
		if err != nil {
			break
		}
		if pgReadsAsIs(v) {
			return v, nil
		}
		// More than microseconds, or a zone spelled otherwise: as the decoding path sends it
		// (cut to the microsecond, never rounded).
		tm := tv.(time.Time).Truncate(time.Microsecond)
		if k == KindTimestampTZ {
			return tm.UTC().Format("2006-01-02 15:04:05.999999") + "+00", nil
		}
		return tm.Format("2006-01-02 15:04:05.999999"), nil
	case KindUUID:
		if fitsKind(KindUUID, v) {
			return v, nil
		}
	case KindJSON:
		out, err := fileValue(k, v)
		if err != nil {
			return "", err
		}
		return out.(string), nil
	}
	_, err := fileValue(k, v)
	if err == nil {
		err = fmt.Errorf("%q is not a %s", v, fileTypeName(k))
	}
	return "", err
}

// pgReadsAsIs says PostgreSQL reads an ISO date and time (already checked) to the same
// microsecond as the decoding path: at most six fractional digits and a zone of Z, ±HH or
// ±HH:MM, or none.
func pgReadsAsIs(s string) bool {
	if len(s) <= 10 {
		return true // a date
	}
	rest := s[11:]
	zone := ""
	if i := strings.IndexAny(rest, "Z+-"); i >= 0 {
		rest, zone = rest[:i], rest[i:]
	}
	if _, frac, ok := strings.Cut(rest, "."); ok && len(frac) > 6 {
		return false
	}
	switch {
	case zone == "" || zone == "Z":
		return true
	case len(zone) == 3:
		return true
	case len(zone) == 6 && zone[3] == ':':
		return true
	}
	return false
}

// AppendCopyEscaped appends b with COPY text's escapes: backslash, tab, newline, carriage return.
func AppendCopyEscaped(dst, b []byte) []byte {
	start := 0
	for i, c := range b {
		var esc byte
		switch c {
		case '\\':
			esc = '\\'
		case '\t':
			esc = 't'
		case '\n':
			esc = 'n'
		case '\r':
			esc = 'r'
		default:
			continue
		}
		dst = append(dst, b[start:i]...)
		dst = append(dst, '\\', esc)
		start = i + 1
	}
	return append(dst, b[start:]...)
}
