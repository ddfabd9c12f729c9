package transform

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"time"

	"github.com/nikolalohinski/gonja/v2/exec"

	"github.com/datanika/datanika/internal/transform/jinja"
)

// This file holds the parts of dbt's context that packages call beyond ref/source/var:
// config.get/require, modules, api.Relation and log. None reaches the file system or the
// process environment.

// configObject is config: calling it records or ignores configs (call), and config.get /
// config.require read the node's config. At parse time (strict false) they see what is known
// so far and require never fails, as in dbt, since configs are still being collected.
func configObject(call jinja.Func, config func() map[string]any, strict bool) jinja.Callable {
	get := func(va *exec.VarArgs) *exec.Value {
		if len(va.Args) == 0 {
			return exec.AsValue(errors.New("config.get needs a key"))
		}
		if v, ok := config()[va.Args[0].String()]; ok && v != nil {
			return exec.AsValue(v)
		}
		if len(va.Args) > 1 {
			return va.Args[1]
		}
		if d, ok := va.KwArgs["default"]; ok {
			return d
		}
		return exec.AsValue(nil)
	}
	require := func(va *exec.VarArgs) *exec.Value {
		if len(va.Args) == 0 {
			return exec.AsValue(errors.New("config.require needs a key"))
		}
		key := va.Args[0].String()
		if v, ok := config()[key]; ok && v != nil {
			return exec.AsValue(v)
		}
		if !strict {
			return exec.AsValue("")
		}
		return exec.AsValue(fmt.Errorf("required config key '%s' not found", key))
	}
	return jinja.WithAttrs(call, map[string]any{"get": get, "require": require})
}

// apiNamespace is api: api.Relation.create builds a relation of the target.
func (e *Engine) apiNamespace() jinja.Namespace {
	return jinja.Namespace{"Relation": jinja.Namespace{
		"create": func(va *exec.VarArgs) *exec.Value {
			r := Relation{d: e.d}
			// database, schema, identifier, positionally or by keyword.
			for i, key := range []string{"database", "schema", "identifier"} {
				v, ok := va.KwArgs[key]
				if !ok && i < len(va.Args) {
					v, ok = va.Args[i], true
				}
				if !ok || v.IsNil() {
					continue
				}
				switch key {
				case "schema":
					r.Schema = v.String()
				case "identifier":
					r.Identifier = v.String()
				}
			}
			return exec.AsValue(r)
		},
	}}
}

// incorporate is this.incorporate(path={...}): a copy with the given parts replaced.
func (r Relation) incorporate(va *exec.VarArgs) *exec.Value {
	out := r
	if p, ok := va.KwArgs["path"]; ok && p.IsDict() {
		p.Iterate(func(_, _ int, k, v *exec.Value) bool {
			switch k.String() {
			case "schema":
				out.Schema = v.String()
			case "identifier":
				out.Identifier = v.String()
				out.cte = ""
			}
			return true
		}, func() {})
	}
	return exec.AsValue(out)
}

// logFunc is log(msg, info=False): the message goes to the run's logger (at info level
// when info is true, debug otherwise) and the call renders as nothing.
func (e *Engine) logFunc() jinja.Func {
	return func(va *exec.VarArgs) *exec.Value {
		if e.opts.Logger != nil && len(va.Args) > 0 {
			info := false
			if v, ok := va.KwArgs["info"]; ok {
				info = v.IsTrue()
			} else if len(va.Args) > 1 {
				info = va.Args[1].IsTrue()
			}
			if info {
				e.opts.Logger.Info(va.Args[0].String(), "source", "dbt log")
			} else {
				e.opts.Logger.Debug(va.Args[0].String(), "source", "dbt log")
			}
		}
		return exec.AsValue("")
	}
}

// today is datetime.today() (naive UTC now) or date.today().
func today(dateOnly bool) jinja.Func {
	return func(*exec.VarArgs) *exec.Value {
		now := time.Now().UTC()
		if dateOnly {
			now = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		}
		return exec.AsValue(pyDatetime{t: now, dateOnly: dateOnly})
	}
}

// modulesNamespace is modules: the parts of datetime, re, itertools and pytz that are pure
// computation.
func (e *Engine) modulesNamespace() jinja.Namespace {
	utcnow := func(*exec.VarArgs) *exec.Value { return exec.AsValue(pyDatetime{t: time.Now().UTC()}) }
	return jinja.Namespace{
		"itertools": itertoolsNamespace(),
		"pytz":      pytzNamespace(),
		"datetime": jinja.Namespace{
			"datetime":  jinja.WithAttrs(datetimeNew, map[string]any{"now": datetimeNow, "utcnow": utcnow, "today": today(false)}),
			"date":      jinja.WithAttrs(dateNew, map[string]any{"today": today(true)}),
			"timedelta": timedeltaNew,
		},
		"re": reNamespace(),
	}
}

