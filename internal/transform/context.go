package transform

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/nikolalohinski/gonja/v2/exec"

	"github.com/datanika/datanika/internal/transform/dialect"
	"github.com/datanika/datanika/internal/transform/jinja"
)

// Catalog answers what exists in the target; compile without a database passes nil, and then
// is_incremental() is false and relations have no known columns.
type Catalog interface {
	// Kind is "view", "table" or "" when the relation does not exist.
	Kind(ctx context.Context, schema, name string) (string, error)
	Columns(ctx context.Context, schema, name string) ([]dialect.Column, error)
}

// staticGlobals is the part of the dbt context that is the same for every node: var,
// env_var, target, run_started_at, the dbt namespace and harmless no-ops. The jinja Env holds
// it once, so a render only sets what differs.
func (e *Engine) staticGlobals() map[string]any {
	d := e.d
	g := map[string]any{
		"var": e.varFunc(e.proj.Vars),
		"env_var": func(va *exec.VarArgs) *exec.Value {
			if len(va.Args) == 0 {
				return exec.AsValue(errors.New("env_var() needs a name"))
			}
			name := va.Args[0].String()
			if v, ok := e.opts.EnvVars[name]; ok {
				return exec.AsValue(v)
			}
			if len(va.Args) > 1 {
				return va.Args[1]
			}
			return exec.AsValue(fmt.Errorf("env_var '%s' is not set (only variables given to the engine are visible, never the process environment)", name))
		},
		"target": jinja.Namespace{"name": e.opts.TargetName, "schema": e.opts.TargetSchema, "type": d.Name,
			"database": e.opts.TargetDatabase, "threads": e.opts.Threads, "profile_name": e.proj.Profile},
		"run_started_at": startedAt(e.opts.RunStartedAt),
		"invocation_id":  newInvocationID(),
		"project_name":   e.proj.Name,
		"flags":          jinja.Namespace{"FULL_REFRESH": e.opts.FullRefresh, "WHICH": "run"},
		"log":            e.logFunc(),
		"modules":        e.modulesNamespace(),
		"api":            e.apiNamespace(),
		"print":          func(*exec.VarArgs) *exec.Value { return exec.AsValue("") },
		"exceptions": jinja.Namespace{
			"raise_compiler_error": func(va *exec.VarArgs) *exec.Value {
				msg := "compilation error"
				if len(va.Args) > 0 {
					msg = va.Args[0].String()
				}
				return exec.AsValue(errors.New(msg))
			},
			"warn": func(va *exec.VarArgs) *exec.Value {
				// dbt prints the warning and goes on; so does the run's log.
				e.opts.Logger.Warn(argString(va), "source", "dbt exceptions.warn")
				return exec.AsValue("")
			},
		},
		"is_incremental": func(*exec.VarArgs) *exec.Value { return exec.AsValue(false) },
		// The dbt namespace's cross-database macros are builtin/dbt/*.sql; cast_string is ours.
		"dbt": jinja.Namespace{
			"cast_string": func(va *exec.VarArgs) *exec.Value { return exec.AsValue(d.CastString(argString(va))) },
		},
	}
	for k, v := range contextFunctions() {
		g[k] = v
	}
	return g
}

// varFunc is var() over a project's or package's vars; --vars win over them.
func (e *Engine) varFunc(vars map[string]any) jinja.Func {
	return func(va *exec.VarArgs) *exec.Value {
		if len(va.Args) == 0 {
			return exec.AsValue(errors.New("var() needs a name"))
		}
		name := va.Args[0].String()
		if v, ok := e.opts.Vars[name]; ok {
			return exec.AsValue(v)
		}
		if v, ok := vars[name]; ok {
			return exec.AsValue(v)
		}
		if len(va.Args) > 1 {
			return va.Args[1]
		}
		return exec.AsValue(fmt.Errorf("required var '%s' not found (pass it with --vars or set it in dbt_project.yml)", name))
	}
}

// baseGlobals is the per-node part of the dbt context: this, model, execute and adapter
// (its namespace is shared: introspection replaces it with a fuller one).
func (e *Engine) baseGlobals(n *node, executing bool) map[string]any {
	// 14: what a node's compile render ends with (these six, ref, source, config,
	// is_incremental and introspection's), which a table of 16 slots holds without growing.
	g := make(map[string]any, 14)
	g["execute"] = executing
	g["graph"] = parseGraph
	g["adapter"] = e.sharedAdapter()
	g["flags"] = e.flags()
	if executing {
		g["graph"] = lazyGraph{e: e}
	}
	if n != nil && n.Package != "" && n.Package != e.proj.Name {
		// A package's node sees its package's vars, under the root project's.
		g["var"] = e.varFunc(e.proj.VarsFor(n.Package))
	}
	if n != nil {
		g["this"] = n.relation(e.d)
		g["model"] = jinja.Namespace{"name": n.Name, "package_name": n.Package, "unique_id": n.UniqueID, "resource_type": n.ResourceType,
			"config": map[string]any(n.config), "path": n.Path}
	}
	return g
}

