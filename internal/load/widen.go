package load

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
)

// Widening is the answer of schema_contract.data_type evolve for a destination column whose
// type differs from the source's: keep the column as it is, change it to a wider type that
// holds both the rows already there and the new ones exactly, or give up.
type Widening struct {
	Verdict WideningVerdict
	// To is the destination's DDL of the wider type (Verdict WidenTo).
	To string
}

// WideningVerdict says what a column needs to take the source's values.
type WideningVerdict uint8

// The verdicts.
const (
	// FitsAsIs: every value of the source type is stored exactly by the column as it is.
	FitsAsIs WideningVerdict = iota
	// WidenTo: the column must first change to Widening.To, which loses none of its values.
	WidenTo
	// Incompatible: no type of the destination holds both exactly (or not without a change of
	// meaning the engine will not make silently).
	Incompatible
)

// TypeClass is a family of column types that can widen within itself.
type TypeClass uint8

// The type classes; a dialect's Parse puts every type it knows in one.
const (
	ClassOther TypeClass = iota // anything the rules do not know: only equal spellings fit
	ClassInt
	ClassNumeric
	ClassFloat
	ClassBool
	ClassString
	ClassBytes
	ClassDate
	ClassTime
	ClassTimestamp
	ClassTimestampTZ
	ClassInterval
	ClassJSON
	ClassUUID
)

// SQLType is a column type reduced to what widening needs; a WidenDialect's Parse and Format
// translate it from and to the dialect's spelling (Spelled: as parsed).
type SQLType struct {
	Class TypeClass
	// Size: bytes of an integer or a float; for a string, its length in characters (varchar,
	// char; 0 = unbounded) or, with TextBytes, the bytes a MySQL *text type holds.
	Size      int
	TextBytes bool
	// Fixed: PostgreSQL's char(n)/bpchar, padded with spaces (Size 0: bpchar without a length).
	Fixed    bool
	Unsigned bool
	// Precision and Scale of a numeric (Precision 0 = unconstrained); fractional second
	// digits of a time or timestamp.
	Precision, Scale int
	Spelled          string
}

// WidenDialect is what differs between destinations: how types are spelled (Parse, Format)
// and how far a decimal goes. Each system's package declares its own (pgload, myload).
type WidenDialect struct {
	Parse  func(string) SQLType
	Format func(SQLType) string
	// MaxPrecision and MaxScale bound a constrained decimal; over them PostgreSQL goes
	// unconstrained (unbounded: 0) and MySQL caps at decimal(65, scale).
	MaxPrecision, MaxScale int
	Unconstrained          bool
	// BoolIsInt: MySQL's boolean is tinyint(1), an integer holding 0 and 1.
	BoolIsInt bool
	// Text is the unbounded string type.
	Text SQLType
	// TextSizes are the string types that hold bytes, smallest first (MySQL's *text types),
	// the types that widen strings whose size is in bytes.
	TextSizes []TextSize
}

// maxIntegerText is the length of the longest integer as text (-9223372036854775808).
const maxIntegerText = 20

// integerDigits is how many decimal digits the largest value of an integer of size bytes has.
func integerDigits(size int, unsigned bool) int {
	switch {
	case size <= 1:
		return 3
	case size == 2:
		return 5
	case size == 3:
		return 8
	case size == 4:
		return 10
	case unsigned:
		return 20
	default:
		return 19
	}
}

// exactInFloat says every integer of size bytes is exact in a float of fsize bytes (24 and 53
// bits of mantissa).
func exactInFloat(size, fsize int) bool {
	if fsize >= 8 {
		return size <= 4
	}
	return size <= 3
}

// Widen decides for a destination column spelled haveSpelled receiving values of the source
// type spelled wantSpelled, both in d's spelling.
func Widen(d WidenDialect, haveSpelled, wantSpelled string) Widening {
	have, want := d.Parse(haveSpelled), d.Parse(wantSpelled)
	if have == want {
		return Widening{Verdict: FitsAsIs}
	}
	to, ok := widerOf(d, have, want)
	if !ok {
		return Widening{Verdict: Incompatible}
	}
	if to == have {
		return Widening{Verdict: FitsAsIs}
	}
	return Widening{Verdict: WidenTo, To: d.Format(to)}
}

