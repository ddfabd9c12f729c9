package load

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// Type inference for file sources (csv, tsv, jsonl, json): a column's kind is the narrowest
// that every non-null value of a bounded sample fits, tried in inferOrder; every later value
// is then converted to that kind (fileValue), and one that does not fit follows the schema
// contract (source_file.go).

// inferOrder is the order kinds are tried in, narrowest first; KindText takes anything.
var inferOrder = []Kind{KindInt64, KindDecimal, KindFloat64, KindBool, KindDate, KindTimestamp, KindTimestampTZ, KindUUID}

// fitsKind reports whether text s (not null) is a value of kind k as files spell it.
func fitsKind(k Kind, s string) bool {
	switch k {
	case KindInt64:
		return isInteger(s)
	case KindDecimal:
		return isPlainDecimal(s)
	case KindFloat64:
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return false
		}
		return isNumberText(s) && !leadingZero(s)
	case KindBool:
		_, ok := parseFileBool(s)
		return ok
	case KindDate:
		return len(s) == 10 && s[4] == '-' && s[7] == '-' && parseOK(time.DateOnly, s)
	case KindTimestamp: // a date is midnight of its day, so dates and timestamps mix
		_, err := parseFileTimestamp(s, false)
		return err == nil || fitsKind(KindDate, s)
	case KindTimestampTZ:
		_, err := parseFileTimestamp(s, true)
		return err == nil
	case KindUUID:
		if len(s) != 36 {
			return false
		}
		_, err := uuid.Parse(s)
		return err == nil
	case KindJSON:
		return json.Valid([]byte(s))
	}
	return true
}

func parseOK(layout, s string) bool { _, err := time.Parse(layout, s); return err == nil }

// isInteger accepts an optional sign and digits that fit an int64, without leading zeros
// (a code such as 007 stays text, with its zeros).
func isInteger(s string) bool {
	d := s
	if len(d) > 0 && (d[0] == '-' || d[0] == '+') {
		d = d[1:]
	}
	if d == "" || len(d) > 19 || (len(d) > 1 && d[0] == '0') {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// isPlainDecimal accepts [sign]digits[.digits] (no exponent): kept exact, digit for digit.
func isPlainDecimal(s string) bool {
	d := s
	if len(d) > 0 && (d[0] == '-' || d[0] == '+') {
		d = d[1:]
	}
	intPart, frac, hasDot := strings.Cut(d, ".")
	if intPart == "" && frac == "" {
		return false
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		return false
	}
	for _, part := range []string{intPart, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return false
			}
		}
	}
	return !hasDot || frac != "" || intPart != ""
}

// leadingZero is a number written with a zero before other digits (007, -01.5): a code.
func leadingZero(s string) bool {
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	return len(s) > 1 && s[0] == '0' && s[1] >= '0' && s[1] <= '9'
}

// isNumberText excludes what ParseFloat accepts but files do not mean as numbers (inf, nan,
// hexadecimal, underscores).
func isNumberText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E' {
			return false
		}
	}
	return true
}

func parseFileBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "t": // t and f as PostgreSQL writes them
		return true, true
	case "false", "f":
		return false, true
	}
	return false, false
}

var (
	naiveLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04"}
	zonedLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z0700",
		"2006-01-02 15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999Z07", "2006-01-02 15:04:05.999999999Z07",
		"2006-01-02T15:04Z07:00", "2006-01-02 15:04Z07:00"}
)

// parseFileTimestamp reads a date and time: without a zone (zoned false) it is a wall-clock
// timestamp, with one (Z, +02:00, +0200, +02) an instant.
func parseFileTimestamp(s string, zoned bool) (time.Time, error) {
	if t, z, ok := parseISOTimestamp(s); ok && z == zoned {
		return t, nil
	}
	layouts := naiveLayouts
	if zoned {
		layouts = zonedLayouts
	}
	if len(s) >= 16 && s[4] == '-' && s[7] == '-' {
		for _, l := range layouts {
			if t, err := time.Parse(l, s); err == nil {
				return t, nil
			}
		}
	}
	if zoned {
		return time.Time{}, fmt.Errorf("%q is not a date and time with a zone", s)
	}
	return time.Time{}, fmt.Errorf("%q is not a date and time", s)
}