// reNamespace is modules.re on Go's regexp (RE2: Python's syntax without backreferences
// and lookaround). Flags are not supported.
func reNamespace() jinja.Namespace {
	compile := func(va *exec.VarArgs, n int) (*regexp.Regexp, []string, error) {
		if len(va.Args) < n {
			return nil, nil, fmt.Errorf("modules.re needs %d arguments", n)
		}
		re, err := regexp.Compile(va.Args[0].String())
		if err != nil {
			return nil, nil, fmt.Errorf("modules.re: %w", err)
		}
		rest := make([]string, 0, n-1)
		for _, a := range va.Args[1:n] {
			rest = append(rest, a.String())
		}
		return re, rest, nil
	}
	matcher := func(pre, post string) jinja.Func {
		return func(va *exec.VarArgs) *exec.Value {
			if len(va.Args) > 0 {
				va.Args[0] = exec.AsValue(pre + "(?:" + va.Args[0].String() + ")" + post)
			}
			re, rest, err := compile(va, 2)
			if err != nil {
				return exec.AsValue(err)
			}
			m := re.FindStringSubmatch(rest[0])
			if m == nil {
				return exec.AsValue(nil)
			}
			return exec.AsValue(reMatch(m))
		}
	}
	return jinja.Namespace{
		"search":    matcher("", ""),
		"match":     matcher("^", ""),
		"fullmatch": matcher("^", "$"),
		"findall": func(va *exec.VarArgs) *exec.Value {
			re, rest, err := compile(va, 2)
			if err != nil {
				return exec.AsValue(err)
			}
			out := []any{}
			for _, m := range re.FindAllStringSubmatch(rest[0], -1) {
				switch len(m) {
				case 1:
					out = append(out, m[0])
				case 2:
					out = append(out, m[1])
				default:
					g := make([]any, len(m)-1)
					for i, s := range m[1:] {
						g[i] = s
					}
					out = append(out, g)
				}
			}
			return exec.AsValue(out)
		},
		"sub": func(va *exec.VarArgs) *exec.Value {
			re, rest, err := compile(va, 3)
			if err != nil {
				return exec.AsValue(err)
			}
			// Python's \1 is Go's ${1}.
			repl := pyGroupRef.ReplaceAllString(rest[0], "$${$1}")
			return exec.AsValue(re.ReplaceAllString(rest[1], repl))
		},
		"split": func(va *exec.VarArgs) *exec.Value {
			re, rest, err := compile(va, 2)
			if err != nil {
				return exec.AsValue(err)
			}
			parts := re.Split(rest[0], -1)
			out := make([]any, len(parts))
			for i, p := range parts {
				out[i] = p
			}
			return exec.AsValue(out)
		},
		"escape": func(va *exec.VarArgs) *exec.Value { return exec.AsValue(regexp.QuoteMeta(argString(va))) },
	}
}

var pyGroupRef = regexp.MustCompile(`\\(\d+)`)

// reMatch is a match object: group(n), groups().
type reMatch []string

func (m reMatch) GetAttribute(name string) (*exec.Value, bool) {
	switch name {
	case "group":
		return exec.AsValue(func(va *exec.VarArgs) *exec.Value {
			i := 0
			if len(va.Args) > 0 {
				i = va.Args[0].Integer()
			}
			if i < 0 || i >= len(m) {
				return exec.AsValue(fmt.Errorf("no such group %d", i))
			}
			return exec.AsValue(m[i])
		}), true
	case "groups":
		return exec.AsValue(func(*exec.VarArgs) *exec.Value {
			out := make([]any, len(m)-1)
			for i, s := range m[1:] {
				out[i] = s
			}
			return exec.AsValue(out)
		}), true
	}
	return exec.AsValue(nil), false
}

func (m reMatch) String() string { return m[0] }

// queryRunner is a Catalog that can also run a template's queries (run_query).
type queryRunner interface {
	Query(ctx context.Context, query string) ([]string, [][]any, error)
}

// introspection adds what asks the target: adapter.get_relation, get_columns_in_relation and
// run_query. Without a
// catalog, get_relation answers none, and run_query answers none while parsing (as in dbt,
// where execute is false then) and fails when compiling without a database.
func (e *Engine) introspection(ctx context.Context, globals map[string]any, cat Catalog, executing bool) {
	k := e.introspectionKit(ctx, cat, executing)
	globals["adapter"] = k.adapter
	globals["run_query"] = k.runQuery
	globals["load_relation"] = k.loadRelation
	e.statements(ctx, globals, cat, executing)
}

