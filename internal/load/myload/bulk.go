package myload

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/datanika/datanika/internal/load"

	driver "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgtype"
)

// The two ways rows reach a MySQL staging table, measured in docs/architecture.md ("MySQL
// destination"): LOAD DATA LOCAL INFILE streamed from the batches (the default where the
// server allows local_infile) and multi-row prepared INSERTs (the fallback).

// mysqlParam is a value as MySQL takes it: nil, int64, string or []byte. Values MySQL cannot
// hold (NaN, infinities) fail rather than change.
func mysqlParam(k load.Kind, v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case int64, []byte:
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%v cannot be stored in MySQL", x)
		}
		// A float32 too is spelled with a double's digits: its shortest float32 text can read
		// as a double beyond FLOAT's range (3.4028235e+38 for the largest float), which MySQL
		// refuses; the double's text is the float exactly, which FLOAT stores as it is.
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case pgtype.Numeric:
		if x.NaN || x.InfinityModifier != pgtype.Finite {
			return nil, fmt.Errorf("%s cannot be stored in a MySQL decimal", load.NumericText(x))
		}
		return load.NumericText(x), nil
	case time.Time:
		switch k {
		case load.KindDate:
			return x.Format("2006-01-02"), nil
		case load.KindTimestampTZ:
			return x.UTC().Format("2006-01-02 15:04:05.999999"), nil
		default:
			return x.Format("2006-01-02 15:04:05.999999"), nil
		}
	case pgtype.Time:
		return load.TimeOfDay(x.Microseconds), nil
	case pgtype.Interval:
		if k == load.KindDuration {
			return formatDuration(x)
		}
		return formatMySQLInterval(x), nil
	case string:
		return x, nil
	default:
		return load.Canonical(k, v), nil
	}
}

// formatMySQLInterval spells an interval in ISO 8601 with PostgreSQL's three exact parts
// (months, days, seconds), e.g. P14M3DT14706.7S; parseMySQLInterval reads it back.
func formatMySQLInterval(iv pgtype.Interval) string {
	us := iv.Microseconds
	sign := ""
	if us < 0 {
		sign, us = "-", -us
	}
	sec := strconv.FormatInt(us/1_000_000, 10)
	if frac := us % 1_000_000; frac != 0 {
		sec += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
	}
	return fmt.Sprintf("P%dM%dDT%s%sS", iv.Months, iv.Days, sign, sec)
}

var mysqlIntervalRE = regexp.MustCompile(`^P(-?\d+)M(-?\d+)DT(-?)(\d+)(?:\.(\d{1,6}))?S$`)

func parseMySQLInterval(s string) (pgtype.Interval, error) {
	m := mysqlIntervalRE.FindStringSubmatch(s)
	if m == nil {
		return pgtype.Interval{}, fmt.Errorf("%q is not an interval", s)
	}
	months, _ := strconv.ParseInt(m[1], 10, 32)
	days, _ := strconv.ParseInt(m[2], 10, 32)
	sec, _ := strconv.ParseInt(m[4], 10, 64)
	frac, _ := strconv.ParseInt((m[5] + "000000")[:6], 10, 64)
	us := sec*1_000_000 + frac
	if m[3] == "-" {
		us = -us
	}
	return pgtype.Interval{Months: int32(months), Days: int32(days), Microseconds: us, Valid: true}, nil
}

// infileReader turns batches into LOAD DATA's default text format: tab between fields, a
// newline after each row, backslash escapes, \N for NULL; bytes as hex, unhexed by the
// statement. It reads a batch at a time, so memory stays bounded by the batch.
type infileReader struct {
	next  func() (*load.Batch, error)
	keep  []bool
	kinds []load.Kind
	b     *load.Batch
	i     int
	buf   []byte
	off   int
	rows  int64
	err   error
}

const infileChunk = 256 << 10

