// Package pgcopy writes rows in PostgreSQL's binary COPY format (COPY … FROM STDIN (FORMAT
// binary)), for loads whose values are already typed (parquet): PostgreSQL then reads each
// value's bytes instead of parsing its text, which is most of the server's work for timestamps
// and decimals.
//
// It is written here rather than taken from pgx: pgx encodes COPY rows from Go values through
// its type map (an interface call and, for decimals, math/big per value), while a load already
// knows each column's type and holds decimals as scaled integers. The format is PostgreSQL's
// documented one (the COPY reference, "Binary Format"; each type's send function).
//
// A Writer does not check that a value suits its column: the caller writes each column with
// the method of the destination column's type (Int64 for bigint, Numeric for numeric…); a
// mismatch makes the COPY fail on the server ("incorrect binary data format"), it never
// stores a wrong value.
package pgcopy

import (
	"bufio"
	"encoding/binary"
	"io"
	"math"
	"math/big"
	"strconv"
	"time"
)

// signature is the 11-byte start of every binary COPY stream.
const signature = "PGCOPY\n\xff\r\n\x00"

// epoch is PostgreSQL's zero for dates and timestamps.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Writer writes a binary COPY stream: the header on the first row, then rows, then the trailer
// on Close.
type Writer struct {
	w       *bufio.Writer
	started bool
	buf     [16]byte
	digits  []byte
	words   []uint16
	err     error
}

// NewWriter writes to w, buffered.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 256<<10)}
}

func (w *Writer) write(p []byte) {
	if w.err == nil {
		_, w.err = w.w.Write(p)
	}
}

func (w *Writer) u16(v uint16) {
	binary.BigEndian.PutUint16(w.buf[:2], v)
	w.write(w.buf[:2])
}

func (w *Writer) u32(v uint32) {
	binary.BigEndian.PutUint32(w.buf[:4], v)
	w.write(w.buf[:4])
}

func (w *Writer) u64(v uint64) {
	binary.BigEndian.PutUint64(w.buf[:8], v)
	w.write(w.buf[:8])
}

// Row starts a row of n fields; exactly n values follow.
func (w *Writer) Row(n int) {
	if !w.started {
		w.started = true
		w.write([]byte(signature))
		w.u32(0) // flags: no OIDs
		w.u32(0) // header extension length
	}
	w.u16(uint16(n)) //nolint:gosec // a table has at most 1,600 columns
}

// Null writes a NULL.
func (w *Writer) Null() { w.u32(math.MaxUint32) } // length -1

// Bool writes a boolean.
func (w *Writer) Bool(v bool) {
	w.u32(1)
	b := byte(0)
	if v {
		b = 1
	}
	w.write([]byte{b})
}

// Int16 writes a smallint.
func (w *Writer) Int16(v int16) {
	w.u32(2)
	w.u16(uint16(v)) //nolint:gosec // two's complement, as PostgreSQL reads it
}

// Int32 writes an integer.
func (w *Writer) Int32(v int32) {
	w.u32(4)
	w.u32(uint32(v)) //nolint:gosec // two's complement, as PostgreSQL reads it
}

// Int64 writes a bigint.
func (w *Writer) Int64(v int64) {
	w.u32(8)
	w.u64(uint64(v)) //nolint:gosec // two's complement, as PostgreSQL reads it
}

// Float32 writes a real.
func (w *Writer) Float32(v float32) {
	w.u32(4)
	w.u32(math.Float32bits(v))
}

// Float64 writes a double precision.
func (w *Writer) Float64(v float64) {
	w.u32(8)
	w.u64(math.Float64bits(v))
}

// Bytes writes text, varchar, char, bytea or json (their binary form is the bytes themselves).
func (w *Writer) Bytes(v []byte) {
	w.u32(uint32(len(v))) //nolint:gosec // a field is at most 1 GB
	w.write(v)
}

// String writes text, varchar or char.
func (w *Writer) String(v string) {
	w.u32(uint32(len(v))) //nolint:gosec // a field is at most 1 GB
	if w.err == nil {
		_, w.err = w.w.WriteString(v)
	}
}

// JSONB writes a jsonb from its JSON text (binary jsonb is a version byte, 1, and the text).
func (w *Writer) JSONB(v []byte) {
	w.u32(uint32(len(v) + 1)) //nolint:gosec // a field is at most 1 GB
	w.write([]byte{1})
	w.write(v)
}

// UUID writes a uuid.
func (w *Writer) UUID(v [16]byte) {
	w.u32(16)
	w.write(v[:])
}

// Date writes a date: t's calendar day, whatever its zone.
func (w *Writer) Date(t time.Time) {
	y, m, d := t.Date()
	days := (time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() - epoch.Unix()) / 86400
	w.u32(4)
	w.u32(uint32(int32(days))) //nolint:gosec // dates within PostgreSQL's range
}