// parseISOTimestamp reads YYYY-MM-DD[ T]HH:MM[:SS[.fraction]] with an optional zone (Z, ±HH,
// ±HHMM, ±HH:MM) without time.Parse's cost; ok is false for anything else (the layouts then
// decide).
func parseISOTimestamp(s string) (t time.Time, zoned, ok bool) {
	num := func(from, n int) (int, bool) {
		if from+n > len(s) {
			return 0, false
		}
		v := 0
		for i := from; i < from+n; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	if len(s) < 16 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' {
		return t, false, false
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 2)
	day, ok3 := num(8, 2)
	hour, ok4 := num(11, 2)
	minute, ok5 := num(14, 2)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 {
		return t, false, false
	}
	i, sec, nsec := 16, 0, 0
	if i < len(s) && s[i] == ':' {
		var okS bool
		if sec, okS = num(i+1, 2); !okS || sec > 59 {
			return t, false, false
		}
		i += 3
		if i < len(s) && s[i] == '.' {
			i++
			start := i
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				if i-start < 9 {
					nsec = nsec*10 + int(s[i]-'0')
				}
				i++
			}
			if i == start {
				return t, false, false
			}
			for n := i - start; n < 9; n++ {
				nsec *= 10
			}
		}
	}
	loc := time.UTC
	if i < len(s) {
		switch s[i] {
		case 'Z':
			if i+1 != len(s) {
				return t, false, false
			}
			zoned = true
		case '+', '-':
			zh, okH := num(i+1, 2)
			if !okH || zh > 23 {
				return t, false, false
			}
			zm, j := 0, i+3
			if j < len(s) && s[j] == ':' {
				j++
			}
			if j < len(s) {
				var okM bool
				if zm, okM = num(j, 2); !okM || zm > 59 || j+2 != len(s) {
					return t, false, false
				}
			}
			off := zh*3600 + zm*60
			if s[i] == '-' {
				off = -off
			}
			if off != 0 {
				loc = time.FixedZone("", off)
			}
			zoned = true
		default:
			return t, false, false
		}
	}
	t = time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc)
	if t.Day() != day { // February 30th and the like
		return time.Time{}, false, false
	}
	return t, zoned, true
}

// kindInference narrows a column's kind as sample values arrive.
type kindInference struct {
	// fits[i] is false once a value did not fit inferOrder[i].
	fits [8]bool
	seen bool
	// json: an object or array was seen (json files), or every value was JSON itself.
	json bool
}

func newKindInference() kindInference {
	k := kindInference{}
	for i := range k.fits {
		k.fits[i] = true
	}
	return k
}

func (k *kindInference) add(s string) {
	k.seen = true
	for i, kind := range inferOrder {
		if k.fits[i] && !fitsKind(kind, s) {
			k.fits[i] = false
		}
	}
}

// addJSON takes a value of a json or jsonl file: numbers and strings by their text (a string
// is never taken as a number), booleans as booleans, objects and arrays make the column JSON.
func (k *kindInference) addJSON(v any) {
	switch x := v.(type) {
	case nil:
	case map[string]any, []any:
		k.seen, k.json = true, true
	case bool:
		k.seen = true
		for i, kind := range inferOrder {
			if kind != KindBool {
				k.fits[i] = false
			}
		}
	case json.Number:
		k.seen = true
		for i, kind := range inferOrder {
			if kind != KindInt64 && kind != KindDecimal && kind != KindFloat64 {
				k.fits[i] = false
			}
		}
		k.add(x.String())
	case string:
		k.seen = true
		for i, kind := range inferOrder {
			if kind == KindInt64 || kind == KindDecimal || kind == KindFloat64 || kind == KindBool {
				k.fits[i] = false
			}
		}
		k.add(x)
	}
}

// kind is the inferred kind: text when nothing but nulls was seen.
func (k *kindInference) kind() Kind {
	if k.json {
		return KindJSON
	}
	if !k.seen {
		return KindText
	}
	for i, kind := range inferOrder {
		if k.fits[i] {
			return kind
		}
	}
	return KindText
}

// widerKind is the narrowest kind holding values of both a and b, for evolve when a value
// breaks the inferred kind of its column.
func widerKind(a, b Kind) Kind {
	if a == b {
		return a
	}
	if a == KindJSON || b == KindJSON {
		return KindJSON
	}
	rank := func(k Kind) int {
		switch k {
		case KindInt64:
			return 1
		case KindDecimal:
			return 2
		case KindFloat64:
			return 3
		case KindDate:
			return 11
		case KindTimestamp:
			return 12
		}
		return 0
	}
	ra, rb := rank(a), rank(b)
	switch {
	case ra > 0 && ra < 10 && rb > 0 && rb < 10:
		return max(a, b) // int64 < decimal < float64 in the Kind order
	case ra > 10 && rb > 10:
		return KindTimestamp
	}
	return KindText
}