// introKit is the part of introspection that depends only on the context, the catalog and
// execute: the adapter namespace, run_query and load_relation. Renders never change it (the
// dicts an engine gives are not changed in place, see jinja's dict methods), so the renders
// of one command share one: building it for each of 18,000 nodes was a tenth of a compile's
// allocations.
type introKit struct {
	ctx                    context.Context
	cat                    Catalog
	executing              bool
	adapter                jinja.Namespace
	runQuery, loadRelation jinja.Func
}

func (e *Engine) introspectionKit(ctx context.Context, cat Catalog, executing bool) *introKit {
	if k := e.kit.Load(); k != nil && k.executing == executing && sameValue(k.ctx, ctx) && sameValue(k.cat, cat) {
		return k
	}
	k := &introKit{ctx: ctx, cat: cat, executing: executing, adapter: e.baseAdapter()}
	adapter := k.adapter
	if cat != nil {
		adapter["get_columns_in_relation"] = e.columnsIn(ctx, cat)
	}
	k.loadRelation = e.adapterMethods(ctx, adapter, cat, executing)
	adapter["get_relation"] = func(va *exec.VarArgs) *exec.Value {
		var schema, name string
		for i, key := range []string{"database", "schema", "identifier"} {
			v, ok := va.KwArgs[key]
			if !ok && i < len(va.Args) {
				v, ok = va.Args[i], true
			}
			if ok && !v.IsNil() {
				switch key {
				case "schema":
					schema = v.String()
				case "identifier":
					name = v.String()
				}
			}
		}
		if cat == nil {
			return exec.AsValue(nil)
		}
		kind, err := cat.Kind(ctx, schema, name)
		if err != nil {
			return exec.AsValue(err)
		}
		if kind == "" {
			return exec.AsValue(nil)
		}
		return exec.AsValue(Relation{Schema: schema, Identifier: name, kind: kind, d: e.d})
	}
	k.runQuery = func(va *exec.VarArgs) *exec.Value {
		qr, ok := cat.(queryRunner)
		if !ok && !executing {
			return exec.AsValue(nil)
		}
		if !ok {
			return exec.AsValue(errors.New("run_query needs a database (it is not available when compiling offline)"))
		}
		cols, rows, err := qr.Query(ctx, argString(va))
		if err != nil {
			return exec.AsValue(fmt.Errorf("run_query: %w", err))
		}
		return exec.AsValue(newQueryTable(cols, rows))
	}
	e.kit.Store(k)
	return k
}

// sameValue is a == b for values that may not be comparable (then false).
func sameValue(a, b any) (same bool) {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	t := reflect.TypeOf(a)
	if t != reflect.TypeOf(b) || !t.Comparable() {
		return false
	}
	defer func() {
		if recover() != nil {
			same = false // a struct holding an incomparable value
		}
	}()
	return a == b
}

// statements adds statement and load_result, whose results belong to one render.
func (e *Engine) statements(ctx context.Context, globals map[string]any, cat Catalog, executing bool) {
	// {% call statement(name, fetch_result=True) %}sql{% endcall %} runs its body on the
	// target when executing; load_result(name) gives what it fetched.
	results := map[string]jinja.Namespace{}
	globals["statement"] = func(ev *exec.Evaluator, va *exec.VarArgs) *exec.Value {
		name := "statement"
		if v, ok := va.KwArgs["name"]; ok {
			name = v.String()
		} else if len(va.Args) > 0 {
			name = va.Args[0].String()
		}
		fetch := false
		if v, ok := va.KwArgs["fetch_result"]; ok {
			fetch = v.IsTrue()
		} else if len(va.Args) > 1 {
			fetch = va.Args[1].IsTrue()
		}
		var body string
		if ev != nil {
			if c, ok := ev.Environment.Context.Get("__gonja_caller__"); ok {
				if call, ok := c.(func(*exec.VarArgs) *exec.Value); ok {
					v := call(exec.NewVarArgs())
					if v.IsError() {
						return v
					}
					body = v.String()
				}
			}
		}
		if !executing {
			return exec.AsValue("")
		}
		qr, ok := cat.(queryRunner)
		if !ok {
			return exec.AsValue(errors.New("statement blocks need a database (they are not available when compiling offline)"))
		}
		cols, rows, err := qr.Query(ctx, body)
		if err != nil {
			return exec.AsValue(fmt.Errorf("statement %s: %w", name, err))
		}
		res := jinja.Namespace{"response": jinja.Namespace{"rows_affected": len(rows)}}
		if fetch {
			data := make([]any, len(rows))
			for i, r := range rows {
				data[i] = r
			}
			res["table"], res["data"] = newQueryTable(cols, rows), data
		}
		results[name] = res
		return exec.AsValue("")
	}
	globals["load_result"] = func(va *exec.VarArgs) *exec.Value {
		if r, ok := results[argString(va)]; ok {
			return exec.AsValue(r)
		}
		return exec.AsValue(nil)
	}
}