// Timestamp writes a timestamp or timestamptz as microseconds since 2000-01-01 00:00 (UTC for a
// timestamptz, the wall clock for a timestamp).
func (w *Writer) Timestamp(micros int64) {
	w.u32(8)
	w.u64(uint64(micros)) //nolint:gosec // two's complement, as PostgreSQL reads it
}

// Time writes a time (of day) as microseconds since midnight.
func (w *Writer) Time(micros int64) {
	w.u32(8)
	w.u64(uint64(micros)) //nolint:gosec // 0 to 86,400,000,000
}

// TimestampOf converts t to Timestamp's microseconds: its instant for a timestamptz (utc
// true), its wall clock for a timestamp; sub-microsecond digits are cut, as PostgreSQL rounds
// them away.
func TimestampOf(t time.Time, utc bool) int64 {
	if !utc {
		y, mo, d := t.Date()
		h, mi, s := t.Clock()
		t = time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)
	}
	secs := t.Unix() - epoch.Unix()
	return secs*1_000_000 + int64(t.Nanosecond()/1000)
}

// Numeric writes a numeric of value unscaled × 10^-scale (scale ≥ 0), with scale digits after
// the point, as a numeric(p, scale) column holds it.
func (w *Writer) Numeric(unscaled int64, scale int) {
	neg := unscaled < 0
	abs := uint64(unscaled) //nolint:gosec // two's complement; negated below
	if neg {
		abs = -abs
	}
	w.digits = strconv.AppendUint(w.digits[:0], abs, 10)
	w.numeric(neg, w.digits, scale)
}

// BigNumeric writes a numeric of value n × 10^exp (a decimal wider than 64 bits), with -exp
// digits after the point when exp < 0.
func (w *Writer) BigNumeric(n *big.Int, exp int) {
	w.digits = n.Append(w.digits[:0], 10)
	ds, neg := w.digits, n.Sign() < 0
	if neg {
		ds = ds[1:]
	}
	scale := 0
	if exp < 0 {
		scale = -exp
	} else {
		for range exp {
			ds = append(ds, '0')
		}
	}
	w.numeric(neg, ds, scale)
}

// numeric writes the decimal of the magnitude's digits ds (no sign, no point) with scale digits
// after the point.
func (w *Writer) numeric(neg bool, ds []byte, scale int) {
	// Left-pad the integer part and right-pad the fraction to whole base-10000 groups.
	intLen := len(ds) - scale
	lead := 0
	if intLen <= 0 {
		lead = -intLen // zeros between the point and the first digit
		intLen = 0
	}
	padLeft := (4 - intLen%4) % 4
	fracLen := lead + len(ds) - intLen
	padRight := (4 - fracLen%4) % 4
	total := padLeft + intLen + fracLen + padRight
	groups := total / 4
	weight := (padLeft+intLen)/4 - 1
	digit := func(i int) int { // the i-th decimal digit of the padded string
		switch {
		case i < padLeft:
			return 0
		case i < padLeft+intLen:
			return int(ds[i-padLeft] - '0')
		case i < padLeft+intLen+lead:
			return 0
		case i < padLeft+intLen+fracLen:
			return int(ds[i-padLeft-lead] - '0')
		}
		return 0
	}
	words := w.words[:0]
	for g := range groups {
		v := 0
		for k := range 4 {
			v = v*10 + digit(g*4+k)
		}
		words = append(words, uint16(v)) //nolint:gosec // < 10000
	}
	w.words = words
	// PostgreSQL stores no leading or trailing zero groups.
	for len(words) > 0 && words[0] == 0 {
		words = words[1:]
		weight--
	}
	for len(words) > 0 && words[len(words)-1] == 0 {
		words = words[:len(words)-1]
	}
	sign := uint16(0)
	if neg && len(words) > 0 {
		sign = 0x4000
	}
	if len(words) == 0 {
		weight = 0
	}
	w.u32(uint32(8 + 2*len(words))) //nolint:gosec // at most 6 groups
	w.u16(uint16(len(words)))       //nolint:gosec // at most 6 groups
	w.u16(uint16(int16(weight)))    //nolint:gosec // a small weight, two's complement
	w.u16(sign)
	w.u16(uint16(scale)) //nolint:gosec // a numeric's scale is at most 1,000
	for _, d := range words {
		w.u16(d)
	}
}

// Close writes the trailer (when a row was written, or an empty stream's header and trailer)
// and flushes.
func (w *Writer) Close() error {
	if !w.started {
		w.started = true
		w.write([]byte(signature))
		w.u32(0)
		w.u32(0)
	}
	w.u16(math.MaxUint16) // -1: the end
	if w.err != nil {
		return w.err
	}
	return w.w.Flush()
}

// Err is the first write error, if any.
func (w *Writer) Err() error { return w.err }