// valueKind is the narrowest kind of one text value.
func valueKind(s string) Kind {
	for _, k := range inferOrder {
		if fitsKind(k, s) {
			return k
		}
	}
	return KindText
}

// fileValue converts a file's text value to kind k.
func fileValue(k Kind, s string) (any, error) {
	switch k {
	case KindText:
		return s, nil
	case KindInt64, KindInt32, KindInt16:
		if !isInteger(s) {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		return strconv.ParseInt(s, 10, 64)
	case KindDecimal:
		if n, ok := smallDecimal(s); ok {
			return n, nil
		}
		if !isPlainDecimal(s) {
			if fitsKind(KindFloat64, s) {
				return ParseNumeric(s)
			}
			return nil, fmt.Errorf("%q is not a decimal number", s)
		}
		return ParseNumeric(s)
	case KindFloat64, KindFloat32:
		if !isNumberText(s) {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return f, nil
	case KindBool:
		b, ok := parseFileBool(s)
		if !ok {
			return nil, fmt.Errorf("%q is not true or false", s)
		}
		return b, nil
	case KindDate:
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
		}
		return t, nil
	case KindTimestamp:
		t, err := parseFileTimestamp(s, false)
		if err != nil {
			if d, derr := time.Parse(time.DateOnly, s); derr == nil {
				return d, nil // a date is midnight of its day
			}
			return nil, err
		}
		return t, nil
	case KindTimestampTZ:
		return parseFileTimestamp(s, true)
	case KindUUID:
		u, err := uuid.Parse(s)
		if err != nil || len(s) != 36 {
			return nil, fmt.Errorf("%q is not a UUID", s)
		}
		return [16]byte(u), nil
	case KindJSON:
		if !json.Valid([]byte(s)) {
			b, _ := json.Marshal(s)
			return string(b), nil // a plain string in a JSON column: as a JSON string
		}
		return s, nil
	}
	return nil, fmt.Errorf("a %s column cannot be read from a file", k)
}

// smallDecimal reads a plain decimal of at most 18 digits without going through text
// scanning: the common case of amounts and prices.
func smallDecimal(s string) (pgtype.Numeric, bool) {
	neg := false
	d := s
	if len(d) > 0 && (d[0] == '-' || d[0] == '+') {
		neg, d = d[0] == '-', d[1:]
	}
	if d == "" || len(d) > 19 {
		return pgtype.Numeric{}, false
	}
	var mant int64
	digits, exp := 0, int32(0)
	seenDot := false
	for i := 0; i < len(d); i++ {
		c := d[i]
		switch {
		case c >= '0' && c <= '9':
			mant = mant*10 + int64(c-'0')
			digits++
			if seenDot {
				exp--
			}
		case c == '.' && !seenDot:
			seenDot = true
		default:
			return pgtype.Numeric{}, false
		}
	}
	if digits == 0 || digits > 18 || (len(d) > 1 && d[0] == '0' && d[1] != '.') {
		return pgtype.Numeric{}, false
	}
	if neg {
		mant = -mant
	}
	return pgtype.Numeric{Int: big.NewInt(mant), Exp: exp, Valid: true}, true
}

// fileTypeName spells a kind for messages and for Type.Source of an inferred column.
func fileTypeName(k Kind) string {
	switch k {
	case KindInt64:
		return "integer"
	case KindDecimal:
		return "decimal"
	case KindFloat64:
		return "double"
	case KindBool:
		return "boolean"
	case KindTimestampTZ:
		return "timestamp with time zone"
	}
	return k.String()
}

// columnTypeOverride maps a config's type name (config.files.columns) to a kind.
func columnTypeOverride(name string) (Kind, bool) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "text", "string":
		return KindText, true
	case "integer", "int", "bigint", "int64":
		return KindInt64, true
	case "decimal", "numeric":
		return KindDecimal, true
	case "double", "float", "float64", "number":
		return KindFloat64, true
	case "boolean", "bool":
		return KindBool, true
	case "date":
		return KindDate, true
	case "timestamp":
		return KindTimestamp, true
	case "timestamptz", "timestamp with time zone":
		return KindTimestampTZ, true
	case "uuid":
		return KindUUID, true
	case "json":
		return KindJSON, true
	}
	return 0, false
}

// columnTypeNames are the names columnTypeOverride accepts, for messages.
const columnTypeNames = "text, integer, decimal, double, boolean, date, timestamp, timestamptz, uuid, json"
