package load

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Canonical is the text form of a value used by checksums and by incremental state: the same
// for every source and destination that holds the value in the same kind. NULL has no text
// form; callers mark it themselves.
func Canonical(k Kind, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		switch k {
		case KindJSON:
			return canonicalJSON(x)
		case KindChar:
			// char(n) semantics: trailing spaces are padding, which PostgreSQL adds and MySQL
			// strips when reading; both compare without them.
			return strings.TrimRight(x, " ")
		}
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if k == KindFloat32 {
			return strconv.FormatFloat(x, 'g', -1, 32)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []byte:
		return hex.EncodeToString(x)
	case pgtype.Numeric:
		return NumericText(x)
	case time.Time:
		switch k {
		case KindDate:
			return x.Format("2006-01-02")
		case KindTimestampTZ:
			return x.UTC().Format("2006-01-02T15:04:05.999999Z07:00")
		default:
			return x.Format("2006-01-02T15:04:05.999999")
		}
	case pgtype.Time:
		return TimeOfDay(x.Microseconds)
	case pgtype.Interval:
		if k == KindDuration && x.Months == 0 && x.Days == 0 {
			return DurationText(x.Microseconds)
		}
		return fmt.Sprintf("%dmon %dd %dus", x.Months, x.Days, x.Microseconds)
	case [16]byte:
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	default:
		return fmt.Sprint(x)
	}
}

// DurationText spells a duration as MySQL's TIME does, "[-]hhh:mm:ss[.ffffff]" (fraction
// without trailing zeros): what warehouses without a duration type store as text.
func DurationText(us int64) string {
	sign := ""
	if us < 0 {
		sign, us = "-", -us
	}
	s := fmt.Sprintf("%s%02d:%02d:%02d", sign, us/3_600_000_000, us/60_000_000%60, us/1_000_000%60)
	if frac := us % 1_000_000; frac != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
	}
	return s
}

// TimeOfDay spells a time of day of us microseconds after midnight, "15:04:05[.ffffff]".
func TimeOfDay(us int64) string {
	t := time.Unix(0, us*1000).UTC()
	return t.Format("15:04:05.999999")
}

// canonicalJSON re-encodes JSON with sorted keys and no spaces, since PostgreSQL's jsonb and
// MySQL's JSON both reorder and reformat what they store. Numbers keep their digits.
func canonicalJSON(s string) string {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return s
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return s
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// NumericText spells a decimal exactly, without exponent and without trailing zeros after the
// point (so numeric(10,2) 0.90 and a REAL 0.9 from SQLite agree).
func NumericText(n pgtype.Numeric) string {
	if n.NaN {
		return "NaN"
	}
	switch n.InfinityModifier {
	case pgtype.Infinity:
		return "Infinity"
	case pgtype.NegativeInfinity:
		return "-Infinity"
	}
	if n.Int == nil {
		return "0"
	}
	digits := n.Int.String()
	neg := strings.HasPrefix(digits, "-")
	digits = strings.TrimPrefix(digits, "-")
	exp := int(n.Exp)
	var s string
	switch {
	case exp >= 0:
		s = digits + strings.Repeat("0", exp)
	default:
		point := len(digits) + exp
		if point <= 0 {
			digits = strings.Repeat("0", -point+1) + digits
			point = 1
		}
		s = digits[:point] + "." + digits[point:]
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if neg && s != "0" {
		s = "-" + s
	}
	return s
}

// ParseNumeric reads an exact decimal ("-12.50", "1e3").
func ParseNumeric(s string) (pgtype.Numeric, error) {
	var n pgtype.Numeric
	mant, exp, hasExp := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "e")
	if err := n.Scan(mant); err != nil || !n.Valid {
		return n, fmt.Errorf("%q is not a decimal number", s)
	}
	if hasExp {
		e, err := strconv.ParseInt(exp, 10, 32)
		if err != nil || n.NaN || n.InfinityModifier != pgtype.Finite {
			return n, fmt.Errorf("%q is not a decimal number", s)
		}
		n.Exp += int32(e)
	}
	return n, nil
}

// numericFromFloat turns a float read from a source that stores decimals as floats (SQLite)
// into a decimal: the shortest text that reads back as the same float (0.99, not
// 0.98999999999999999112), rounded to scale digits when the column has a scale.
func numericFromFloat(f float64, scale int, constrained bool) (pgtype.Numeric, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return pgtype.Numeric{}, fmt.Errorf("%v is not a decimal number", f)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if _, frac, ok := strings.Cut(s, "."); constrained && ok && len(frac) > scale {
		r, _ := new(big.Rat).SetString(s)
		s = r.FloatString(scale)
	}
	return ParseNumeric(s)
}

// compareNumeric orders two decimals exactly.
func compareNumeric(a, b pgtype.Numeric) int {
	ra, rb := numericRat(a), numericRat(b)
	return ra.Cmp(rb)
}

func numericRat(n pgtype.Numeric) *big.Rat {
	r := new(big.Rat)
	if n.Int == nil {
		return r
	}
	r.SetInt(n.Int)
	if n.Exp > 0 {
		r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n.Exp)), nil)))
	} else if n.Exp < 0 {
		r.Quo(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-n.Exp)), nil)))
	}
	return r
}