// queryTable is run_query's answer, shaped like the agate table dbt returns: iterable over its
// rows (each indexable by position or column name, row.name included), with rows, columns (each
// with name and values()) and column_names. It is a slice so that gonja iterates it; the column
// names ride in the slot just past its length, so an empty table keeps them too.
type queryTable []any

func newQueryTable(names []string, rows [][]any) queryTable {
	t := make([]any, len(rows), len(rows)+1)
	for i, r := range rows {
		t[i] = agateRow{names: names, values: r}
	}
	t[:len(rows)+1][len(rows)] = names
	return t
}

func (t queryTable) names() []string {
	if cap(t) > len(t) {
		if names, ok := t[:len(t)+1][len(t)].([]string); ok {
			return names
		}
	}
	if len(t) > 0 {
		if r, ok := t[0].(agateRow); ok {
			return r.names
		}
	}
	return nil
}

func (t queryTable) GetItem(key any) (*exec.Value, bool) {
	if i, ok := key.(int); ok {
		if i < 0 {
			i += len(t)
		}
		if i >= 0 && i < len(t) {
			return exec.AsValue(t[i]), true
		}
	}
	return exec.AsValue(nil), false
}

func (t queryTable) GetAttribute(name string) (*exec.Value, bool) {
	names := t.names()
	switch name {
	case "rows":
		return exec.AsValue([]any(t)), true
	case "column_names":
		return exec.AsValue(anyStrings(names)), true
	case "columns":
		cols := make(agateColumns, len(names))
		for i, n := range names {
			values := make([]any, len(t))
			for j, r := range t {
				values[j] = r.(agateRow).values[i]
			}
			cols[i] = jinja.Namespace{"name": n,
				"values": func(*exec.VarArgs) *exec.Value { return exec.AsValue(values) }}
		}
		return exec.AsValue(cols), true
	}
	return exec.AsValue(nil), false
}

// agateRow is one row of an agate table: row[0], row['id'] and row.id.
type agateRow struct {
	names  []string
	values []any
}

func (r agateRow) GetItem(key any) (*exec.Value, bool) {
	switch k := key.(type) {
	case int:
		if k < 0 {
			k += len(r.values)
		}
		if k >= 0 && k < len(r.values) {
			return exec.AsValue(r.values[k]), true
		}
	case string:
		return r.GetAttribute(k)
	}
	return exec.AsValue(nil), false
}

func (r agateRow) GetAttribute(name string) (*exec.Value, bool) {
	for i, n := range r.names {
		if n == name {
			return exec.AsValue(r.values[i]), true
		}
	}
	switch name {
	case "keys":
		return exec.AsValue(func(*exec.VarArgs) *exec.Value { return exec.AsValue(anyStrings(r.names)) }), true
	case "values":
		return exec.AsValue(func(*exec.VarArgs) *exec.Value { return exec.AsValue(append([]any(nil), r.values...)) }), true
	}
	return exec.AsValue(nil), false
}

// String prints the row as Python prints an agate row's values.
func (r agateRow) String() string { return exec.AsValue(r.values).String() }

// agateColumns is an agate table's columns: a sequence of columns that is also a mapping by
// column name (columns['id'], columns.items(), keys(), values()).
type agateColumns []any

func (c agateColumns) names() []string {
	out := make([]string, len(c))
	for i, col := range c {
		out[i], _ = col.(jinja.Namespace)["name"].(string)
	}
	return out
}

func (c agateColumns) GetItem(key any) (*exec.Value, bool) {
	switch k := key.(type) {
	case int:
		if k < 0 {
			k += len(c)
		}
		if k >= 0 && k < len(c) {
			return exec.AsValue(c[k]), true
		}
	case string:
		for i, n := range c.names() {
			if n == k {
				return exec.AsValue(c[i]), true
			}
		}
	}
	return exec.AsValue(nil), false
}

func (c agateColumns) GetAttribute(name string) (*exec.Value, bool) {
	switch name {
	case "keys":
		return exec.AsValue(func(*exec.VarArgs) *exec.Value { return exec.AsValue(anyStrings(c.names())) }), true
	case "values":
		return exec.AsValue(func(*exec.VarArgs) *exec.Value { return exec.AsValue([]any(c)) }), true
	case "items":
		return exec.AsValue(func(*exec.VarArgs) *exec.Value {
			out := make([]any, len(c))
			for i, n := range c.names() {
				out[i] = []any{n, c[i]}
			}
			return exec.AsValue(out)
		}), true
	}
	return exec.AsValue(nil), false
}

func anyStrings(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
