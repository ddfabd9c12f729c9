package dialect

import (
	"fmt"
	"strings"
)

// Incremental strategies and on_schema_change values.
const (
	Append       = "append"
	Merge        = "merge"
	DeleteInsert = "delete+insert"

	SchemaIgnore = "ignore"
	SchemaFail   = "fail"
	SchemaAppend = "append_new_columns"
	SchemaSync   = "sync_all_columns"
)

// Column is a column name and its full type.
type Column struct {
	Name string
	Type string
}

// AddColumn adds a column.
func (d *Dialect) AddColumn(schema, name string, c Column) string {
	if d.Name == "mssql" {
		return fmt.Sprintf("alter table %s add %s %s", d.Relation(schema, name), d.Quote(c.Name), c.Type)
	}
	return fmt.Sprintf("alter table %s add column %s %s", d.Relation(schema, name), d.Quote(c.Name), c.Type)
}

// DropColumn drops a column.
func (d *Dialect) DropColumn(schema, name, column string) string {
	return fmt.Sprintf("alter table %s drop column %s", d.Relation(schema, name), d.Quote(column))
}

// Incremental is what an incremental run merges: the staged new rows (a table holding this
// run's query), the target and the columns they share.
type Incremental struct {
	Schema, Name, Staged string
	Strategy             string
	UniqueKey            []string
	Columns              []string
}

// IncrementalPlan moves the staged rows into the target with the strategy. Keys may be column
// names; they are quoted as such.
func (d *Dialect) IncrementalPlan(in Incremental) (Plan, error) {
	target := d.Relation(in.Schema, in.Name)
	staged := d.Relation(in.Schema, in.Staged)
	cols := strings.Join(d.Quoted(in.Columns), ", ")
	insert := fmt.Sprintf("insert into %s (%s)\nselect %s from %s", target, cols, cols, staged)
	strategy := in.Strategy
	if strategy == "" {
		strategy = Append
		if len(in.UniqueKey) > 0 {
			strategy = DeleteInsert
			if d.HasMerge && d.Name != "postgres" {
				strategy = Merge
			}
		}
	}
	if strategy != Append && len(in.UniqueKey) == 0 {
		return Plan{}, fmt.Errorf("the %s strategy needs a unique_key", strategy)
	}
	match := func(left, right string) string {
		parts := make([]string, len(in.UniqueKey))
		for i, k := range in.UniqueKey {
			parts[i] = fmt.Sprintf("%s.%s = %s.%s", left, d.Quote(k), right, d.Quote(k))
		}
		return strings.Join(parts, " and ")
	}
	switch strategy {
	case Append:
		return Plan{Statements: []string{insert}, InTx: true}, nil
	case DeleteInsert:
		var del string
		switch d.Name {
		case "clickhouse":
			keys := strings.Join(d.Quoted(in.UniqueKey), ", ")
			del = fmt.Sprintf("alter table %s delete where (%s) in (select %s from %s)", target, keys, keys, staged)
		default:
			del = fmt.Sprintf("delete from %s as dbt_target\nwhere exists (select 1 from %s as dbt_source where %s)",
				target, staged, match("dbt_source", "dbt_target"))
			if d.Name == "mssql" || d.Name == "redshift" || d.Name == "mysql" {
				del = fmt.Sprintf("delete from %s\nwhere exists (select 1 from %s as dbt_source where %s)",
					target, staged, match("dbt_source", target))
			}
		}
		return Plan{Statements: []string{del, insert}, InTx: true}, nil
	case Merge:
		if !d.HasMerge {
			if d.Name == "clickhouse" {
				return Plan{}, fmt.Errorf("clickhouse has no merge; use append or delete+insert")
			}
			// Without MERGE: update the matching rows, then insert the others, in one transaction.
			sets := make([]string, 0, len(in.Columns))
			for _, c := range in.Columns {
				sets = append(sets, fmt.Sprintf("dbt_target.%s = dbt_source.%s", d.Quote(c), d.Quote(c)))
			}
			var update string
			if d.Name == "mysql" {
				update = fmt.Sprintf("update %s as dbt_target join %s as dbt_source on %s\nset %s",
					target, staged, match("dbt_target", "dbt_source"), strings.Join(sets, ", "))
			} else {
				plain := make([]string, 0, len(in.Columns))
				for _, c := range in.Columns {
					plain = append(plain, fmt.Sprintf("%s = dbt_source.%s", d.Quote(c), d.Quote(c)))
				}
				update = fmt.Sprintf("update %s set %s\nfrom %s as dbt_source where %s",
					target, strings.Join(plain, ", "), staged, match("dbt_source", target))
			}
			ins := fmt.Sprintf("insert into %s (%s)\nselect %s from %s as dbt_source\nwhere not exists (select 1 from %s as dbt_target where %s)",
				target, cols, prefixed(d, "dbt_source", in.Columns), staged, target, match("dbt_target", "dbt_source"))
			return Plan{Statements: []string{update, ins}, InTx: true}, nil
		}
		sets := make([]string, 0, len(in.Columns))
		for _, c := range in.Columns {
			sets = append(sets, fmt.Sprintf("%s = dbt_source.%s", d.Quote(c), d.Quote(c)))
		}
		m := fmt.Sprintf("merge into %s as dbt_target\nusing %s as dbt_source\non %s\nwhen matched then update set %s\nwhen not matched then insert (%s) values (%s)",
			target, staged, match("dbt_source", "dbt_target"), strings.Join(sets, ", "), cols, prefixed(d, "dbt_source", in.Columns))
		if d.Name == "mssql" {
			m += ";"
		}
		return Plan{Statements: []string{m}, InTx: true}, nil
	}
	return Plan{}, fmt.Errorf("unknown incremental_strategy %q (append, merge or delete+insert)", strategy)
}

func prefixed(d *Dialect, alias string, cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = alias + "." + d.Quote(c)
	}
	return strings.Join(out, ", ")
}

// SchemaChange decides what on_schema_change does with the staged and the existing columns:
// the statements to run on the target and the columns to insert. fail returns an error.
func (d *Dialect) SchemaChange(mode, schema, name string, staged, existing []Column) ([]string, []string, error) {
	has := func(cols []Column, n string) bool {
		for _, c := range cols {
			if strings.EqualFold(c.Name, n) {
				return true
			}
		}
		return false
	}
	var added []Column
	var removed []string
	for _, c := range staged {
		if !has(existing, c.Name) {
			added = append(added, c)
		}
	}
	for _, c := range existing {
		if !has(staged, c.Name) {
			removed = append(removed, c.Name)
		}
	}
	var stmts []string
	switch mode {
	case "", SchemaIgnore:
	case SchemaFail:
		if len(added) > 0 || len(removed) > 0 {
			return nil, nil, fmt.Errorf("the columns changed (added %v, removed %v) and on_schema_change is fail", names(added), removed)
		}
	case SchemaAppend:
		for _, c := range added {
			stmts = append(stmts, d.AddColumn(schema, name, c))
		}
	case SchemaSync:
		for _, c := range added {
			stmts = append(stmts, d.AddColumn(schema, name, c))
		}
		for _, c := range removed {
			stmts = append(stmts, d.DropColumn(schema, name, c))
		}
	default:
		return nil, nil, fmt.Errorf("unknown on_schema_change %q", mode)
	}
	// Insert the columns both sides have after the change.
	var cols []string
	for _, c := range staged {
		if has(existing, c.Name) || (mode == SchemaAppend || mode == SchemaSync) {
			cols = append(cols, c.Name)
		}
	}
	return stmts, cols, nil
}

func names(cols []Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}