// widerOf is the narrowest type holding every value of have and of want exactly.
func widerOf(d WidenDialect, have, want SQLType) (SQLType, bool) {
	if d.BoolIsInt {
		// A boolean is the integer 0 or 1 there: it fits any integer and any integer column.
		if have.Class == ClassBool && want.Class == ClassInt {
			return want, true
		}
		if have.Class == ClassInt && want.Class == ClassBool {
			return have, true
		}
	}
	// Text holds the text form of anything but bytes (whose text would be an encoding of them).
	if have.Class == ClassString || want.Class == ClassString {
		switch {
		case have.Class == ClassString && want.Class == ClassString:
			return widerString(d, have, want), true
		case have.Class == ClassBytes || want.Class == ClassBytes:
			return SQLType{}, false
		case have.Class == ClassString:
			if have == d.Text || (want.Class == ClassInt && !have.TextBytes && have.Size >= maxIntegerText) {
				return have, true
			}
			return d.Text, true
		case have.Class == ClassInt && !want.TextBytes && want.Size > 0:
			// A bounded key column (MySQL keys a varchar(255), never a longtext) stays bounded.
			return SQLType{Class: ClassString, Size: max(want.Size, maxIntegerText)}, true
		default:
			return d.Text, true
		}
	}
	switch {
	case have.Class == want.Class:
		return widerSameClass(d, have, want)
	case isNumber(have) && isNumber(want):
		return widerNumber(d, have, want)
	case have.Class == ClassDate && (want.Class == ClassTimestamp || want.Class == ClassTimestampTZ):
		return want, true // midnight of the date (the destination session runs in UTC)
	case want.Class == ClassDate && (have.Class == ClassTimestamp || have.Class == ClassTimestampTZ):
		return have, true
	case have.Class == ClassTime && want.Class == ClassInterval:
		// A MySQL TIME loaded before it was read as the duration it is: every time of day is
		// the interval since midnight.
		return want, true
	}
	return SQLType{}, false
}

func isNumber(t SQLType) bool {
	return t.Class == ClassInt || t.Class == ClassNumeric || t.Class == ClassFloat
}

func widerSameClass(d WidenDialect, have, want SQLType) (SQLType, bool) {
	switch have.Class {
	case ClassInt:
		if have.Unsigned == want.Unsigned {
			if want.Size > have.Size {
				return want, true
			}
			return have, true
		}
		if want.Unsigned { // a signed column takes an unsigned one when strictly larger
			if have.Size > want.Size {
				return have, true
			}
			return widerInteger(d, want.Size+1, integerDigits(want.Size, true)), true
		}
		// An unsigned column receiving signed values: a signed type larger than both.
		return widerInteger(d, max(have.Size+1, want.Size), max(integerDigits(have.Size, true), integerDigits(want.Size, false))), true
	case ClassNumeric:
		return widerDecimal(d, have, want.Precision-want.Scale, want.Scale, want.Precision == 0), true
	case ClassFloat:
		if want.Size > have.Size {
			return want, true
		}
		return have, true
	case ClassTime, ClassTimestamp, ClassTimestampTZ:
		if want.Precision > have.Precision {
			return want, true
		}
		return have, true
	case ClassBytes: // the larger of the two (PostgreSQL's bytea is unbounded)
		if want.Size > have.Size {
			return want, true
		}
		return have, true
	case ClassJSON, ClassBool, ClassDate, ClassInterval, ClassUUID:
		return have, true // spelled differently only (json and jsonb take each other's text)
	}
	return SQLType{}, false
}

// widerInteger is the smallest signed integer of at least size bytes, or a decimal of digits
// digits when none is large enough.
func widerInteger(d WidenDialect, size, digits int) SQLType {
	for _, s := range []int{2, 4, 8} {
		if s >= size {
			return SQLType{Class: ClassInt, Size: s}
		}
	}
	return decimalOf(d, digits, 0)
}

// widerNumber handles integers, decimals and floats together. A float only takes integers it
// holds exactly; a decimal and a float never mix (the engine's PostgreSQL casts round floats
// to 15 digits on their way into numeric, and a float cannot hold a decimal's digits).
func widerNumber(d WidenDialect, have, want SQLType) (SQLType, bool) {
	switch {
	case have.Class == ClassNumeric && want.Class == ClassInt:
		return widerDecimal(d, have, integerDigits(want.Size, want.Unsigned), 0, false), true
	case have.Class == ClassInt && want.Class == ClassNumeric:
		if want.Precision > 0 && want.Scale == 0 && want.Precision < integerDigits(have.Size, have.Unsigned) {
			return have, true
		}
		asDecimal := SQLType{Class: ClassNumeric, Precision: integerDigits(have.Size, have.Unsigned)}
		return widerDecimal(d, asDecimal, want.Precision-want.Scale, want.Scale, want.Precision == 0), true
	case have.Class == ClassFloat && want.Class == ClassInt:
		if exactInFloat(want.Size, have.Size) {
			return have, true
		}
		if exactInFloat(want.Size, 8) {
			return SQLType{Class: ClassFloat, Size: 8}, true
		}
		// A bigint is not exact in a double: both go to a decimal (the floats through their
		// shortest exact text, see pgload's postgresUsing), when the dialect has one wide enough.
		if !d.Unconstrained {
			return SQLType{}, false
		}
		return SQLType{Class: ClassNumeric}, true
	case have.Class == ClassInt && want.Class == ClassFloat:
		if exactInFloat(have.Size, want.Size) {
			return want, true
		}
		if exactInFloat(have.Size, 8) {
			return SQLType{Class: ClassFloat, Size: 8}, true
		}
		return SQLType{}, false // a bigint column cannot take fractions without a decimal
	}
	return SQLType{}, false
}

