package load

import (
	"fmt"
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

// typeClass is a family of column types that can widen within itself.
type typeClass uint8

const (
	classOther typeClass = iota // anything the rules do not know: only equal spellings fit
	classInt
	classNumeric
	classFloat
	classBool
	classString
	classBytes
	classDate
	classTime
	classTimestamp
	classTimestampTZ
	classInterval
	classJSON
	classUUID
)

// sqlType is a column type reduced to what widening needs.
type sqlType struct {
	class typeClass
	// size: bytes of an integer or a float; for a string, its length in characters (varchar,
	// char; 0 = unbounded) or, with textBytes, the bytes a MySQL *text type holds.
	size      int
	textBytes bool
	// fixed: PostgreSQL's char(n)/bpchar, padded with spaces (size 0: bpchar without a length).
	fixed    bool
	unsigned bool
	// precision and scale of a numeric (precision 0 = unconstrained); fractional second
	// digits of a time or timestamp.
	precision, scale int
	spelled          string
}

// WidenDialect is what differs between destinations: how types are spelled and how far a
// decimal goes.
type WidenDialect struct {
	parse  func(string) sqlType
	format func(sqlType) string
	// maxPrecision and maxScale bound a constrained decimal; over them PostgreSQL goes
	// unconstrained (unbounded: 0) and MySQL caps at decimal(65, scale).
	maxPrecision, maxScale int
	unconstrained          bool
	// boolIsInt: MySQL's boolean is tinyint(1), an integer holding 0 and 1.
	boolIsInt bool
	// text is the unbounded string type.
	text sqlType
}

// maxIntegerText is the length of the longest integer as text (-9223372036854775808).
const maxIntegerText = 20

// widenPostgres decides for a PostgreSQL column spelled have (format_type()) receiving values of
// the source type spelled want (PostgresColumnType).
func widenPostgres(have, want string) Widening { return widen(PostgresWiden, have, want) }

// widenMySQL decides for a MySQL/MariaDB column spelled have (information_schema COLUMN_TYPE)
// receiving values of the source type spelled want (MySQLColumnType or a key's bounded type).
func widenMySQL(have, want string) Widening { return widen(MySQLWiden, have, want) }

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

func widen(d WidenDialect, haveSpelled, wantSpelled string) Widening {
	have, want := d.parse(haveSpelled), d.parse(wantSpelled)
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
	return Widening{Verdict: WidenTo, To: d.format(to)}
}

// widerOf is the narrowest type holding every value of have and of want exactly.
func widerOf(d WidenDialect, have, want sqlType) (sqlType, bool) {
	if d.boolIsInt {
		// A boolean is the integer 0 or 1 there: it fits any integer and any integer column.
		if have.class == classBool && want.class == classInt {
			return want, true
		}
		if have.class == classInt && want.class == classBool {
			return have, true
		}
	}
	// Text holds the text form of anything but bytes (whose text would be an encoding of them).
	if have.class == classString || want.class == classString {
		switch {
		case have.class == classString && want.class == classString:
			return widerString(d, have, want), true
		case have.class == classBytes || want.class == classBytes:
			return sqlType{}, false
		case have.class == classString:
			if have == d.text || (want.class == classInt && !have.textBytes && have.size >= maxIntegerText) {
				return have, true
			}
			return d.text, true
		case have.class == classInt && !want.textBytes && want.size > 0:
			// A bounded key column (MySQL keys a varchar(255), never a longtext) stays bounded.
			return sqlType{class: classString, size: max(want.size, maxIntegerText)}, true
		default:
			return d.text, true
		}
	}
	switch {
	case have.class == want.class:
		return widerSameClass(d, have, want)
	case isNumber(have) && isNumber(want):
		return widerNumber(d, have, want)
	case have.class == classDate && (want.class == classTimestamp || want.class == classTimestampTZ):
		return want, true // midnight of the date (the destination session runs in UTC)
	case want.class == classDate && (have.class == classTimestamp || have.class == classTimestampTZ):
		return have, true
	case have.class == classTime && want.class == classInterval:
		// A MySQL TIME loaded before it was read as the duration it is: every time of day is
		// the interval since midnight.
		return want, true
	}
	return sqlType{}, false
}

func isNumber(t sqlType) bool {
	return t.class == classInt || t.class == classNumeric || t.class == classFloat
}

func widerSameClass(d WidenDialect, have, want sqlType) (sqlType, bool) {
	switch have.class {
	case classInt:
		if have.unsigned == want.unsigned {
			if want.size > have.size {
				return want, true
			}
			return have, true
		}
		if want.unsigned { // a signed column takes an unsigned one when strictly larger
			if have.size > want.size {
				return have, true
			}
			return widerInteger(d, want.size+1, integerDigits(want.size, true)), true
		}
		// An unsigned column receiving signed values: a signed type larger than both.
		return widerInteger(d, max(have.size+1, want.size), max(integerDigits(have.size, true), integerDigits(want.size, false))), true
	case classNumeric:
		return widerDecimal(d, have, want.precision-want.scale, want.scale, want.precision == 0), true
	case classFloat:
		if want.size > have.size {
			return want, true
		}
		return have, true
	case classTime, classTimestamp, classTimestampTZ:
		if want.precision > have.precision {
			return want, true
		}
		return have, true
	case classBytes: // the larger of the two (PostgreSQL's bytea is unbounded)
		if want.size > have.size {
			return want, true
		}
		return have, true
	case classJSON, classBool, classDate, classInterval, classUUID:
		return have, true // spelled differently only (json and jsonb take each other's text)
	}
	return sqlType{}, false
}

// widerInteger is the smallest signed integer of at least size bytes, or a decimal of digits
// digits when none is large enough.
func widerInteger(d WidenDialect, size, digits int) sqlType {
	for _, s := range []int{2, 4, 8} {
		if s >= size {
			return sqlType{class: classInt, size: s}
		}
	}
	return decimalOf(d, digits, 0)
}

// widerNumber handles integers, decimals and floats together. A float only takes integers it
// holds exactly; a decimal and a float never mix (the engine's PostgreSQL casts round floats
// to 15 digits on their way into numeric, and a float cannot hold a decimal's digits).
func widerNumber(d WidenDialect, have, want sqlType) (sqlType, bool) {
	switch {
	case have.class == classNumeric && want.class == classInt:
		return widerDecimal(d, have, integerDigits(want.size, want.unsigned), 0, false), true
	case have.class == classInt && want.class == classNumeric:
		if want.precision > 0 && want.scale == 0 && want.precision < integerDigits(have.size, have.unsigned) {
			return have, true
		}
		asDecimal := sqlType{class: classNumeric, precision: integerDigits(have.size, have.unsigned)}
		return widerDecimal(d, asDecimal, want.precision-want.scale, want.scale, want.precision == 0), true
	case have.class == classFloat && want.class == classInt:
		if exactInFloat(want.size, have.size) {
			return have, true
		}
		if exactInFloat(want.size, 8) {
			return sqlType{class: classFloat, size: 8}, true
		}
		// A bigint is not exact in a double: both go to a decimal (the floats through their
		// shortest exact text, see PostgresUsing), when the dialect has one wide enough.
		if !d.unconstrained {
			return sqlType{}, false
		}
		return sqlType{class: classNumeric}, true
	case have.class == classInt && want.class == classFloat:
		if exactInFloat(have.size, want.size) {
			return want, true
		}
		if exactInFloat(have.size, 8) {
			return sqlType{class: classFloat, size: 8}, true
		}
		return sqlType{}, false // a bigint column cannot take fractions without a decimal
	}
	return sqlType{}, false
}

// widerDecimal widens the decimal have to also hold intDigits integer digits and scale
// fractional ones, never losing a digit of scale.
func widerDecimal(d WidenDialect, have sqlType, intDigits, scale int, unconstrained bool) sqlType {
	if have.precision == 0 { // unconstrained already holds anything
		return have
	}
	if unconstrained {
		if d.unconstrained {
			return sqlType{class: classNumeric}
		}
		intDigits, scale = d.maxPrecision-d.maxScale, d.maxScale
	}
	i := max(have.precision-have.scale, intDigits)
	s := max(have.scale, scale)
	if i == have.precision-have.scale && s == have.scale {
		return have
	}
	return decimalOf(d, i+s, s)
}

// decimalOf is decimal(p,s) within the dialect's bounds: PostgreSQL drops the constraint
// beyond them; MySQL keeps every digit of scale it can (up to 30) and gives up integer digits
// over 65 in total, where a value that does not fit then fails loudly (strict mode).
func decimalOf(d WidenDialect, p, s int) sqlType {
	if p <= d.maxPrecision && s <= d.maxScale {
		return sqlType{class: classNumeric, precision: p, scale: s}
	}
	if d.unconstrained {
		return sqlType{class: classNumeric}
	}
	s = min(s, d.maxScale)
	return sqlType{class: classNumeric, precision: d.maxPrecision, scale: s}
}

// widerString is the narrowest string type of the dialect holding both.
func widerString(d WidenDialect, have, want sqlType) sqlType {
	if !have.textBytes && !want.textBytes {
		if have.fixed && want.fixed { // char(n) stays char, padded: the longer, or bpchar
			if have.size == 0 || (want.size > 0 && want.size <= have.size) {
				return have
			}
			return sqlType{class: classString, size: want.size, fixed: true}
		}
		if have.size == 0 && !have.fixed {
			return have
		}
		if have.size == 0 || want.size == 0 {
			return d.parse("text")
		}
		if want.size <= have.size && !have.fixed {
			return have
		}
		return sqlType{class: classString, size: max(want.size, have.size)}
	}
	// MySQL's *text types hold bytes; a varchar(n) of utf8mb4 needs up to 4n of them.
	bytes := func(t sqlType) int {
		switch {
		case t.textBytes:
			return t.size
		case t.size == 0:
			return mysqlTextSizes[len(mysqlTextSizes)-1].bytes
		default:
			return 4 * t.size
		}
	}
	if have.textBytes && bytes(want) <= have.size {
		return have
	}
	if !have.textBytes && want.size <= have.size { // a *text of size bytes has at most size characters
		return have
	}
	need := max(bytes(have), bytes(want))
	for _, ts := range mysqlTextSizes {
		if ts.bytes >= need {
			return sqlType{class: classString, size: ts.bytes, textBytes: true}
		}
	}
	return sqlType{class: classString, size: mysqlTextSizes[len(mysqlTextSizes)-1].bytes, textBytes: true}
}

var mysqlTextSizes = []struct {
	name  string
	bytes int
}{{"tinytext", 255}, {"text", 65535}, {"mediumtext", 16777215}, {"longtext", 4294967295}}

var (
	typeArgsRE = regexp.MustCompile(`\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)`)
	// pgTimePrecRE takes the fractional digits out of "timestamp(3) without time zone".
	pgTimePrecRE = regexp.MustCompile(`^(timestamp|time)\((\d)\)`)
)

// typeArgs reads "(a)" or "(a,b)" (-1 when absent).
func typeArgs(s string) (a, b int) {
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

// PostgresWiden is how PostgreSQL spells and widens types (NewContractCheck takes it).
var PostgresWiden = WidenDialect{parse: parsePostgresType, format: formatPostgresType, maxPrecision: 1000, maxScale: 1000,
	unconstrained: true, text: sqlType{class: classString}}

// MySQLWiden is how MySQL/MariaDB spells and widens types (NewContractCheck takes it).
var MySQLWiden = WidenDialect{parse: parseMySQLType, format: formatMySQLType, maxPrecision: 65, maxScale: 30, boolIsInt: true,
	text: sqlType{class: classString, size: mysqlTextSizes[len(mysqlTextSizes)-1].bytes, textBytes: true}}

func parsePostgresType(spelled string) sqlType {
	s := strings.ToLower(strings.TrimSpace(spelled))
	orig := s
	t := sqlType{}
	precision := 6
	if m := pgTimePrecRE.FindStringSubmatch(s); m != nil {
		precision, _ = strconv.Atoi(m[2])
		s = m[1] + s[len(m[0]):]
	}
	if strings.HasSuffix(s, "[]") {
		return sqlType{spelled: orig}
	}
	base := s
	if i := strings.IndexByte(base, '('); i >= 0 {
		base = strings.TrimSpace(base[:i])
	}
	switch base {
	case "smallint", "int2":
		t = sqlType{class: classInt, size: 2}
	case "integer", "int", "int4":
		t = sqlType{class: classInt, size: 4}
	case "bigint", "int8":
		t = sqlType{class: classInt, size: 8}
	case "numeric", "decimal":
		p, sc := typeArgs(s)
		t = sqlType{class: classNumeric}
		if p > 0 {
			t.precision, t.scale = p, max(sc, 0)
		}
	case "real", "float4":
		t = sqlType{class: classFloat, size: 4}
	case "double precision", "float8":
		t = sqlType{class: classFloat, size: 8}
	case "boolean", "bool":
		t = sqlType{class: classBool}
	case "text":
		t = sqlType{class: classString}
	case "character varying", "varchar", "character", "char", "bpchar":
		n, _ := typeArgs(s)
		t = sqlType{class: classString, size: max(n, 0), fixed: base != "character varying" && base != "varchar"}
		if n < 0 && (base == "character" || base == "char") {
			t.size = 1 // char without a length is char(1); bpchar without one is unbounded
		}
	case "bytea":
		t = sqlType{class: classBytes}
	case "date":
		t = sqlType{class: classDate}
	case "time", "time without time zone":
		t = sqlType{class: classTime, precision: precision}
	case "timestamp", "timestamp without time zone":
		t = sqlType{class: classTimestamp, precision: precision}
	case "timestamptz", "timestamp with time zone":
		t = sqlType{class: classTimestampTZ, precision: precision}
	case "interval":
		t = sqlType{class: classInterval}
	case "json", "jsonb":
		t = sqlType{class: classJSON}
	case "uuid":
		t = sqlType{class: classUUID}
	}
	if t.class == classJSON || t.class == classOther {
		t.spelled = orig // json and jsonb are one class but not one type
	}
	return t
}

func formatPostgresType(t sqlType) string {
	switch t.class {
	case classInt:
		switch {
		case t.size <= 2:
			return "smallint"
		case t.size <= 4:
			return "integer"
		default:
			return "bigint"
		}
	case classNumeric:
		if t.precision == 0 {
			return "numeric"
		}
		return fmt.Sprintf("numeric(%d,%d)", t.precision, t.scale)
	case classFloat:
		if t.size <= 4 {
			return "real"
		}
		return "double precision"
	case classString:
		switch {
		case t.fixed && t.size == 0:
			return "bpchar"
		case t.fixed:
			return fmt.Sprintf("character(%d)", t.size)
		case t.size == 0:
			return "text"
		}
		return fmt.Sprintf("character varying(%d)", t.size)
	case classInterval:
		return "interval"
	case classTimestamp, classTimestampTZ, classTime:
		name := map[typeClass]string{classTimestamp: "timestamp", classTimestampTZ: "timestamptz", classTime: "time"}[t.class]
		if t.precision == 6 {
			return name
		}
		return fmt.Sprintf("%s(%d)", name, t.precision)
	}
	return t.spelled
}

// PostgresUsing is the expression ALTER COLUMN … TYPE converts the column's values with. A float
// goes to numeric through its shortest exact text: PostgreSQL's float8-to-numeric cast keeps
// only 15 significant digits.
func PostgresUsing(have, to, column string) string {
	if parsePostgresType(have).class == classFloat && parsePostgresType(to).class == classNumeric {
		return column + "::text::" + to
	}
	// char(n) to another string type: its cast strips the padding, its output keeps it.
	if isPostgresChar(have) && !isPostgresChar(to) && parsePostgresType(to).class == classString {
		return "textin(bpcharout(" + column + "))::" + to
	}
	return column + "::" + to
}

// isPostgresChar says a spelled PostgreSQL type is char(n) or bpchar.
func isPostgresChar(spelled string) bool {
	s := strings.ToLower(strings.TrimSpace(spelled))
	return s == "bpchar" || strings.HasPrefix(s, "character(") || s == "character" || strings.HasPrefix(s, "char(")
}

func parseMySQLType(spelled string) sqlType {
	s := strings.ToLower(strings.TrimSpace(spelled))
	t := sqlType{spelled: s}
	unsigned := strings.Contains(s, "unsigned")
	base, _, _ := strings.Cut(s, " ")
	if i := strings.IndexByte(base, '('); i >= 0 {
		base = base[:i]
	}
	a, b := typeArgs(s)
	switch base {
	case "tinyint":
		if a == 1 && !unsigned {
			return sqlType{class: classBool}
		}
		t = sqlType{class: classInt, size: 1, unsigned: unsigned}
	case "smallint":
		t = sqlType{class: classInt, size: 2, unsigned: unsigned}
	case "mediumint":
		t = sqlType{class: classInt, size: 3, unsigned: unsigned}
	case "int", "integer":
		t = sqlType{class: classInt, size: 4, unsigned: unsigned}
	case "bigint":
		t = sqlType{class: classInt, size: 8, unsigned: unsigned}
	case "decimal", "numeric":
		t = sqlType{class: classNumeric, precision: 10} // MySQL's decimal is decimal(10,0)
		if a > 0 {
			t.precision, t.scale = a, max(b, 0)
		}
	case "float":
		t = sqlType{class: classFloat, size: 4}
	case "double", "real":
		t = sqlType{class: classFloat, size: 8}
	case "char", "varchar":
		t = sqlType{class: classString, size: max(a, 1)}
	case "tinytext", "text", "mediumtext", "longtext":
		for _, ts := range mysqlTextSizes {
			if ts.name == base {
				t = sqlType{class: classString, size: ts.bytes, textBytes: true}
			}
		}
	case "binary", "varbinary":
		t = sqlType{class: classBytes, size: max(a, 1), spelled: s}
	case "tinyblob", "blob", "mediumblob", "longblob":
		for i, ts := range mysqlTextSizes {
			if strings.TrimSuffix(ts.name, "text") == strings.TrimSuffix(base, "blob") {
				t = sqlType{class: classBytes, size: mysqlTextSizes[i].bytes, spelled: s}
			}
		}
	case "date":
		t = sqlType{class: classDate}
	case "time":
		t = sqlType{class: classTime, precision: max(a, 0)}
	case "datetime", "timestamp":
		t = sqlType{class: classTimestamp, precision: max(a, 0)}
	case "json":
		t = sqlType{class: classJSON}
	}
	return t
}

func formatMySQLType(t sqlType) string {
	switch t.class {
	case classInt:
		name := map[int]string{1: "tinyint", 2: "smallint", 3: "mediumint", 4: "int", 8: "bigint"}[t.size]
		if t.unsigned {
			name += " unsigned"
		}
		return name
	case classNumeric:
		return fmt.Sprintf("decimal(%d,%d)", t.precision, t.scale)
	case classFloat:
		if t.size <= 4 {
			return "float"
		}
		return "double"
	case classString:
		if !t.textBytes {
			return fmt.Sprintf("varchar(%d)", t.size)
		}
		for _, ts := range mysqlTextSizes {
			if ts.bytes == t.size {
				return ts.name
			}
		}
		return "longtext"
	case classTime:
		return fmt.Sprintf("time(%d)", t.precision)
	case classTimestamp:
		return fmt.Sprintf("datetime(%d)", t.precision)
	case classBool:
		return "tinyint(1)"
	}
	return t.spelled
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
	switch widen(d, have, want).Verdict {
	case FitsAsIs:
		return g, false
	case Incompatible:
		return g, true
	}
	t := d.parse(have)
	g.fits = func(v any) bool { return valueFits(d, t, kind, v) }
	return g, true
}

// valueFits says the column type t stores v (of kind) exactly. It is only asked about values
// of a type the column may take (widerOf found a common type), so it checks ranges, digits,
// lengths and fractions of seconds; anything else is refused.
func valueFits(d WidenDialect, t sqlType, kind Kind, v any) bool {
	if t.class == classBool && d.boolIsInt {
		t = sqlType{class: classInt, size: 1}
	}
	switch t.class {
	case classInt:
		n, ok := integerValue(v)
		if !ok {
			return false
		}
		bits := uint(8 * t.size)
		lo, hi := new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), bits-1)), new(big.Int).Lsh(big.NewInt(1), bits-1)
		if t.unsigned {
			lo, hi = big.NewInt(0), new(big.Int).Lsh(big.NewInt(1), bits)
		}
		return n.Cmp(lo) >= 0 && n.Cmp(hi) < 0
	case classNumeric:
		var text string
		switch x := v.(type) {
		case int64:
			text = strconv.FormatInt(x, 10)
		case pgtype.Numeric:
			if x.NaN || x.InfinityModifier != pgtype.Finite {
				return t.precision == 0 && d.unconstrained
			}
			text = NumericText(x)
		default:
			return false
		}
		if t.precision == 0 {
			return true
		}
		intPart, frac, _ := strings.Cut(strings.TrimPrefix(text, "-"), ".")
		intPart = strings.TrimLeft(intPart, "0")
		return len(intPart) <= t.precision-t.scale && len(frac) <= t.scale
	case classFloat:
		switch x := v.(type) {
		case float64:
			return t.size >= 8 || math.IsNaN(x) || float64(float32(x)) == x
		case int64:
			limit := int64(1) << 24
			if t.size >= 8 {
				limit = 1 << 53
			}
			return x >= -limit && x <= limit
		}
		return false
	case classString:
		text, ok := v.(string)
		if !ok {
			text = Canonical(kind, v)
		}
		switch {
		case t.size == 0:
			return true
		case t.textBytes:
			return len(text) <= t.size
		default:
			return utf8.RuneCountInString(text) <= t.size
		}
	case classBytes:
		b, ok := v.([]byte)
		return ok && (t.size == 0 || len(b) <= t.size)
	case classDate:
		x, ok := v.(time.Time)
		return ok && x.Equal(x.Truncate(24*time.Hour))
	case classTimestamp, classTimestampTZ, classTime:
		var nanos int64
		switch x := v.(type) {
		case time.Time:
			nanos = int64(x.Nanosecond())
		case pgtype.Time:
			nanos = x.Microseconds * 1000
		default:
			return false
		}
		return nanos%int64(math.Pow10(9-t.precision)) == 0
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