// baseAdapter is a new adapter namespace with what needs no target: quote, type and an empty
// get_columns_in_relation.
func (e *Engine) baseAdapter() jinja.Namespace {
	d := e.d
	return jinja.Namespace{
		"quote": func(va *exec.VarArgs) *exec.Value {
			if len(va.Args) == 0 {
				return exec.AsValue(errors.New("adapter.quote needs an identifier"))
			}
			return exec.AsValue(d.Quote(va.Args[0].String()))
		},
		"get_columns_in_relation": func(*exec.VarArgs) *exec.Value { return exec.AsValue([]any{}) },
		"type":                    func(*exec.VarArgs) *exec.Value { return exec.AsValue(d.Name) },
	}
}

// sharedAdapter is baseAdapter built once; nothing changes it.
func (e *Engine) sharedAdapter() jinja.Namespace {
	e.adapterOne.Do(func() { e.adapter0 = e.baseAdapter() })
	return e.adapter0
}

func argString(va *exec.VarArgs) string {
	if len(va.Args) == 0 {
		return ""
	}
	return va.Args[0].String()
}

// Compiled is a node's SQL as it will run.
type Compiled struct {
	UniqueID string
	SQL      string
}

// compile renders a node for execution: ref() and source() give real relations, ephemeral
// models become CTEs, is_incremental() asks the catalog.
func (e *Engine) compile(ctx context.Context, n *node, cat Catalog) (string, error) {
	sqlText, ephemerals, err := e.render(ctx, n, cat)
	if err != nil {
		return "", err
	}
	// A trailing semicolon is harmless in a file but breaks the statements that wrap the query.
	sqlText = trimTrailingSemicolons(sqlText)
	return e.injectCTEs(ctx, sqlText, ephemerals, cat)
}

// template is a node's parsed template; a node parsed statically has its tree built now,
// and not kept.
func (e *Engine) template(n *node) (*jinja.Template, error) {
	if n.tpl != nil || !n.lazy {
		return n.tpl, nil
	}
	return e.env.ParseTransient(n.Package, n.Path, n.templateText)
}

func (e *Engine) render(ctx context.Context, n *node, cat Catalog) (string, []string, error) {
	if n.tpl == nil && !n.lazy {
		return "", nil, nil
	}
	tpl, err := e.template(n)
	if err != nil {
		return "", nil, err
	}
	var ephemerals []string
	globals := e.baseGlobals(n, true)
	for k, v := range n.literals {
		globals[k] = v
	}
	globals["ref"] = func(va *exec.VarArgs) *exec.Value {
		pkg, name, err := refName(va)
		if err != nil {
			return exec.AsValue(err)
		}
		target := e.proj.Ref(n.Package, pkg, name)
		if target == nil {
			return exec.AsValue(fmt.Errorf("%s is not a model, seed or snapshot of the project", refText([2]string{pkg, name})))
		}
		tn := e.nodes[target.UniqueID]
		rel := tn.relation(e.d)
		if rel.cte != "" {
			ephemerals = append(ephemerals, tn.UniqueID)
		}
		return exec.AsValue(rel)
	}
	globals["source"] = func(va *exec.VarArgs) *exec.Value {
		if len(va.Args) != 2 {
			return exec.AsValue(errors.New("source() takes a source name and a table name"))
		}
		target := e.proj.Source(n.Package, va.Args[0].String(), va.Args[1].String())
		if target == nil {
			return exec.AsValue(fmt.Errorf("source('%s', '%s') is not declared", va.Args[0].String(), va.Args[1].String()))
		}
		return exec.AsValue(e.nodes[target.UniqueID].relation(e.d))
	}
	globals["config"] = configObject(func(va *exec.VarArgs) *exec.Value {
		if n.Test != nil {
			// A generic test's macro configures its own node: fail_calc, severity…
			e.recordTestConfig(n.UniqueID, va)
		}
		return exec.AsValue("")
	}, func() map[string]any { return n.config }, true)
	incremental := false
	if cat != nil && n.config.Materialized() == "incremental" && !e.fullRefresh(n) {
		kind, err := cat.Kind(ctx, n.schema, n.alias())
		if err != nil {
			return "", nil, err
		}
		incremental = kind == dialect.Table
	}
	globals["is_incremental"] = func(*exec.VarArgs) *exec.Value { return exec.AsValue(incremental) }
	e.introspection(ctx, globals, cat, true)
	out, err := e.env.Render(ctx, tpl, globals)
	return out, ephemerals, err
}