// widerDecimal widens the decimal have to also hold intDigits integer digits and scale
// fractional ones, never losing a digit of scale.
func widerDecimal(d WidenDialect, have SQLType, intDigits, scale int, unconstrained bool) SQLType {
	if have.Precision == 0 { // unconstrained already holds anything
		return have
	}
	if unconstrained {
		if d.Unconstrained {
			return SQLType{Class: ClassNumeric}
		}
		intDigits, scale = d.MaxPrecision-d.MaxScale, d.MaxScale
	}
	i := max(have.Precision-have.Scale, intDigits)
	s := max(have.Scale, scale)
	if i == have.Precision-have.Scale && s == have.Scale {
		return have
	}
	return decimalOf(d, i+s, s)
}

// decimalOf is decimal(p,s) within the dialect's bounds: PostgreSQL drops the constraint
// beyond them; MySQL keeps every digit of scale it can (up to 30) and gives up integer digits
// over 65 in total, where a value that does not fit then fails loudly (strict mode).
func decimalOf(d WidenDialect, p, s int) SQLType {
	if p <= d.MaxPrecision && s <= d.MaxScale {
		return SQLType{Class: ClassNumeric, Precision: p, Scale: s}
	}
	if d.Unconstrained {
		return SQLType{Class: ClassNumeric}
	}
	s = min(s, d.MaxScale)
	return SQLType{Class: ClassNumeric, Precision: d.MaxPrecision, Scale: s}
}

// widerString is the narrowest string type of the dialect holding both.
func widerString(d WidenDialect, have, want SQLType) SQLType {
	if !have.TextBytes && !want.TextBytes {
		if have.Fixed && want.Fixed { // char(n) stays char, padded: the longer, or bpchar
			if have.Size == 0 || (want.Size > 0 && want.Size <= have.Size) {
				return have
			}
			return SQLType{Class: ClassString, Size: want.Size, Fixed: true}
		}
		if have.Size == 0 && !have.Fixed {
			return have
		}
		if have.Size == 0 || want.Size == 0 {
			return d.Parse("text")
		}
		if want.Size <= have.Size && !have.Fixed {
			return have
		}
		return SQLType{Class: ClassString, Size: max(want.Size, have.Size)}
	}
	// MySQL's *text types hold bytes; a varchar(n) of utf8mb4 needs up to 4n of them.
	bytes := func(t SQLType) int {
		switch {
		case t.TextBytes:
			return t.Size
		case t.Size == 0:
			return d.TextSizes[len(d.TextSizes)-1].Bytes
		default:
			return 4 * t.Size
		}
	}
	if have.TextBytes && bytes(want) <= have.Size {
		return have
	}
	if !have.TextBytes && want.Size <= have.Size { // a *text of size bytes has at most size characters
		return have
	}
	need := max(bytes(have), bytes(want))
	for _, ts := range d.TextSizes {
		if ts.Bytes >= need {
			return SQLType{Class: ClassString, Size: ts.Bytes, TextBytes: true}
		}
	}
	return SQLType{Class: ClassString, Size: d.TextSizes[len(d.TextSizes)-1].Bytes, TextBytes: true}
}

// TextSize is a string type that holds a number of bytes (MySQL's *text types).
type TextSize struct {
	Name  string
	Bytes int
}

var typeArgsRE = regexp.MustCompile(`\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)`)

// TypeArgs reads "(a)" or "(a,b)" (-1 when absent).
func TypeArgs(s string) (a, b int) {
	m := typeArgsRE.FindStringSubmatch(s)
	if m == nil {
		return -1, -1
	}
	a, _ = strconv.Atoi(m[1])
	b = -1
	if m[2] != "" {
		b, _ = strconv.Atoi(m[2])
	}
	return a, b
}

