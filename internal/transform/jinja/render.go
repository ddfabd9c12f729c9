package jinja

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// Func is a Go function callable from templates; it receives positional and keyword arguments.
type Func = func(*exec.VarArgs) *exec.Value

// Render renders t with globals (ref, source, config, this, target… as the engine provides
// them) and every macro of the Env, returning the text.
func (e *Env) Render(ctx context.Context, t *Template, globals map[string]any) (out string, err error) {
	st := &state{env: e, ctx: ctx, deadline: time.Now().Add(e.opts.Timeout), pkg: t.pkg}
	defer func() {
		if r := recover(); r != nil {
			// gonja panics on a few inputs (Python % formatting among them); that is a
			// template error, not a crash.
			err = &Error{Path: t.path, Msg: fmt.Sprintf("the template could not be rendered: %v", r)}
		}
	}()
	gctx := st.globals(globals, t.macros)
	var b strings.Builder
	// What exec.Template.Execute does, without copying the whole context into a new one:
	// the template's own names ({% set %} at top level) land in a child of the render's
	// context, which the macros (bound to gctx) do not see, as before.
	r := exec.NewRenderer(&exec.Environment{Context: gctx.Inherit(), Filters: e.env.Filters, Tests: e.env.Tests,
		ControlStructures: e.env.ControlStructures, Methods: e.env.Methods}, &b, e.cfg, nil, t.t)
	if rerr := r.Execute(); rerr != nil {
		if st.fatal != nil {
			return "", &Error{Path: t.path, Msg: st.fatal.Error()}
		}
		return "", e.positioned(t.path, rerr)
	}
	if st.fatal != nil {
		return "", &Error{Path: t.path, Msg: st.fatal.Error()}
	}
	return b.String(), nil
}

// CallMacro calls one macro by name with positional arguments and returns its result: the
// return() value when it returns one, else its rendered text.
func (e *Env) CallMacro(ctx context.Context, name string, globals map[string]any, args ...any) (any, error) {
	st := &state{env: e, ctx: ctx, deadline: time.Now().Add(e.opts.Timeout)}
	gctx := st.globals(globals, e.closure(name))
	fn, ok := gctx.Get(name)
	if !ok {
		return nil, fmt.Errorf("no macro named %s", name)
	}
	call, ok := fn.(func(*exec.Evaluator, *exec.VarArgs) *exec.Value)
	if !ok {
		return nil, fmt.Errorf("%s is not a macro", name)
	}
	va := exec.NewVarArgs()
	for _, a := range args {
		va.Args = append(va.Args, exec.AsValue(a))
	}
	v := call(nil, va)
	if v.IsError() {
		return nil, fmt.Errorf("macro %s: %s", name, v.Error())
	}
	return v.Interface(), nil
}

type frame struct {
	returned bool
	value    any
}

// state is one render's mutable state: the return() stack, recursion depth and deadline.
type state struct {
	env        *Env
	ctx        context.Context
	deadline   time.Time
	frames     []*frame
	fatal      error
	rangeItems int
	// gctx is the render's context (globals).
	gctx *exec.Context
	// pkg is the package of the template rendered, "" for the root project.
	pkg string
}

func (st *state) check() error {
	if st.fatal != nil {
		return st.fatal
	}
	if err := st.ctx.Err(); err != nil {
		st.fatal = fmt.Errorf("rendering was cancelled: %w", err)
	} else if time.Now().After(st.deadline) {
		st.fatal = fmt.Errorf("rendering took longer than %s", st.env.opts.Timeout)
	} else if len(st.frames) >= MaxMacroDepth {
		st.fatal = fmt.Errorf("macros nest deeper than %d calls (runaway recursion?)", MaxMacroDepth)
	}
	return st.fatal
}

