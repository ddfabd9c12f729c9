package load

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Kind is a logical column type: what every source maps its types to and every destination
// maps from. Values of a kind travel in one Go representation (see Batch).
type Kind uint8

// The logical kinds.
const (
	KindText        Kind = iota // string
	KindInt16                   // int64
	KindInt32                   // int64
	KindInt64                   // int64
	KindDecimal                 // pgtype.Numeric, exact (never a float)
	KindFloat32                 // float64
	KindFloat64                 // float64
	KindBool                    // bool
	KindBytes                   // []byte
	KindDate                    // time.Time at midnight UTC
	KindTime                    // pgtype.Time (microseconds since midnight)
	KindTimestamp               // time.Time in UTC, wall clock without zone
	KindTimestampTZ             // time.Time, an instant
	KindInterval                // pgtype.Interval
	KindJSON                    // string holding JSON text (arrays travel as JSON too)
	KindUUID                    // [16]byte
	// KindChar is a fixed-length character string (SQL's char(n)): a string, padded with
	// spaces to Type.Precision characters where the system pads (PostgreSQL; MySQL strips the
	// padding when reading). Trailing spaces are not significant (see Canonical).
	// Type.Precision 0 is PostgreSQL's bpchar without a length.
	KindChar
	// KindDuration is a signed span of time of at most hours, minutes and seconds, MySQL's TIME
	// (−838:59:59.999999 to 838:59:59.999999): a pgtype.Interval holding only Microseconds.
	// Type.Precision holds its fractional second digits.
	KindDuration
)