// ValueGuard is a source column whose type the destination column does not hold as is, under
// data_type discard_value or discard_row: each value is checked, and one that the column would
// not store exactly is nulled or drops its row (and is recorded in _dnk_rejected).
type ValueGuard struct {
	// Col is the plan column checked.
	Col int
	// Have is the destination column's type, as the destination spells it.
	Have string
	// fits says a non-NULL value of the source column is stored exactly.
	fits func(v any) bool
}

// newValueGuard makes the guard of source column col (of kind) into a destination column of
// the dialect spelled have; none is needed (false) when the column holds the source's type as
// is. A column whose type is incompatible takes no value at all.
func newValueGuard(d WidenDialect, col int, kind Kind, have, want string) (ValueGuard, bool) {
	g := ValueGuard{Col: col, Have: have, fits: func(any) bool { return false }}
	switch Widen(d, have, want).Verdict {
	case FitsAsIs:
		return g, false
	case Incompatible:
		return g, true
	}
	t := d.Parse(have)
	g.fits = func(v any) bool { return valueFits(d, t, kind, v) }
	return g, true
}

// valueFits says the column type t stores v (of kind) exactly. It is only asked about values
// of a type the column may take (widerOf found a common type), so it checks ranges, digits,
// lengths and fractions of seconds; anything else is refused.
func valueFits(d WidenDialect, t SQLType, kind Kind, v any) bool {
	if t.Class == ClassBool && d.BoolIsInt {
		t = SQLType{Class: ClassInt, Size: 1}
	}
	switch t.Class {
	case ClassInt:
		n, ok := integerValue(v)
		if !ok {
			return false
		}
		bits := uint(8 * t.Size)
		lo, hi := new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), bits-1)), new(big.Int).Lsh(big.NewInt(1), bits-1)
		if t.Unsigned {
			lo, hi = big.NewInt(0), new(big.Int).Lsh(big.NewInt(1), bits)
		}
		return n.Cmp(lo) >= 0 && n.Cmp(hi) < 0
	case ClassNumeric:
		var text string
		switch x := v.(type) {
		case int64:
			text = strconv.FormatInt(x, 10)
		case pgtype.Numeric:
			if x.NaN || x.InfinityModifier != pgtype.Finite {
				return t.Precision == 0 && d.Unconstrained
			}
			text = NumericText(x)
		default:
			return false
		}
		if t.Precision == 0 {
			return true
		}
		intPart, frac, _ := strings.Cut(strings.TrimPrefix(text, "-"), ".")
		intPart = strings.TrimLeft(intPart, "0")
		return len(intPart) <= t.Precision-t.Scale && len(frac) <= t.Scale
	case ClassFloat:
		switch x := v.(type) {
		case float64:
			return t.Size >= 8 || math.IsNaN(x) || float64(float32(x)) == x
		case int64:
			limit := int64(1) << 24
			if t.Size >= 8 {
				limit = 1 << 53
			}
			return x >= -limit && x <= limit
		}
		return false
	case ClassString:
		text, ok := v.(string)
		if !ok {
			text = Canonical(kind, v)
		}
		switch {
		case t.Size == 0:
			return true
		case t.TextBytes:
			return len(text) <= t.Size
		default:
			return utf8.RuneCountInString(text) <= t.Size
		}
	case ClassBytes:
		b, ok := v.([]byte)
		return ok && (t.Size == 0 || len(b) <= t.Size)
	case ClassDate:
		x, ok := v.(time.Time)
		return ok && x.Equal(x.Truncate(24*time.Hour))
	case ClassTimestamp, ClassTimestampTZ, ClassTime:
		var nanos int64
		switch x := v.(type) {
		case time.Time:
			nanos = int64(x.Nanosecond())
		case pgtype.Time:
			nanos = x.Microseconds * 1000
		default:
			return false
		}
		return nanos%int64(math.Pow10(9-t.Precision)) == 0
	}
	return true // same class, spelled differently (json and jsonb, …)
}

// integerValue is v as an integer, when it is one.
func integerValue(v any) (*big.Int, bool) {
	switch x := v.(type) {
	case int64:
		return big.NewInt(x), true
	case bool:
		if x {
			return big.NewInt(1), true
		}
		return big.NewInt(0), true
	case pgtype.Numeric:
		if x.NaN || x.InfinityModifier != pgtype.Finite || x.Int == nil {
			return nil, false
		}
		intPart, frac, _ := strings.Cut(NumericText(x), ".")
		if frac != "" {
			return nil, false
		}
		n, ok := new(big.Int).SetString(intPart, 10)
		return n, ok
	}
	return nil, false
}