// globals builds the context of one render: the caller's names and every macro bound to this
// render's state. range() and return() are the Env's, and find the state through stateKey.
func (st *state) globals(globals map[string]any, macros []int) *exec.Context {
	// The engine's globals (namespace, range, cycler…) sit under ours.
	gctx := st.env.env.Context.Inherit()
	for k, v := range globals {
		gctx.Set(k, v)
	}
	e := st.env
	// One renderer per context the macros run in (the render's, or a package's own): what a
	// macro's renderer gives it is that context, the filters and the configuration; which
	// file's tree the renderer holds only matters to {% block %} and self, which macro files
	// do not use. (A renderer per file cost a fiftieth of a compile.)
	var shared *exec.Renderer
	renderers := map[string]*exec.Renderer{}
	namespaces := make(map[string]Namespace, 2)
	// A package's macros run in a context where its own macros come first (they call each
	// other by bare name), over everything else.
	local := map[string]*exec.Context{}
	for _, i := range macros {
		m := &e.macros[i]
		r := shared
		if e.isPackage[m.namespace] {
			r = renderers[m.namespace]
		}
		if r == nil {
			mctx := gctx
			if e.isPackage[m.namespace] {
				mctx = gctx.Inherit()
				local[m.namespace] = mctx
			}
			env := &exec.Environment{Context: mctx, Filters: e.env.Filters, Tests: e.env.Tests,
				ControlStructures: e.env.ControlStructures, Methods: e.env.Methods}
			r = exec.NewRenderer(env, io.Discard, e.cfg, nil, e.files[m.file])
			if e.isPackage[m.namespace] {
				renderers[m.namespace] = r
			} else {
				shared = r
			}
		}
		fn := st.bind(m, r, gctx)
		if e.byName[m.name] == i {
			gctx.Set(m.name, fn)
		}
		if m.namespace != "" {
			members := namespaces[m.namespace]
			if members == nil {
				members = make(Namespace, countNamespace(e, macros, m.namespace))
				namespaces[m.namespace] = members
			}
			members[m.name] = fn
		}
	}
	for ns, lctx := range local {
		for name, fn := range namespaces[ns] {
			lctx.Set(name, fn)
		}
	}
	if st.pkg != "" {
		// dbt's local namespace: a package's node sees its package's macros first.
		for name, fn := range namespaces[st.pkg] {
			gctx.Set(name, fn)
		}
	}
	for ns, members := range namespaces {
		if existing, ok := lookupNamespace(gctx, ns); ok {
			for k, v := range existing {
				members[k] = v
			}
		}
		gctx.Set(ns, members)
	}
	for name, err := range e.broken {
		gctx.Set(name, func(*exec.Evaluator, *exec.VarArgs) *exec.Value {
			return exec.AsValue(fmt.Errorf("macro %s cannot be used: %w", name, err))
		})
	}
	applyOverrides(gctx, globals)
	// adapter is set after the overrides, and whole: as in dbt, a unit test cannot replace one
	// of its methods (the project refuses overrides: macros: adapter.<method>).
	adapter, _ := globals["adapter"].(Namespace)
	st.gctx = gctx
	gctx.Set(stateKey, st)
	gctx.Set("adapter", e.withDispatch(adapter))
	return gctx
}

// countNamespace is how many of macros belong to ns.
func countNamespace(e *Env, macros []int, ns string) int {
	n := 0
	for _, i := range macros {
		if e.macros[i].namespace == ns {
			n++
		}
	}
	return n
}

// stateKey is where a render's context holds its state, for range(), return() and
// adapter.dispatch; no template can spell it.
const stateKey = "\x00render_state"

// mergedAdapter is the caller's adapter namespace with dispatch added.
type mergedAdapter struct {
	src, merged Namespace
}

// withDispatch is adapter with dispatch. The engine passes the same namespace to the renders
// of a command, so the last one is kept: copying it for every render was a fortieth of a
// compile. dispatch finds the render it serves through the caller's context.
func (e *Env) withDispatch(adapter Namespace) Namespace {
	if c := e.adapter.Load(); c != nil && reflect.ValueOf(c.src).UnsafePointer() == reflect.ValueOf(adapter).UnsafePointer() {
		return c.merged
	}
	merged := make(Namespace, len(adapter)+1)
	for k, v := range adapter {
		merged[k] = v
	}
	merged["dispatch"] = dispatchInRender
	e.adapter.Store(&mergedAdapter{src: adapter, merged: merged})
	return merged
}

// stateOf is the state of the render whose context ev evaluates in, nil outside a render.
func stateOf(ev *exec.Evaluator) *state {
	if ev == nil {
		return nil
	}
	v, _ := ev.Environment.Context.Get(stateKey)
	st, _ := v.(*state)
	return st
}

