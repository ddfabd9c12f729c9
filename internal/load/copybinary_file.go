package load

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/parquet-go/parquet-go"

	"github.com/datanika/datanika/internal/load/pgcopy"
)

// Parquet files to PostgreSQL as binary COPY: parquet's values are typed already, so they are
// written in each staging column's binary form (pgcopy) and PostgreSQL reads the bytes instead
// of parsing text — decimals and timestamps are most of the server's work on a text path
// (docs/benchmarks.md, "File sources").
//
// The staging columns on this path are the source columns' own types (PostgreSQL's type of
// each kind; no value guards, as the window asks for evolve or freeze), so each column is
// written by its kind. A table with a kind the binary path does not write goes the decoding
// way.

// CopyBinarySource is a source that can write a window of a table in PostgreSQL's binary COPY
// format, each column in the binary form of its kind's PostgreSQL type (parquet files).
// PostgreSQL's binary COPY path takes it.
type CopyBinarySource interface {
	Source
	// CopyBinary says whether the window can be written so: every column of a kind with a
	// binary form, no filter, no cursor, a data_type contract of evolve or freeze.
	CopyBinary(w Window) bool
	// WriteCopyBinary writes the window's rows of t to out in t's column order, reporting the
	// rows written so far to progress, and returns the rows and the bytes read. It does not
	// close out.
	WriteCopyBinary(ctx context.Context, t *Table, w Window, out *pgcopy.Writer, progress func(rows int64)) (rows, bytes int64, err error)
}

// CopyBinary says whether the file source can take the binary COPY path.
func (s *fileSource) CopyBinary(w Window) bool {
	return s.format == "parquet" && s.table != nil && parquetBinaryCopyable(s.table) && s.fastWindow(w)
}

// WriteCopyBinary writes the pending parquet objects as binary COPY rows.
func (s *fileSource) WriteCopyBinary(ctx context.Context, t *Table, w Window, out *pgcopy.Writer, progress func(rows int64)) (rows, bytes int64, err error) {
	rd := &rowReader{s: s, t: t, w: w}
	return s.eachPending(ctx, progress, func(obj fileObject, report func(int64)) (int64, error) {
		return s.writeParquetBinary(ctx, obj, rd, out, report)
	})
}

// parquetBinaryCopyable says whether every column of t has a binary form here.
func parquetBinaryCopyable(t *Table) bool {
	for _, c := range t.Columns {
		switch c.Type.Kind {
		case KindText, KindChar, KindInt16, KindInt32, KindInt64, KindDecimal, KindFloat32, KindFloat64, KindBool,
			KindBytes, KindDate, KindTime, KindTimestamp, KindTimestampTZ, KindJSON, KindUUID:
		default:
			return false
		}
	}
	return true
}

// writeParquetBinary writes one parquet object's rows as binary COPY rows, in the table's
// column order.
func (s *fileSource) writeParquetBinary(ctx context.Context, obj fileObject, rd *rowReader, w *pgcopy.Writer, progress func(int64)) (int64, error) {
	var rows int64
	cols := rd.t.Columns
	var field []int // the file's field of each table column, -1 for none (the file column)
	name := []byte(obj.Name)
	err := s.eachParquetRow(ctx, obj, rd.t, func(fields []parquetField, pos []int, vals []parquet.Value, nested map[string]any) error {
		if field == nil {
			field = make([]int, len(cols))
			for ci := range field {
				field[ci] = slices.Index(pos, ci)
			}
		}
		w.Row(len(cols))
		for ci := range cols {
			fi := field[ci]
			switch {
			case fi < 0: // the file column
				w.Bytes(name)
				continue
			case fields[fi].leaf < 0:
				v, ok := nested[fields[fi].name]
				if !ok || v == nil {
					w.Null()
					continue
				}
				b, err := json.Marshal(v)
				if err != nil {
					return fmt.Errorf("column %q: %w", fields[fi].name, err)
				}
				w.JSONB(b)
				continue
			}
			v := vals[fi]
			if v.IsNull() {
				w.Null()
				continue
			}
			if err := writeParquetValue(w, fields[fi], cols[ci].Type.Kind, v); err != nil {
				return fmt.Errorf("column %q: %w", fields[fi].name, err)
			}
		}
		if err := w.Err(); err != nil {
			return err
		}
		rows++
		s.rows++
		if rows%10000 == 0 {
			progress(rows)
		}
		return nil
	})
	return rows, err
}

// writeParquetValue writes a parquet value (not null) in the binary form of kind k's column.
func writeParquetValue(w *pgcopy.Writer, pf parquetField, k Kind, v parquet.Value) error {
	if pf.scale >= 0 {
		n := v.Int64()
		if v.Kind() == parquet.Int32 {
			n = int64(v.Int32())
		}
		w.Numeric(n, pf.scale)
		return nil
	}
	out, err := pf.conv(v)
	if err != nil {
		return err
	}
	switch x := out.(type) {
	case int64:
		switch k {
		case KindInt16:
			w.Int16(int16(x)) //nolint:gosec // parquet's int8/int16 and uint8
			return nil
		case KindInt32:
			w.Int32(int32(x)) //nolint:gosec // parquet's int32 and uint16
			return nil
		case KindInt64:
			w.Int64(x)
			return nil
		}
	case float64:
		switch k {
		case KindFloat32:
			w.Float32(float32(x))
			return nil
		case KindFloat64:
			w.Float64(x)
			return nil
		}
	case bool:
		if k == KindBool {
			w.Bool(x)
			return nil
		}
	case string:
		switch k {
		case KindText, KindChar:
			w.String(x)
			return nil
		case KindJSON:
			w.JSONB([]byte(x))
			return nil
		}
	case []byte:
		if k == KindBytes {
			w.Bytes(x)
			return nil
		}
	case [16]byte:
		if k == KindUUID {
			w.UUID(x)
			return nil
		}
	case time.Time:
		switch k {
		case KindDate:
			w.Date(x)
			return nil
		case KindTimestamp:
			w.Timestamp(pgcopy.TimestampOf(x, false))
			return nil
		case KindTimestampTZ:
			w.Timestamp(pgcopy.TimestampOf(x, true))
			return nil
		}
	case pgtype.Numeric:
		if k == KindDecimal && x.Valid && !x.NaN && x.InfinityModifier == pgtype.Finite {
			w.BigNumeric(x.Int, int(x.Exp))
			return nil
		}
	case pgtype.Time:
		if k == KindTime {
			w.Time(x.Microseconds)
			return nil
		}
	}
	return fmt.Errorf("a %T value has no binary form for a %s column", out, k)
}