func (r *infileReader) Read(p []byte) (int, error) {
	for r.off >= len(r.buf) {
		if r.err != nil {
			return 0, r.err
		}
		r.buf, r.off = r.buf[:0], 0
		r.fill()
		if len(r.buf) == 0 && r.err != nil {
			return 0, r.err
		}
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

// fill encodes rows until the buffer holds a chunk, the input ends (io.EOF) or fails.
func (r *infileReader) fill() {
	for len(r.buf) < infileChunk {
		if r.b == nil || r.i >= r.b.Len() {
			b, err := r.next()
			if err != nil {
				r.err = err
				return
			}
			if b == nil {
				r.err = io.EOF
				return
			}
			r.b, r.i = b, 0
			continue
		}
		row := r.b.Row(r.i)
		r.i++
		first := true
		for j, v := range row {
			if !r.keep[j] {
				continue
			}
			if !first {
				r.buf = append(r.buf, '\t')
			}
			first = false
			p, err := mysqlParam(r.kinds[j], v)
			if err != nil {
				r.err = fmt.Errorf("column %q: %w", r.b.Columns[j].Name, err)
				return
			}
			switch x := p.(type) {
			case nil:
				r.buf = append(r.buf, '\\', 'N')
			case int64:
				r.buf = strconv.AppendInt(r.buf, x, 10)
			case []byte:
				r.buf = hex.AppendEncode(r.buf, x)
			case string:
				r.buf = appendInfileEscaped(r.buf, x)
			}
		}
		r.buf = append(r.buf, '\n')
		r.rows++
	}
}

func appendInfileEscaped(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\t':
			buf = append(buf, '\\', 't')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case 0:
			buf = append(buf, '\\', '0')
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

// loadDataInfile streams every batch into staging with one LOAD DATA LOCAL INFILE, through a
// reader registered under a name unique to this load (the driver's registry is global).
func (l *myTableLoad) loadDataInfile(ctx context.Context, next func() (*load.Batch, error)) (int64, error) {
	kinds := make([]load.Kind, len(l.plan.Source.Columns))
	for i, c := range l.plan.Source.Columns {
		kinds[i] = c.Type.Kind
	}
	r := &infileReader{next: next, keep: l.Keep, kinds: kinds, buf: make([]byte, 0, infileChunk+64<<10)}
	var fields, sets []string
	for i, c := range l.plan.Source.Columns {
		if !l.Keep[i] {
			continue
		}
		if c.Type.Kind == load.KindBytes {
			v := "@dnk_b" + strconv.Itoa(i)
			fields = append(fields, v)
			sets = append(sets, myIdent(l.plan.Columns[i])+" = UNHEX("+v+")")
		} else {
			fields = append(fields, myIdent(l.plan.Columns[i]))
		}
	}
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	name := "dnk_" + hex.EncodeToString(nonce)
	driver.RegisterReaderHandler(name, func() io.Reader { return r })
	defer driver.DeregisterReaderHandler(name)
	//nolint:gosec // identifiers are quoted by the dialect, the reader name is ours
	q := "LOAD DATA LOCAL INFILE " + myLiteral("Reader::"+name) + " INTO TABLE " + l.stageIdent +
		` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' (` + strings.Join(fields, ", ") + ")"
	if len(sets) > 0 {
		q += " SET " + strings.Join(sets, ", ")
	}
	res, err := l.d.conn.ExecContext(ctx, q)
	var myErr *driver.MySQLError
	if err != nil && r.b == nil && r.err == nil && errors.As(err, &myErr) && slices.Contains([]uint16{1148, 3948, 4166}, myErr.Number) {
		// The server refused LOCAL before asking for a byte: this destination inserts instead.
		l.d.loadData = false
		return l.insertRows(ctx, next)
	}
	if err != nil {
		if r.err != nil && r.err != io.EOF { //nolint:errorlint // io.EOF is the reader's own sentinel
			return r.rows, r.err
		}
		return r.rows, err
	}
	// With LOCAL the server cannot stop the client mid-file, so it turns data errors into
	// warnings and carries on; any warning fails the load.
	if err := l.d.checkWarnings(ctx); err != nil {
		return r.rows, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return r.rows, err
	}
	if n != r.rows {
		return n, fmt.Errorf("the server loaded %d rows of the %d sent", n, r.rows)
	}
	return n, nil
}

func (d *mysqlDestination) checkWarnings(ctx context.Context) error {
	rows, err := d.conn.QueryContext(ctx, "SHOW WARNINGS LIMIT 3")
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	var msgs []string
	for rows.Next() {
		var level, msg string
		var code int
		if err := rows.Scan(&level, &code, &msg); err != nil {
			return err
		}
		msgs = append(msgs, fmt.Sprintf("%s %d: %s", level, code, msg))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(msgs) > 0 {
		return fmt.Errorf("the server changed or refused values: %s", strings.Join(msgs, "; "))
	}
	return nil
}

// insertRows writes batches with multi-row prepared INSERTs of about insertTarget bytes each,
// within the server's max_allowed_packet and MySQL's 65,535 placeholders.
func (l *myTableLoad) insertRows(ctx context.Context, next func() (*load.Batch, error)) (int64, error) {
	cols := l.copyColumns()
	ncols := len(cols)
	target := int64(insertTarget)
	if half := l.d.maxPacket / 2; half > 0 && half < target {
		target = half
	}
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, s := range stmts {
			_ = s.Close()
		}
	}()
	head := "INSERT INTO " + l.stageIdent + " (" + myIdentList(cols) + ") VALUES "
	rowMarks := "(" + strings.TrimSuffix(strings.Repeat("?, ", ncols), ", ") + ")"
	exec := func(args []any, rows int) error {
		s, ok := stmts[rows]
		if !ok {
			var err error
			s, err = l.d.conn.PrepareContext(ctx, head+strings.TrimSuffix(strings.Repeat(rowMarks+", ", rows), ", "))
			if err != nil {
				return err
			}
			stmts[rows] = s
		}
		if _, err := s.ExecContext(ctx, args...); err != nil {
			return err
		}
		// Strict mode fails most bad values; a few (a decimal rounded to the column's scale)
		// are only notes, which would change the value.
		return l.d.checkWarnings(ctx)
	}
	var total int64
	perStmt := 0
	args := make([]any, 0, 1024)
	rows := 0
	for {
		b, err := next()
		if err != nil {
			return total, err
		}
		if b == nil {
			break
		}
		if perStmt == 0 && b.Len() > 0 {
			// Rows per statement from the first batch's size, so statements are reused.
			avg := max(b.Bytes/int64(b.Len()), 16)
			perStmt = int(max(1, min(target/avg, int64(65535/max(ncols, 1)))))
		}
		for i := range b.Len() {
			for j, v := range b.Row(i) {
				if !l.Keep[j] {
					continue
				}
				p, err := mysqlParam(b.Columns[j].Type.Kind, v)
				if err != nil {
					return total, fmt.Errorf("column %q: %w", b.Columns[j].Name, err)
				}
				args = append(args, p)
			}
			rows++
			if rows == perStmt {
				if err := exec(args, rows); err != nil {
					return total, err
				}
				total += int64(rows)
				clear(args)
				args, rows = args[:0], 0
			}
		}
	}
	if rows > 0 {
		if err := exec(args, rows); err != nil {
			return total, err
		}
		total += int64(rows)
	}
	return total, nil
}

// insertTarget is the size of one INSERT statement: big enough that the round trips and the
// statement overhead vanish, well within the default max_allowed_packet (16–64 MB).
const insertTarget = 2 << 20
