package dialect

import (
	"fmt"
	"strings"
)

// Plan is the statements of one materialization step, in order. InTx asks the engine to run
// them in one transaction (where the database makes DDL transactional, that is what makes a
// swap atomic).
type Plan struct {
	Statements []string
	InTx       bool
}

// Kinds of relation.
const (
	View  = "view"
	Table = "table"
)

// TempSuffix and BackupSuffix name the intermediate relations of a swap, as dbt names them.
const (
	TempSuffix   = "__dbt_tmp"
	BackupSuffix = "__dbt_backup"
)

// CreateSchema creates a schema (a database on MySQL) if missing.
func (d *Dialect) CreateSchema(schema string) string {
	switch d.Name {
	case "mysql", "clickhouse":
		return "create database if not exists " + d.Quote(schema)
	case "mssql":
		return fmt.Sprintf("if not exists (select 1 from sys.schemas where name = '%s') exec('create schema %s')",
			strings.ReplaceAll(schema, "'", "''"), strings.ReplaceAll(d.Quote(schema), "'", "''"))
	}
	return "create schema if not exists " + d.Quote(schema)
}

// Drop drops a relation of the given kind if it exists.
func (d *Dialect) Drop(kind, schema, name string) string {
	s := fmt.Sprintf("drop %s if exists %s", kind, d.Relation(schema, name))
	if d.dropCascade {
		s += " cascade"
	}
	return s
}

// CreateAs creates a view or table from a query.
func (d *Dialect) CreateAs(kind, schema, name, query string) []string {
	rel := d.Relation(schema, name)
	if kind == View {
		if d.Name == "mssql" || d.Name == "mysql" {
			return []string{fmt.Sprintf("create view %s as\n%s", rel, query)}
		}
		return []string{fmt.Sprintf("create view %s as (\n%s\n)", rel, query)}
	}
	switch {
	case d.Name == "mssql":
		// SQL Server has no CREATE TABLE AS; a view holds the query so CTEs keep working.
		vw := d.Relation(schema, name+"__dbt_tmp_vw")
		return []string{
			fmt.Sprintf("create view %s as\n%s", vw, query),
			fmt.Sprintf("select * into %s from %s", rel, vw),
			fmt.Sprintf("drop view %s", vw),
		}
	case d.ctasParens:
		return []string{fmt.Sprintf("create table %s%s as (\n%s\n)", rel, d.engineSuffix, query)}
	}
	return []string{fmt.Sprintf("create table %s as\n%s", rel, query)}
}

// rename renames schema.from to to, a relation of kind.
func (d *Dialect) rename(kind, schema, from, to string) string {
	switch d.renameStyle {
	case "rename_table":
		return fmt.Sprintf("rename table %s to %s", d.Relation(schema, from), d.Relation(schema, to))
	case "sp_rename":
		return fmt.Sprintf("exec sp_rename '%s', '%s'", strings.ReplaceAll(schema+"."+from, "'", "''"), strings.ReplaceAll(to, "'", "''"))
	}
	if d.renameStyle == "alter_table" {
		// Redshift renames views with ALTER TABLE too.
		kind = Table
	}
	return fmt.Sprintf("alter %s %s rename to %s", kind, d.Relation(schema, from), d.Quote(to))
}

// Existing tells a plan what is already in the schema: the kind ("view", "table" or "") of the
// target, its temporary and its backup relation.
type Existing struct {
	Target, Temp, Backup string
}

// Replace builds kind under a temporary name and swaps it in, so readers see the old relation
// or the new one, never none: in one transaction where DDL is transactional, with one atomic
// RENAME TABLE on MySQL, with CREATE OR REPLACE where that is atomic.
func (d *Dialect) Replace(kind, schema, name, query string, ex Existing) Plan {
	tmp, backup := name+TempSuffix, name+BackupSuffix
	var p Plan
	if d.createOrReplace {
		if ex.Target != "" && ex.Target != kind {
			p.Statements = append(p.Statements, d.Drop(ex.Target, schema, name))
		}
		p.Statements = append(p.Statements, strings.Replace(d.CreateAs(kind, schema, name, query)[0], "create ", "create or replace ", 1))
		return p
	}
	if ex.Temp != "" {
		p.Statements = append(p.Statements, d.Drop(ex.Temp, schema, tmp))
	}
	if ex.Backup != "" {
		p.Statements = append(p.Statements, d.Drop(ex.Backup, schema, backup))
	}
	p.Statements = append(p.Statements, d.CreateAs(kind, schema, tmp, query)...)
	switch {
	case ex.Target == "":
		p.Statements = append(p.Statements, d.rename(kind, schema, tmp, name))
	case d.Name == "clickhouse" && ex.Target == kind:
		p.Statements = append(p.Statements,
			fmt.Sprintf("exchange tables %s and %s", d.Relation(schema, tmp), d.Relation(schema, name)),
			d.Drop(kind, schema, tmp))
	case d.renameStyle == "rename_table":
		p.Statements = append(p.Statements,
			fmt.Sprintf("rename table %s to %s, %s to %s", d.Relation(schema, name), d.Relation(schema, backup),
				d.Relation(schema, tmp), d.Relation(schema, name)),
			d.Drop(ex.Target, schema, backup))
	default:
		p.Statements = append(p.Statements,
			d.rename(ex.Target, schema, name, backup),
			d.rename(kind, schema, tmp, name),
			d.Drop(ex.Target, schema, backup))
	}
	p.InTx = d.TransactionalDDL
	return p
}

// RelationKindQuery returns the kind of a relation ("VIEW" or a table type) for
// (schema, name) parameters.
func (d *Dialect) RelationKindQuery() string {
	return fmt.Sprintf("select table_type from information_schema.tables where table_schema = %s and table_name = %s",
		d.Placeholder(1), d.Placeholder(2))
}

// ColumnsQuery lists (column name, full type) of a relation in order, for (schema, name).
func (d *Dialect) ColumnsQuery() string {
	if d.Name == "postgres" || d.Name == "redshift" {
		return `select a.attname, format_type(a.atttypid, a.atttypmod)
from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
where n.nspname = $1 and c.relname = $2 and a.attnum > 0 and not a.attisdropped order by a.attnum`
	}
	if d.Name == "mysql" {
		return "select column_name, column_type from information_schema.columns where table_schema = ? and table_name = ? order by ordinal_position"
	}
	return fmt.Sprintf("select column_name, data_type from information_schema.columns where table_schema = %s and table_name = %s order by ordinal_position",
		d.Placeholder(1), d.Placeholder(2))
}

// Quoted quotes every name.
func (d *Dialect) Quoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = d.Quote(n)
	}
	return out
}
