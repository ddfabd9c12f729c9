package pgload

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/datanika/datanika/internal/load"
)

// widenPostgres decides for a PostgreSQL column spelled have (format_type()) receiving values of
// the source type spelled want (PostgresColumnType).
func widenPostgres(have, want string) load.Widening { return load.Widen(postgresWiden, have, want) }

// pgTimePrecRE takes the fractional digits out of "timestamp(3) without time zone".
var pgTimePrecRE = regexp.MustCompile(`^(timestamp|time)\((\d)\)`)

// postgresWiden is how PostgreSQL spells and widens types (NewContractCheck takes it).
var postgresWiden = load.WidenDialect{Parse: parsePostgresType, Format: formatPostgresType, MaxPrecision: 1000, MaxScale: 1000,
	Unconstrained: true, Text: load.SQLType{Class: load.ClassString}}

func parsePostgresType(spelled string) load.SQLType {
	s := strings.ToLower(strings.TrimSpace(spelled))
	orig := s
	t := load.SQLType{}
	precision := 6
	if m := pgTimePrecRE.FindStringSubmatch(s); m != nil {
		precision, _ = strconv.Atoi(m[2])
		s = m[1] + s[len(m[0]):]
	}
	if strings.HasSuffix(s, "[]") {
		return load.SQLType{Spelled: orig}
	}
	base := s
	if i := strings.IndexByte(base, '('); i >= 0 {
		base = strings.TrimSpace(base[:i])
	}
	switch base {
	case "smallint", "int2":
		t = load.SQLType{Class: load.ClassInt, Size: 2}
	case "integer", "int", "int4":
		t = load.SQLType{Class: load.ClassInt, Size: 4}
	case "bigint", "int8":
		t = load.SQLType{Class: load.ClassInt, Size: 8}
	case "numeric", "decimal":
		p, sc := load.TypeArgs(s)
		t = load.SQLType{Class: load.ClassNumeric}
		if p > 0 {
			t.Precision, t.Scale = p, max(sc, 0)
		}
	case "real", "float4":
		t = load.SQLType{Class: load.ClassFloat, Size: 4}
	case "double precision", "float8":
		t = load.SQLType{Class: load.ClassFloat, Size: 8}
	case "boolean", "bool":
		t = load.SQLType{Class: load.ClassBool}
	case "text":
		t = load.SQLType{Class: load.ClassString}
	case "character varying", "varchar", "character", "char", "bpchar":
		n, _ := load.TypeArgs(s)
		t = load.SQLType{Class: load.ClassString, Size: max(n, 0), Fixed: base != "character varying" && base != "varchar"}
		if n < 0 && (base == "character" || base == "char") {
			t.Size = 1 // char without a length is char(1); bpchar without one is unbounded
		}
	case "bytea":
		t = load.SQLType{Class: load.ClassBytes}
	case "date":
		t = load.SQLType{Class: load.ClassDate}
	case "time", "time without time zone":
		t = load.SQLType{Class: load.ClassTime, Precision: precision}
	case "timestamp", "timestamp without time zone":
		t = load.SQLType{Class: load.ClassTimestamp, Precision: precision}
	case "timestamptz", "timestamp with time zone":
		t = load.SQLType{Class: load.ClassTimestampTZ, Precision: precision}
	case "interval":
		t = load.SQLType{Class: load.ClassInterval}
	case "json", "jsonb":
		t = load.SQLType{Class: load.ClassJSON}
	case "uuid":
		t = load.SQLType{Class: load.ClassUUID}
	}
	if t.Class == load.ClassJSON || t.Class == load.ClassOther {
		t.Spelled = orig // json and jsonb are one class but not one type
	}
	return t
}

func formatPostgresType(t load.SQLType) string {
	switch t.Class {
	case load.ClassInt:
		switch {
		case t.Size <= 2:
			return "smallint"
		case t.Size <= 4:
			return "integer"
		default:
			return "bigint"
		}
	case load.ClassNumeric:
		if t.Precision == 0 {
			return "numeric"
		}
		return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale)
	case load.ClassFloat:
		if t.Size <= 4 {
			return "real"
		}
		return "double precision"
	case load.ClassString:
		switch {
		case t.Fixed && t.Size == 0:
			return "bpchar"
		case t.Fixed:
			return fmt.Sprintf("character(%d)", t.Size)
		case t.Size == 0:
			return "text"
		}
		return fmt.Sprintf("character varying(%d)", t.Size)
	case load.ClassInterval:
		return "interval"
	case load.ClassTimestamp, load.ClassTimestampTZ, load.ClassTime:
		name := map[load.TypeClass]string{load.ClassTimestamp: "timestamp", load.ClassTimestampTZ: "timestamptz", load.ClassTime: "time"}[t.Class]
		if t.Precision == 6 {
			return name
		}
		return fmt.Sprintf("%s(%d)", name, t.Precision)
	}
	return t.Spelled
}

// postgresUsing is the expression ALTER COLUMN … TYPE converts the column's values with. A float
// goes to numeric through its shortest exact text: PostgreSQL's float8-to-numeric cast keeps
// only 15 significant digits.
func postgresUsing(have, to, column string) string {
	if parsePostgresType(have).Class == load.ClassFloat && parsePostgresType(to).Class == load.ClassNumeric {
		return column + "::text::" + to
	}
	// char(n) to another string type: its cast strips the padding, its output keeps it.
	if isPostgresChar(have) && !isPostgresChar(to) && parsePostgresType(to).Class == load.ClassString {
		return "textin(bpcharout(" + column + "))::" + to
	}
	return column + "::" + to
}

// isPostgresChar says a spelled PostgreSQL type is char(n) or bpchar.
func isPostgresChar(spelled string) bool {
	s := strings.ToLower(strings.TrimSpace(spelled))
	return s == "bpchar" || strings.HasPrefix(s, "character(") || s == "character" || strings.HasPrefix(s, "char(")
}
