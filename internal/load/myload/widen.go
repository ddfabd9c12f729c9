package myload

import (
	"fmt"
	"strings"

	"github.com/datanika/datanika/internal/load"
)

// widenMySQL decides for a MySQL/MariaDB column spelled have (information_schema COLUMN_TYPE)
// receiving values of the source type spelled want (MySQLColumnType or a key's bounded type).
func widenMySQL(have, want string) load.Widening { return load.Widen(mysqlWiden, have, want) }

// mysqlTextSizes are MySQL's *text types, which hold bytes, smallest first.
var mysqlTextSizes = []load.TextSize{{Name: "tinytext", Bytes: 255}, {Name: "text", Bytes: 65535},
	{Name: "mediumtext", Bytes: 16777215}, {Name: "longtext", Bytes: 4294967295}}

// mysqlWiden is how MySQL/MariaDB spells and widens types (NewContractCheck takes it).
var mysqlWiden = load.WidenDialect{Parse: parseMySQLType, Format: formatMySQLType, MaxPrecision: 65, MaxScale: 30, BoolIsInt: true,
	Text: load.SQLType{Class: load.ClassString, Size: mysqlTextSizes[len(mysqlTextSizes)-1].Bytes, TextBytes: true}, TextSizes: mysqlTextSizes}

func parseMySQLType(spelled string) load.SQLType {
	s := strings.ToLower(strings.TrimSpace(spelled))
	t := load.SQLType{Spelled: s}
	unsigned := strings.Contains(s, "unsigned")
	base, _, _ := strings.Cut(s, " ")
	if i := strings.IndexByte(base, '('); i >= 0 {
		base = base[:i]
	}
	a, b := load.TypeArgs(s)
	switch base {
	case "tinyint":
		if a == 1 && !unsigned {
			return load.SQLType{Class: load.ClassBool}
		}
		t = load.SQLType{Class: load.ClassInt, Size: 1, Unsigned: unsigned}
	case "smallint":
		t = load.SQLType{Class: load.ClassInt, Size: 2, Unsigned: unsigned}
	case "mediumint":
		t = load.SQLType{Class: load.ClassInt, Size: 3, Unsigned: unsigned}
	case "int", "integer":
		t = load.SQLType{Class: load.ClassInt, Size: 4, Unsigned: unsigned}
	case "bigint":
		t = load.SQLType{Class: load.ClassInt, Size: 8, Unsigned: unsigned}
	case "decimal", "numeric":
		t = load.SQLType{Class: load.ClassNumeric, Precision: 10} // MySQL's decimal is decimal(10,0)
		if a > 0 {
			t.Precision, t.Scale = a, max(b, 0)
		}
	case "float":
		t = load.SQLType{Class: load.ClassFloat, Size: 4}
	case "double", "real":
		t = load.SQLType{Class: load.ClassFloat, Size: 8}
	case "char", "varchar":
		t = load.SQLType{Class: load.ClassString, Size: max(a, 1)}
	case "tinytext", "text", "mediumtext", "longtext":
		for _, ts := range mysqlTextSizes {
			if ts.Name == base {
				t = load.SQLType{Class: load.ClassString, Size: ts.Bytes, TextBytes: true}
			}
		}
	case "binary", "varbinary":
		t = load.SQLType{Class: load.ClassBytes, Size: max(a, 1), Spelled: s}
	case "tinyblob", "blob", "mediumblob", "longblob":
		for i, ts := range mysqlTextSizes {
			if strings.TrimSuffix(ts.Name, "text") == strings.TrimSuffix(base, "blob") {
				t = load.SQLType{Class: load.ClassBytes, Size: mysqlTextSizes[i].Bytes, Spelled: s}
			}
		}
	case "date":
		t = load.SQLType{Class: load.ClassDate}
	case "time":
		t = load.SQLType{Class: load.ClassTime, Precision: max(a, 0)}
	case "datetime", "timestamp":
		t = load.SQLType{Class: load.ClassTimestamp, Precision: max(a, 0)}
	case "json":
		t = load.SQLType{Class: load.ClassJSON}
	}
	return t
}

func formatMySQLType(t load.SQLType) string {
	switch t.Class {
	case load.ClassInt:
		name := map[int]string{1: "tinyint", 2: "smallint", 3: "mediumint", 4: "int", 8: "bigint"}[t.Size]
		if t.Unsigned {
			name += " unsigned"
		}
		return name
	case load.ClassNumeric:
		return fmt.Sprintf("decimal(%d,%d)", t.Precision, t.Scale)
	case load.ClassFloat:
		if t.Size <= 4 {
			return "float"
		}
		return "double"
	case load.ClassString:
		if !t.TextBytes {
			return fmt.Sprintf("varchar(%d)", t.Size)
		}
		for _, ts := range mysqlTextSizes {
			if ts.Bytes == t.Size {
				return ts.Name
			}
		}
		return "longtext"
	case load.ClassTime:
		return fmt.Sprintf("time(%d)", t.Precision)
	case load.ClassTimestamp:
		return fmt.Sprintf("datetime(%d)", t.Precision)
	case load.ClassBool:
		return "tinyint(1)"
	}
	return t.Spelled
}