// renderRange is range(): it draws on a budget per render, so nested loops cannot run away
// either.
func renderRange(ev *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	st := stateOf(ev)
	if st == nil {
		return boundedRange(ev, va)
	}
	if err := st.check(); err != nil {
		return exec.AsValue(err)
	}
	v := boundedRange(ev, va)
	if v.IsList() {
		st.rangeItems += v.Len()
		if st.rangeItems > MaxRangeItems {
			st.fatal = fmt.Errorf("range() produced more than %d items in one render", MaxRangeItems)
			return exec.AsValue(st.fatal)
		}
	}
	return v
}

// renderReturn is return(): it gives the value to the macro running.
func renderReturn(ev *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	st := stateOf(ev)
	if st == nil || len(st.frames) == 0 {
		return exec.AsValue(errors.New("return() outside a macro"))
	}
	top := st.frames[len(st.frames)-1]
	top.returned = true
	if len(va.Args) > 0 {
		top.value = va.Args[0].Interface()
	}
	// dbt's return() raises: nothing after it in the macro runs (a raise_compiler_error
	// behind `{% if not execute %}{{ return('') }}{% endif %}` included). The panic
	// unwinds gonja's rendering up to the macro's bind, which gives the value. (An error
	// value would unwind too, but gonja wraps it at every level it passes, with a stack
	// trace each time: a tenth of a compile's CPU went there.)
	panic(macroReturned{})
}

// dispatchInRender is adapter.dispatch: the render calling it is the one whose state its
// context leads to.
func dispatchInRender(ev *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	st := stateOf(ev)
	if st == nil {
		return exec.AsValue(errors.New("adapter.dispatch can only be called while rendering"))
	}
	return st.dispatch(st.gctx, va)
}

// macroReturned is the panic that unwinds a macro's rendering from its return() call to the
// macro's bind.
type macroReturned struct{}

// bind makes a macro callable for this render, honouring return() and the limits.
func (st *state) bind(m *macroDef, r *exec.Renderer, gctx *exec.Context) func(*exec.Evaluator, *exec.VarArgs) *exec.Value {
	fn, _ := exec.MacroNodeToFunc(m.node, r)
	return func(ev *exec.Evaluator, va *exec.VarArgs) *exec.Value {
		if err := st.check(); err != nil {
			return exec.AsValue(err)
		}
		// {% call %} leaves caller() in the calling template's context; the macro's own
		// renderer looks in ours.
		if ev != nil {
			if c, ok := ev.Environment.Context.Get("__gonja_caller__"); ok && c != nil {
				gctx.Set("__gonja_caller__", c)
			}
		}
		va, err := expandSpread(va)
		if err != nil {
			return exec.AsValue(err)
		}
		fr := &frame{}
		st.frames = append(st.frames, fr)
		v := callFrame(fn, va)
		st.frames = st.frames[:len(st.frames)-1]
		if fr.returned {
			return exec.AsValue(fr.value)
		}
		return v
	}
}

// callFrame calls a macro and stops the unwinding its return() starts; any other panic goes on
// to Render's.
func callFrame(fn func(*exec.VarArgs) *exec.Value, va *exec.VarArgs) (v *exec.Value) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(macroReturned); !ok {
				panic(r)
			}
			v = nil
		}
	}()
	return fn(va)
}

