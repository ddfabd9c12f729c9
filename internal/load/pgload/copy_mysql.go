package pgload

import (
	"bufio"
	"context"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/datanika/datanika/internal/load"
)

// MySQL or MariaDB to PostgreSQL without decoding: over the text protocol the server spells
// integers, decimals, floats, dates, timestamps, UUIDs and text the way PostgreSQL's COPY text
// format reads them, so each value is copied as it arrives — escaped where COPY needs it, MySQL's
// zero dates as NULL, tinyint(1) and bit(1) as t/f, bytes as hex. That removes the per-value
// parsing, boxing and binary encoding of the decoding path (readTable → Batch → pgx), which cost
// 3.5 CPU-seconds per million rows against the MariaDB client's 0.9 (docs/benchmarks.md, b).
//
// It is taken when nothing needs the values themselves: no checksum, no data_type contract
// that discards (those test every value), every source column written, and only the kinds
// below. A value PostgreSQL refuses fails the COPY and with it the run, as a value that does
// not convert fails the decoding path under evolve and freeze. MySQL's TIME, a duration up to
// ±838:59:59.999999, is spelled as PostgreSQL's interval reads it ("-838:59:59.999999": hours,
// minutes and seconds, the sign on the whole), and CHAR as the value PostgreSQL pads.

// mysqlTextKinds are the kinds copied as text.
func mysqlTextKinds(t *load.Table) bool {
	for _, c := range t.Columns {
		switch c.Type.Kind {
		case load.KindText, load.KindChar, load.KindJSON, load.KindInt16, load.KindInt32, load.KindInt64, load.KindDecimal, load.KindFloat32, load.KindFloat64, load.KindBool,
			load.KindBytes, load.KindDate, load.KindTimestamp, load.KindTimestampTZ, load.KindUUID, load.KindDuration:
		default:
			return false
		}
	}
	return true
}

// copyMySQLText copies a window of a MySQL table into the destination's staging as COPY text.
// cursor, when >= 0, is the incremental cursor column: its largest value is returned. It
// fails with ErrNoTextQuery, before anything is copied, when the text protocol is not available.
func copyMySQLText(ctx context.Context, src load.MySQLTextSource, dst *pgTableLoad, w load.Window, cursor int,
	progress func(rows int64)) (rows, bytes int64, maxCursor any, err error) {
	t := dst.plan.Source
	var copied int64
	err = src.QueryText(ctx, t, w, func(rs driver.Rows) error {
		var err error
		copied, err = pipeCopy(ctx, dst, false, func(out io.Writer) error {
			bw := bufio.NewWriterSize(out, 256<<10)
			var err error
			rows, bytes, maxCursor, err = writeMySQLText(bw, rs, t, src.TextValue, cursor, progress)
			if err == nil {
				err = bw.Flush()
			}
			if err != nil {
				return fmt.Errorf("read %s: %w", t.QualifiedName(), err)
			}
			return nil
		})
		return err
	})
	switch {
	case err != nil:
		return 0, bytes, nil, err
	case copied != rows:
		return 0, bytes, nil, fmt.Errorf("%w: %s: %d rows read, the destination took %d", load.ErrVerify, t.QualifiedName(), rows, copied)
	}
	return rows, bytes, maxCursor, nil
}

// writeMySQLText writes the rows of rs as COPY text lines; textValue decodes the cursor's.
func writeMySQLText(w *bufio.Writer, rs driver.Rows, t *load.Table, textValue func(load.Kind, []byte) (any, error), cursor int,
	progress func(int64)) (rows, bytes int64, maxCursor any, err error) {
	dest := make([]driver.Value, len(t.Columns))
	var line []byte
	for {
		if err := rs.Next(dest); err != nil {
			if errors.Is(err, io.EOF) {
				return rows, bytes, maxCursor, nil
			}
			return rows, bytes, maxCursor, err
		}
		line = line[:0]
		for i, v := range dest {
			if i > 0 {
				line = append(line, '\t')
			}
			n := len(line)
			var err error
			if line, err = appendMySQLValue(line, t.Columns[i].Type.Kind, v); err != nil {
				return rows, bytes, maxCursor, fmt.Errorf("column %q: %w", t.Columns[i].Name, err)
			}
			bytes += int64(len(line) - n)
			if i == cursor && v != nil {
				r, _ := mysqlRaw(v)
				c, err := textValue(t.Columns[i].Type.Kind, r)
				if err != nil {
					return rows, bytes, maxCursor, fmt.Errorf("column %q: %w", t.Columns[i].Name, err)
				}
				if c != nil && (maxCursor == nil || load.CompareValues(c, maxCursor) > 0) {
					maxCursor = c
				}
			}
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return rows, bytes, maxCursor, err
		}
		rows++
		if progress != nil && rows%10000 == 0 {
			progress(rows)
		}
	}
}

// mysqlRaw is a value as the driver hands it over the text protocol, spelled as text (the
// driver parses integers and floats itself; they are spelled back as database/sql would).
func mysqlRaw(v driver.Value) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []byte:
		if x == nil {
			return []byte{}, nil
		}
		return x, nil
	case string:
		return []byte(x), nil
	case int64:
		return strconv.AppendInt(nil, x, 10), nil
	case uint64:
		return strconv.AppendUint(nil, x, 10), nil
	case float32:
		return strconv.AppendFloat(nil, float64(x), 'g', -1, 32), nil
	case float64:
		return strconv.AppendFloat(nil, x, 'g', -1, 64), nil
	default:
		return nil, fmt.Errorf("unexpected %T from the driver", v)
	}
}

// appendMySQLValue appends one driver value of kind k in COPY's text format.
func appendMySQLValue(dst []byte, k load.Kind, v driver.Value) ([]byte, error) {
	switch x := v.(type) {
	case []byte:
		if x == nil {
			x = []byte{}
		}
		return appendMySQLText(dst, k, x)
	case nil:
		return append(dst, `\N`...), nil
	case int64:
		if k == load.KindBool {
			return append(dst, "ft"[b2i(x != 0)]), nil
		}
		return strconv.AppendInt(dst, x, 10), nil
	default:
		r, err := mysqlRaw(v)
		if err != nil {
			return dst, err
		}
		return appendMySQLText(dst, k, r)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// appendMySQLText appends one value (nil: NULL) of kind k in COPY's text format.
func appendMySQLText(dst []byte, k load.Kind, r []byte) ([]byte, error) {
	if r == nil {
		return append(dst, `\N`...), nil
	}
	switch k {
	case load.KindText, load.KindChar, load.KindJSON:
		return load.AppendCopyEscaped(dst, r), nil
	case load.KindBool:
		if len(r) == 1 && r[0] <= 1 { // bit(1) arrives as one raw byte
			return append(dst, "ft"[r[0]]), nil
		}
		n, err := strconv.ParseInt(string(r), 10, 64)
		if err != nil {
			return dst, err
		}
		if n != 0 {
			return append(dst, 't'), nil
		}
		return append(dst, 'f'), nil
	case load.KindBytes:
		dst = append(dst, `\\x`...)
		return hex.AppendEncode(dst, r), nil
	case load.KindDate, load.KindTimestamp, load.KindTimestampTZ:
		if strings.HasPrefix(string(r), "0000-00-00") {
			return append(dst, `\N`...), nil // MySQL's zero date means "no date"
		}
		return load.AppendCopyEscaped(dst, r), nil
	default: // numbers and UUIDs never hold a byte COPY escapes, but a rogue one must not split the line
		return load.AppendCopyEscaped(dst, r), nil
	}
}