func (e *Engine) fullRefresh(n *node) bool {
	if v, ok := n.config["full_refresh"].(bool); ok {
		return v
	}
	return e.opts.FullRefresh
}

// injectCTEs puts the ephemeral models a query refers to in front of it as CTEs, dependencies
// first, merging with the query's own WITH.
func (e *Engine) injectCTEs(ctx context.Context, query string, ephemerals []string, cat Catalog) (string, error) {
	if len(ephemerals) == 0 {
		return query, nil
	}
	var ctes []string
	done := map[string]bool{}
	var add func(id string) error
	add = func(id string) error {
		if done[id] {
			return nil
		}
		done[id] = true
		n := e.nodes[id]
		body, deps, err := e.render(ctx, n, cat)
		if err != nil {
			return err
		}
		for _, dep := range deps {
			if err := add(dep); err != nil {
				return err
			}
		}
		body = trimTrailingSemicolons(body)
		if loc := leadingWith.FindStringIndex(body); loc != nil {
			// An ephemeral model's own CTEs cannot nest in every database; wrap it as a subquery.
			body = "select * from (\n" + body + "\n) as " + n.Name + "__dbt_sub"
		}
		ctes = append(ctes, fmt.Sprintf("%s as (\n%s\n)", n.relation(e.d).cte, strings.TrimSpace(body)))
		return nil
	}
	for _, id := range ephemerals {
		if err := add(id); err != nil {
			return "", err
		}
	}
	prefix := "with " + strings.Join(ctes, ",\n")
	if loc := leadingWith.FindStringIndex(query); loc != nil {
		return prefix + ",\n" + query[loc[1]:], nil
	}
	return prefix + "\n" + query, nil
}

// leadingWith finds a query's own WITH after any leading comments.
var leadingWith = regexp.MustCompile(`(?is)^(\s*(--[^\n]*(\n|$)|/\*.*?\*/))*\s*with\s`)

// trimTrailingSemicolons drops the whitespace and semicolons that end a query.
func trimTrailingSemicolons(s string) string {
	return strings.TrimRightFunc(s, func(r rune) bool { return r == ';' || unicode.IsSpace(r) })
}

// CompileNode returns the SQL a node runs (for a test, the query returning failing rows).
func (e *Engine) CompileNode(ctx context.Context, id string, cat Catalog) (string, error) {
	n, ok := e.nodes[id]
	if !ok {
		return "", fmt.Errorf("no node %s", id)
	}
	if n.err != nil {
		return "", n.err
	}
	return e.compile(ctx, n, cat)
}

// startedAt is run_started_at: it renders as dbt prints it and offers strftime.
type startedAt time.Time

func (s startedAt) String() string {
	return time.Time(s).UTC().Format("2006-01-02 15:04:05.000000+00:00")
}

var strftimeLayout = strings.NewReplacer("%Y", "2006", "%m", "01", "%d", "02", "%H", "15", "%M", "04", "%S", "05", "%f", "000000", "%y", "06", "%b", "Jan", "%%", "%")

// GetAttribute gives templates run_started_at.strftime(fmt), .isoformat() and the date parts.
func (s startedAt) GetAttribute(name string) (*exec.Value, bool) {
	t := time.Time(s).UTC()
	switch name {
	case "strftime":
		return exec.AsValue(func(va *exec.VarArgs) *exec.Value {
			return exec.AsValue(t.Format(strftimeLayout.Replace(argString(va))))
		}), true
	case "isoformat":
		return exec.AsValue(func(*exec.VarArgs) *exec.Value { return exec.AsValue(t.Format("2006-01-02T15:04:05.000000+00:00")) }), true
	case "year":
		return exec.AsValue(t.Year()), true
	case "month":
		return exec.AsValue(int(t.Month())), true
	case "day":
		return exec.AsValue(t.Day()), true
	}
	// astimezone, hour, timestamp… as any aware datetime.
	return datetimeAttribute(pyDatetime{t: t, aware: true}, name)
}