// CompareValues orders two non-NULL values of one kind, for the incremental high-water mark.
func CompareValues(a, b any) int {
	switch x := a.(type) {
	case int64:
		y := b.(int64)
		return cmp3(x < y, x > y)
	case float64:
		y := b.(float64)
		return cmp3(x < y, x > y)
	case string:
		return strings.Compare(x, b.(string))
	case time.Time:
		return x.Compare(b.(time.Time))
	case pgtype.Numeric:
		return compareNumeric(x, b.(pgtype.Numeric))
	case bool:
		y := b.(bool)
		return cmp3(!x && y, x && !y)
	case [16]byte:
		y := b.([16]byte)
		return bytes.Compare(x[:], y[:])
	case pgtype.Time:
		y := b.(pgtype.Time)
		return cmp3(x.Microseconds < y.Microseconds, x.Microseconds > y.Microseconds)
	default:
		return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
	}
}

func cmp3(less, more bool) int {
	switch {
	case less:
		return -1
	case more:
		return 1
	default:
		return 0
	}
}

// Checksum is an order-independent digest of rows: the count and the wrapping sum of a 64-bit
// hash of each row's canonical text, so two sides agree whatever order they read in.
type Checksum struct {
	Rows int64  `json:"rows"`
	Sum  uint64 `json:"sum"`
}

// Add folds one row in.
func (c *Checksum) Add(kinds []Kind, row []any) {
	h := fnv.New64a()
	var sep = []byte{0x1f}
	for i, v := range row {
		if v == nil {
			_, _ = h.Write([]byte{0})
		} else {
			_, _ = h.Write([]byte{1})
			_, _ = h.Write([]byte(Canonical(kinds[i], v)))
		}
		_, _ = h.Write(sep)
	}
	c.Rows++
	c.Sum += h.Sum64()
}

// AddBatch folds every row of b in.
func (c *Checksum) AddBatch(b *Batch) {
	kinds := make([]Kind, len(b.Columns))
	for i, col := range b.Columns {
		kinds[i] = col.Type.Kind
	}
	for i := range b.Len() {
		c.Add(kinds, b.Row(i))
	}
}

// cursorValue turns the text of a state or initial_value into a value of the cursor's kind.
func cursorValue(k Kind, s string) (any, error) {
	s = strings.TrimSpace(s)
	switch k {
	case KindInt16, KindInt32, KindInt64:
		return strconv.ParseInt(s, 10, 64)
	case KindFloat32, KindFloat64:
		return strconv.ParseFloat(s, 64)
	case KindDecimal:
		return ParseNumeric(s)
	case KindDate, KindTimestamp, KindTimestampTZ:
		return parseTimeText(s, k)
	case KindText, KindJSON, KindChar:
		return s, nil
	default:
		return nil, fmt.Errorf("a %s column cannot be an incremental cursor", k)
	}
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999", "2006-01-02T15:04Z07:00", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"}

func parseTimeText(s string, k Kind) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if k == KindDate {
				y, m, d := t.Date()
				return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date or time (use 2024-01-31 or 2024-01-31T12:00:00Z)", s)
}

// applyLag moves a cursor value back by the lag.
func applyLag(v any, l lag) (any, error) {
	switch x := v.(type) {
	case time.Time:
		if l.isNumber {
			return x.Add(-time.Duration(l.number * float64(time.Second))), nil
		}
		return x.Add(-l.duration), nil
	case int64:
		if !l.isNumber {
			return nil, fmt.Errorf("lag %s is a duration but the cursor is a number", l.duration)
		}
		return x - int64(math.Ceil(l.number)), nil
	case float64:
		if !l.isNumber {
			return nil, fmt.Errorf("lag %s is a duration but the cursor is a number", l.duration)
		}
		return x - l.number, nil
	case pgtype.Numeric:
		if !l.isNumber {
			return nil, fmt.Errorf("lag %s is a duration but the cursor is a number", l.duration)
		}
		r := numericRat(x)
		r.Sub(r, new(big.Rat).SetFloat64(l.number))
		return ParseNumeric(r.FloatString(20))
	default:
		return nil, fmt.Errorf("lag needs a time or numeric cursor")
	}
}

func bigInt(i int64) *big.Int { return big.NewInt(i) }

// ParseTimeOfDay reads "15:04:05[.ffffff]", a time of day (a PostgreSQL time stored in a
// MySQL TIME column).
func ParseTimeOfDay(s string) (any, error) {
	hms, frac, _ := strings.Cut(s, ".")
	parts := strings.Split(hms, ":")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%q is not a time of day", s)
	}
	h, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	sec, err3 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || h < 0 || h > 23 || m > 59 || sec > 59 || strings.HasPrefix(s, "-") {
		return nil, fmt.Errorf("%q is not a time of day between 00:00:00 and 23:59:59", s)
	}
	us := int64(0)
	if frac != "" {
		frac = (frac + "000000")[:6]
		f, err := strconv.Atoi(frac)
		if err != nil {
			return nil, fmt.Errorf("%q is not a time of day", s)
		}
		us = int64(f)
	}
	return pgtype.Time{Microseconds: ((int64(h)*60+int64(m))*60+int64(sec))*1_000_000 + us, Valid: true}, nil
}
