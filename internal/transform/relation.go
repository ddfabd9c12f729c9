package transform

import (
	"github.com/nikolalohinski/gonja/v2/exec"

	"github.com/datanika/datanika/internal/transform/dialect"
)

// Relation is what ref(), source() and this give templates: it renders as the quoted name
// and exposes dbt's attributes.
type Relation struct {
	Schema     string
	Identifier string
	// cte is set for ephemeral models: the relation is the CTE's name.
	cte string
	// kind is "view" or "table" when known (adapter.get_relation).
	kind string
	d    *dialect.Dialect
}

// relationTypes are the class names of dbt adapters' relations, which packages check.
var relationTypes = map[string]string{"postgres": "PostgresRelation", "mysql": "MySQLRelation",
	"redshift": "RedshiftRelation", "snowflake": "SnowflakeRelation", "bigquery": "BigQueryRelation",
	"clickhouse": "ClickHouseRelation", "mssql": "SQLServerRelation"}

// IsMapping makes `relation is mapping` true, as for dbt's relations.
func (r Relation) IsMapping() bool { return true }

func (r Relation) String() string {
	if r.cte != "" {
		return r.cte
	}
	return r.d.Relation(r.Schema, r.Identifier)
}

// GetAttribute gives templates this.schema, this.identifier, this.name…
func (r Relation) GetAttribute(name string) (*exec.Value, bool) {
	switch name {
	case "schema":
		return exec.AsValue(r.Schema), true
	case "identifier", "name", "table":
		return exec.AsValue(r.Identifier), true
	case "database":
		return exec.AsValue(""), true
	case "is_view":
		return exec.AsValue(r.kind == dialect.View), true
	case "is_table":
		return exec.AsValue(r.kind == dialect.Table), true
	case "type":
		return exec.AsValue(r.kind), true
	case "render":
		return exec.AsValue(func(*exec.VarArgs) *exec.Value { return exec.AsValue(r.String()) }), true
	case "information_schema":
		// relation.information_schema('columns'): the catalog view of the relation's database.
		return exec.AsValue(func(va *exec.VarArgs) *exec.Value {
			if len(va.Args) == 0 || va.Args[0].IsNil() {
				return exec.AsValue("information_schema")
			}
			return exec.AsValue("information_schema." + va.Args[0].String())
		}), true
	case "incorporate":
		return exec.AsValue(r.incorporate), true
	case "include":
		return exec.AsValue(func(*exec.VarArgs) *exec.Value { return exec.AsValue(r) }), true
	case "get":
		// A relation is a mapping in dbt: packages read relation.get('metadata').type.
		return exec.AsValue(func(va *exec.VarArgs) *exec.Value {
			if len(va.Args) == 0 {
				return exec.AsValue(nil)
			}
			key := va.Args[0].String()
			switch key {
			case "metadata":
				return exec.AsValue(map[string]any{"type": relationTypes[r.d.Name]})
			case "schema", "identifier", "database", "type":
				v, _ := r.GetAttribute(key)
				return v
			}
			if len(va.Args) > 1 {
				return va.Args[1]
			}
			return exec.AsValue(nil)
		}), true
	}
	return exec.AsValue(nil), false
}