var kindNames = [...]string{"text", "int16", "int32", "int64", "decimal", "float32", "float64", "bool",
	"bytes", "date", "time", "timestamp", "timestamptz", "interval", "json", "uuid", "char", "duration"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Type is a logical type: a kind, with precision and scale for decimals (Precision 0 means
// unconstrained), the length of a char (0: unbounded) or the fractional second digits of a
// duration in Precision, and the source's own spelling for messages.
type Type struct {
	Kind      Kind
	Precision int
	Scale     int
	// Source is how the source database spells the type, e.g. "numeric(12,2)" or "nvarchar(40)".
	Source string
}

func (t Type) String() string {
	if t.Kind == KindDecimal && t.Precision > 0 {
		return fmt.Sprintf("decimal(%d,%d)", t.Precision, t.Scale)
	}
	return t.Kind.String()
}

var precScaleRE = regexp.MustCompile(`\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)`)

// precisionScale reads "(p,s)" or "(p)" out of a spelled type.
func precisionScale(spelled string) (p, s int) {
	m := precScaleRE.FindStringSubmatch(spelled)
	if m == nil {
		return 0, 0
	}
	p, _ = strconv.Atoi(m[1])
	if m[2] != "" {
		s, _ = strconv.Atoi(m[2])
	}
	return p, s
}

// PostgresSourceType maps a PostgreSQL column type: typname as in pg_type, formatted as
// format_type() spells it, and whether it is an array. ok is false for types read as text
// (enums, inet, money, geometric types…), whose values the source casts to text.
func PostgresSourceType(typname, formatted string, isArray bool) (t Type, castToText bool) {
	t.Source = formatted
	if isArray {
		t.Kind = KindJSON
		return t, false
	}
	switch typname {
	case "int2":
		t.Kind = KindInt16
	case "int4":
		t.Kind = KindInt32
	case "int8":
		t.Kind = KindInt64
	case "numeric":
		t.Kind = KindDecimal
		t.Precision, t.Scale = precisionScale(formatted)
	case "float4":
		t.Kind = KindFloat32
	case "float8":
		t.Kind = KindFloat64
	case "bool":
		t.Kind = KindBool
	case "bpchar":
		// char(n) keeps its length and its padding; bpchar without a length is unbounded.
		t.Kind = KindChar
		if n, _ := precisionScale(formatted); n > 0 {
			t.Precision = n
		}
	case "money":
		// An exact amount (a 64-bit count of the locale's smallest unit), read as numeric
		// rather than as text formatted for the server's lc_monetary.
		t.Kind = KindDecimal
	case "text", "varchar", "name", "citext", "char":
		t.Kind = KindText
	case "bytea":
		t.Kind = KindBytes
	case "date":
		t.Kind = KindDate
	case "time":
		t.Kind = KindTime
	case "timestamp":
		t.Kind = KindTimestamp
	case "timestamptz":
		t.Kind = KindTimestampTZ
	case "interval":
		t.Kind = KindInterval
	case "json", "jsonb":
		t.Kind = KindJSON
	case "uuid":
		t.Kind = KindUUID
	default:
		t.Kind = KindText
		return t, true
	}
	return t, false
}

// MySQLSourceType maps a MySQL/MariaDB column from information_schema: DATA_TYPE, COLUMN_TYPE
// and whether MariaDB guards it with json_valid (its JSON is a longtext with a check).
func MySQLSourceType(dataType, columnType string, isJSON bool) Type {
	dt := strings.ToLower(dataType)
	ct := strings.ToLower(columnType)
	unsigned := strings.Contains(ct, "unsigned")
	t := Type{Source: columnType}
	switch dt {
	case "tinyint":
		if strings.HasPrefix(ct, "tinyint(1)") && !unsigned {
			t.Kind = KindBool
		} else {
			t.Kind = KindInt16
		}
	case "smallint":
		t.Kind = KindInt16
		if unsigned {
			t.Kind = KindInt32
		}
	case "mediumint", "year":
		t.Kind = KindInt32
	case "int", "integer":
		t.Kind = KindInt32
		if unsigned {
			t.Kind = KindInt64
		}
	case "bigint":
		t.Kind = KindInt64
		if unsigned {
			t.Kind, t.Precision, t.Scale = KindDecimal, 20, 0
		}
	case "decimal", "numeric":
		t.Kind = KindDecimal
		t.Precision, t.Scale = precisionScale(ct)
	case "float":
		t.Kind = KindFloat32
	case "double", "real", "double precision":
		t.Kind = KindFloat64
	case "bit":
		if p, _ := precisionScale(ct); p <= 1 {
			t.Kind = KindBool
		} else {
			t.Kind = KindBytes
		}
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		t.Kind = KindBytes
	case "date":
		t.Kind = KindDate
	case "time":
		// A duration, not a time of day (it goes to 838 hours, and below zero).
		t.Kind = KindDuration
		t.Precision, _ = precisionScale(ct)
	case "char":
		t.Kind = KindChar
		t.Precision, _ = precisionScale(ct)
	case "datetime":
		t.Kind = KindTimestamp
	case "timestamp":
		t.Kind = KindTimestampTZ
	case "json":
		t.Kind = KindJSON
	case "uuid":
		t.Kind = KindUUID
	default: // char, varchar, *text, enum, set, inet4/6, geometry as text…
		t.Kind = KindText
		if isJSON {
			t.Kind = KindJSON
		}
	}
	return t
}

// SQLiteSourceType maps a declared SQLite column type. SQLite types values, not columns, so
// the declared name decides the kind (after SQLite's own affinity rules, refined by common
// names such as DATETIME and NUMERIC(10,2)) and the source converts each value to it.
func SQLiteSourceType(declared string) Type {
	d := strings.ToUpper(strings.TrimSpace(declared))
	t := Type{Source: declared}
	base := d
	if i := strings.IndexByte(base, '('); i >= 0 {
		base = strings.TrimSpace(base[:i])
	}
	switch {
	case base == "BOOLEAN" || base == "BOOL":
		t.Kind = KindBool
	case base == "DATE":
		t.Kind = KindDate
	case base == "DATETIME" || base == "TIMESTAMP":
		t.Kind = KindTimestamp
	case base == "TIME":
		t.Kind = KindTime
	case base == "JSON":
		t.Kind = KindJSON
	case base == "UUID":
		t.Kind = KindUUID
	case base == "DECIMAL" || base == "NUMERIC":
		t.Kind = KindDecimal
		t.Precision, t.Scale = precisionScale(d)
	case strings.Contains(d, "INT"):
		t.Kind = KindInt64
	case strings.Contains(d, "CHAR") || strings.Contains(d, "CLOB") || strings.Contains(d, "TEXT"):
		t.Kind = KindText
	case strings.Contains(d, "BLOB"):
		t.Kind = KindBytes
	case strings.Contains(d, "REAL") || strings.Contains(d, "FLOA") || strings.Contains(d, "DOUB"):
		t.Kind = KindFloat64
	case d == "":
		t.Kind = KindText // no declared type: any value, kept as its text
	default:
		t.Kind = KindDecimal // SQLite's NUMERIC affinity
	}
	return t
}

// MaxDecimalPrecision is the largest precision kept as a constrained decimal everywhere.
const MaxDecimalPrecision = 38

// PostgresColumnType is the PostgreSQL DDL of a logical type.
func PostgresColumnType(t Type) string {
	switch t.Kind {
	case KindInt16:
		return "smallint"
	case KindInt32:
		return "integer"
	case KindInt64:
		return "bigint"
	case KindDecimal:
		if t.Precision > 0 && t.Precision <= 1000 {
			return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale)
		}
		return "numeric"
	case KindFloat32:
		return "real"
	case KindFloat64:
		return "double precision"
	case KindBool:
		return "boolean"
	case KindBytes:
		return "bytea"
	case KindDate:
		return "date"
	case KindTime:
		return "time"
	case KindTimestamp:
		return "timestamp"
	case KindTimestampTZ:
		return "timestamptz"
	case KindInterval, KindDuration:
		return "interval"
	case KindJSON:
		return "jsonb"
	case KindUUID:
		return "uuid"
	case KindChar:
		if t.Precision > 0 && t.Precision <= pgMaxCharLength {
			return fmt.Sprintf("character(%d)", t.Precision)
		}
		return "bpchar"
	default:
		return "text"
	}
}

// pgMaxCharLength is the longest char(n) PostgreSQL declares.
const pgMaxCharLength = 10485760

// MySQLMaxCharLength is the longest CHAR(n) MySQL declares; a longer fixed-length string is
// kept, padding and all, in a longtext.
const MySQLMaxCharLength = 255

// MySQLColumnType is the MySQL/MariaDB DDL of a logical type. MySQL has no interval, no
// unconstrained decimal and no arrays: intervals travel as text, a decimal wider than MySQL's
// 65 digits (or unconstrained) as decimal(65,30), and arrays as JSON. A duration (MySQL's own
// TIME) is a TIME again.
func MySQLColumnType(t Type) string {
	switch t.Kind {
	case KindInt16:
		return "smallint"
	case KindInt32:
		return "int"
	case KindInt64:
		return "bigint"
	case KindDecimal:
		if t.Precision > 0 && t.Precision <= 65 && t.Scale <= 30 {
			return fmt.Sprintf("decimal(%d,%d)", t.Precision, t.Scale)
		}
		return "decimal(65,30)"
	case KindFloat32:
		return "float"
	case KindFloat64:
		return "double"
	case KindBool:
		return "tinyint(1)"
	case KindBytes:
		return "longblob"
	case KindDate:
		return "date"
	case KindTime:
		return "time(6)"
	case KindDuration:
		if t.Precision > 0 && t.Precision <= 6 {
			return fmt.Sprintf("time(%d)", t.Precision)
		}
		return "time"
	case KindChar:
		if t.Precision > 0 && t.Precision <= MySQLMaxCharLength {
			return fmt.Sprintf("char(%d)", t.Precision)
		}
		return "longtext"
	case KindTimestamp, KindTimestampTZ:
		return "datetime(6)" // an instant is stored in UTC
	case KindInterval:
		return "varchar(100)"
	case KindJSON:
		return "json"
	case KindUUID:
		return "char(36)"
	default:
		return "longtext"
	}
}
