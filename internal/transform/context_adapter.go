package transform

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"

	"github.com/datanika/datanika/internal/transform/jinja"
)

// The adapter's relation methods packages and hooks call: drop_relation, create_schema,
// drop_schema, rename_relation, truncate_relation, check_schema_exists, already_exists and
// get_missing_columns, and the global load_relation. While parsing (no database) they do
// nothing and answer none, as dbt's do when execute is false; compiling offline, the ones that
// change the database fail. It fills adapter and returns load_relation.
func (e *Engine) adapterMethods(ctx context.Context, adapter jinja.Namespace, cat Catalog, executing bool) jinja.Func {
	d := e.d
	qr, canRun := cat.(queryRunner)
	run := func(what, stmt string) *exec.Value {
		if !canRun {
			if !executing {
				return exec.AsValue(nil)
			}
			return exec.AsValue(fmt.Errorf("adapter.%s needs a database (it is not available when compiling offline)", what))
		}
		if _, _, err := qr.Query(ctx, stmt); err != nil {
			return exec.AsValue(fmt.Errorf("adapter.%s: %w", what, err))
		}
		return exec.AsValue(nil)
	}
	relArg := func(va *exec.VarArgs, i int, key string) (Relation, error) {
		v, ok := va.KwArgs[key]
		if !ok && i < len(va.Args) {
			v, ok = va.Args[i], true
		}
		if !ok {
			return Relation{}, fmt.Errorf("%s is required", key)
		}
		r, isRel := v.Interface().(Relation)
		if !isRel {
			return Relation{}, fmt.Errorf("%s must be a relation, not %s", key, v.String())
		}
		return r, nil
	}
	kindOf := func(r Relation) (string, error) {
		if r.kind != "" || cat == nil {
			return r.kind, nil
		}
		return cat.Kind(ctx, r.Schema, r.Identifier)
	}
	adapter["drop_relation"] = func(va *exec.VarArgs) *exec.Value {
		r, err := relArg(va, 0, "relation")
		if err != nil {
			return exec.AsValue(fmt.Errorf("adapter.drop_relation: %w", err))
		}
		kind, err := kindOf(r)
		if err != nil {
			return exec.AsValue(err)
		}
		if kind == "" {
			return exec.AsValue(nil)
		}
		return run("drop_relation", d.Drop(kind, r.Schema, r.Identifier))
	}
	adapter["truncate_relation"] = func(va *exec.VarArgs) *exec.Value {
		r, err := relArg(va, 0, "relation")
		if err != nil {
			return exec.AsValue(fmt.Errorf("adapter.truncate_relation: %w", err))
		}
		return run("truncate_relation", d.Truncate(r.Schema, r.Identifier))
	}
	adapter["rename_relation"] = func(va *exec.VarArgs) *exec.Value {
		from, err := relArg(va, 0, "from_relation")
		if err != nil {
			return exec.AsValue(fmt.Errorf("adapter.rename_relation: %w", err))
		}
		to, err := relArg(va, 1, "to_relation")
		if err != nil {
			return exec.AsValue(fmt.Errorf("adapter.rename_relation: %w", err))
		}
		if to.Schema != "" && to.Schema != from.Schema {
			return exec.AsValue(errors.New("adapter.rename_relation renames within a schema, not into another"))
		}
		kind, err := kindOf(from)
		if err != nil {
			return exec.AsValue(err)
		}
		if kind == "" {
			kind = "table"
		}
		return run("rename_relation", d.Rename(kind, from.Schema, from.Identifier, to.Identifier))
	}
	schemaOf := func(va *exec.VarArgs) string {
		if len(va.Args) == 0 {
			if v, ok := va.KwArgs["relation"]; ok {
				va.Args = []*exec.Value{v}
			} else {
				return ""
			}
		}
		if r, ok := va.Args[0].Interface().(Relation); ok {
			return r.Schema
		}
		return va.Args[0].String()
	}
	adapter["create_schema"] = func(va *exec.VarArgs) *exec.Value {
		s := schemaOf(va)
		if s == "" {
			return exec.AsValue(errors.New("adapter.create_schema needs a relation naming the schema"))
		}
		return run("create_schema", d.CreateSchema(s))
	}
	adapter["drop_schema"] = func(va *exec.VarArgs) *exec.Value {
		s := schemaOf(va)
		if s == "" {
			return exec.AsValue(errors.New("adapter.drop_schema needs a relation naming the schema"))
		}
		return run("drop_schema", e.dropSchema(s))
	}
	adapter["check_schema_exists"] = func(va *exec.VarArgs) *exec.Value {
		// check_schema_exists(database, schema)
		schema := ""
		if v, ok := va.KwArgs["schema"]; ok {
			schema = v.String()
		} else if len(va.Args) > 1 {
			schema = va.Args[1].String()
		}
		if !canRun {
			return exec.AsValue(false)
		}
		_, rows, err := qr.Query(ctx, "select count(*) from information_schema.schemata where schema_name = '"+strings.ReplaceAll(schema, "'", "''")+"'")
		if err != nil {
			return exec.AsValue(fmt.Errorf("adapter.check_schema_exists: %w", err))
		}
		return exec.AsValue(len(rows) == 1 && fmt.Sprint(rows[0][0]) != "0")
	}
	adapter["already_exists"] = func(va *exec.VarArgs) *exec.Value {
		if len(va.Args) < 2 || cat == nil {
			return exec.AsValue(false)
		}
		kind, err := cat.Kind(ctx, va.Args[0].String(), va.Args[1].String())
		if err != nil {
			return exec.AsValue(err)
		}
		return exec.AsValue(kind != "")
	}
	adapter["get_missing_columns"] = func(va *exec.VarArgs) *exec.Value {
		// The columns of from_relation that to_relation lacks.
		from, err := relArg(va, 0, "from_relation")
		if err != nil {
			return exec.AsValue(fmt.Errorf("adapter.get_missing_columns: %w", err))
		}
		to, err := relArg(va, 1, "to_relation")
		if err != nil {
			return exec.AsValue(fmt.Errorf("adapter.get_missing_columns: %w", err))
		}
		if cat == nil {
			return exec.AsValue([]any{})
		}
		fromCols, err := cat.Columns(ctx, from.Schema, from.Identifier)
		if err != nil {
			return exec.AsValue(err)
		}
		toCols, err := cat.Columns(ctx, to.Schema, to.Identifier)
		if err != nil {
			return exec.AsValue(err)
		}
		have := map[string]bool{}
		for _, c := range toCols {
			have[strings.ToLower(c.Name)] = true
		}
		out := []any{}
		for _, c := range fromCols {
			if !have[strings.ToLower(c.Name)] {
				out = append(out, columnObject(d, c))
			}
		}
		return exec.AsValue(out)
	}
	return func(va *exec.VarArgs) *exec.Value {
		r, err := relArg(va, 0, "relation")
		if err != nil {
			return exec.AsValue(fmt.Errorf("load_relation: %w", err))
		}
		if cat == nil {
			return exec.AsValue(nil)
		}
		kind, err := cat.Kind(ctx, r.Schema, r.Identifier)
		if err != nil {
			return exec.AsValue(err)
		}
		if kind == "" {
			return exec.AsValue(nil)
		}
		r.kind, r.cte = kind, ""
		return exec.AsValue(r)
	}
}