// dispatch implements adapter.dispatch(name, macro_namespace) as dbt does: for each package of
// the search order (dbt_project.yml's dispatch: for that namespace; else the root project then
// the namespace's package when it is one; else the macros in scope), <dialect>__name, then
// default__name.
func (st *state) dispatch(gctx *exec.Context, va *exec.VarArgs) *exec.Value {
	if len(va.Args) == 0 {
		return exec.AsValue(errors.New("adapter.dispatch needs a macro name"))
	}
	name := va.Args[0].String()
	ns := ""
	if len(va.Args) > 1 && !va.Args[1].IsNil() {
		ns = va.Args[1].String()
	} else if v, ok := va.KwArgs["macro_namespace"]; ok && !v.IsNil() {
		ns = v.String()
	}
	e := st.env
	search := []string{""}
	if order := e.opts.Dispatch[ns]; ns != "" && len(order) > 0 {
		search = order
	} else if _, known := e.namespaces[ns]; known && ns != "dbt" && ns != e.opts.Root {
		search = []string{e.opts.Root, ns}
	}
	var tried []string
	for _, pkg := range search {
		for _, prefix := range []string{e.opts.Dialect, "default"} {
			candidate := prefix + "__" + name
			if pkg == "" {
				if fn, ok := gctx.Get(candidate); ok && fn != nil {
					return exec.AsValue(fn)
				}
				tried = append(tried, "'"+candidate+"'")
				continue
			}
			if members, ok := lookupNamespace(gctx, pkg); ok && members[candidate] != nil {
				return exec.AsValue(members[candidate])
			}
			tried = append(tried, "'"+pkg+"."+candidate+"'")
		}
	}
	err := fmt.Errorf("in dispatch: no macro named '%s' found within namespace '%s'; searched for %s", name, ns, strings.Join(tried, ", "))
	// dispatch(...) is called at once: fail there, with the reason.
	return exec.AsValue(func(*exec.VarArgs) *exec.Value { return exec.AsValue(err) })
}

// Namespace is a group of callables reached with a dot: dbt_utils.star, adapter.quote.
type Namespace map[string]any

// GetAttribute lets templates write ns.name.
func (n Namespace) GetAttribute(name string) (*exec.Value, bool) {
	v, ok := n[name]
	if !ok {
		return exec.AsValue(nil), false
	}
	return exec.AsValue(v), true
}

func boundedRange(_ *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	start, stop, step := 0, 0, 1
	args := make([]int, 0, 3)
	for _, a := range va.Args {
		if !a.IsInteger() {
			return exec.AsValue(errors.New("range() takes integers"))
		}
		args = append(args, a.Integer())
	}
	switch len(args) {
	case 1:
		stop = args[0]
	case 2:
		start, stop = args[0], args[1]
	case 3:
		start, stop, step = args[0], args[1], args[2]
	default:
		return exec.AsValue(errors.New("range() takes 1 to 3 integers"))
	}
	if step == 0 {
		return exec.AsValue(errors.New("range() step cannot be 0"))
	}
	out := []any{}
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		if len(out) >= MaxRangeItems {
			return exec.AsValue(fmt.Errorf("range() is limited to %d items in one render", MaxRangeItems))
		}
		out = append(out, i)
	}
	return exec.AsValue(out)
}

var inMacro = regexp.MustCompile(`Unable to execute macro '([A-Za-z0-9_]+)'`)

// positioned turns a render error into an Error; when it happened inside a macro, it points
// at the macro's file rather than the template that called it.
func (e *Env) positioned(path string, err error) *Error {
	te := newError(path, err)
	if m := inMacro.FindAllStringSubmatch(err.Error(), -1); len(m) > 0 {
		if i, ok := e.byName[m[len(m)-1][1]]; ok {
			te.Path = e.paths[e.macros[i].file]
		}
	}
	return te
}

func lookupNamespace(ctx *exec.Context, name string) (Namespace, bool) {
	v, ok := ctx.Get(name)
	if !ok {
		return nil, false
	}
	ns, ok := v.(Namespace)
	return ns, ok
}

// Callable is a function that also has attributes, as dbt's config is: config(...) and
// config.get(...). Build one with WithAttrs.
type Callable func(*exec.VarArgs) *exec.Value

// attrKey is the keyword a Callable's attribute lookup passes; no template can spell it.
const attrKey = "\x00attr"

// WithAttrs makes call a Callable whose attributes are attrs.
func WithAttrs(call Func, attrs map[string]any) Callable {
	return func(va *exec.VarArgs) *exec.Value {
		if a, ok := va.KwArgs[attrKey]; ok {
			v, ok := attrs[a.String()]
			if !ok {
				return exec.AsValue(nil)
			}
			return exec.AsValue(v)
		}
		return call(va)
	}
}

// GetAttribute gives templates c.name.
func (c Callable) GetAttribute(name string) (*exec.Value, bool) {
	va := exec.NewVarArgs()
	va.KwArgs[attrKey] = exec.AsValue(name)
	v := c(va)
	if v.IsNil() {
		return v, false
	}
	return v, true
}
