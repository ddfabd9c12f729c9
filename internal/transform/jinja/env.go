package jinja

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
)

// Limits bound a render.
const (
	MaxRangeItems  = 100_000
	MaxMacroDepth  = 64
	DefaultTimeout = 10 * time.Second
)

// File is a template source.
type File struct {
	Path string
	Text string
	// Namespace is the package its macros belong to (pkg.macro); "" derives it from a
	// built-in path (builtin/<namespace>/…).
	Namespace string
}

// Options shape an Env.
type Options struct {
	// Dialect picks dispatched macros: <dialect>__name before default__name.
	Dialect string
	// Strict makes undefined variables an error instead of empty text.
	Strict bool
	// Timeout bounds one render; DefaultTimeout when zero.
	Timeout time.Duration
	// Globals are names every render sees (var, target, dbt…), set once rather than per render.
	Globals map[string]any
	// Root is the root project's name: adapter.dispatch searches it before a package.
	Root string
	// Packages are the installed packages' namespaces: their macros see their own package's
	// macros first, and so do the templates parsed for them (ParseIn), as dbt's local
	// namespace does.
	Packages []string
	// Dispatch is dbt_project.yml's dispatch config: macro namespace → search order.
	Dispatch map[string][]string
}

// Env holds parsed macros, built once per project and shared by concurrent renders.
type Env struct {
	opts   Options
	cfg    *config.Config
	env    *exec.Environment
	macros []macroDef
	files  []*exec.Template
	paths  []string
	// byName maps a macro's name to its definition; project macros shadow built-in ones.
	byName map[string]int
	// namespaces lists macro names per package namespace (dbt_utils, dbt) for pkg.name calls.
	namespaces  map[string][]string
	byNamespace map[string][]int
	// allByName lists every macro of a name, whatever its namespace, for dispatch.
	allByName map[string][]int
	isPackage map[string]bool
	// uses lists, per macro index, the macros its text may call; a render binds only the
	// closure of what its template mentions, which keeps a render cheap in large projects.
	uses [][]int
	// broken maps the macros of files that could not be parsed to why; calling one fails
	// the render that calls it, and nothing else.
	broken map[string]error
	// problems are the parse errors of those files, one per file.
	problems []error
}

var word = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)

var macroStart = regexp.MustCompile(`\{%-?\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)`)

// mentioned returns the macros a text may call: every macro named by a word of it, and for a
// dispatched name its default__ and <dialect>__ implementations.
func (e *Env) mentioned(text string) []int {
	var out []int
	seen := map[string]bool{}
	for _, w := range word.FindAllString(text, -1) {
		if seen[w] {
			continue
		}
		seen[w] = true
		for _, name := range []string{w, "default__" + w, e.opts.Dialect + "__" + w} {
			out = append(out, e.allByName[name]...)
			if idxs, ok := e.byNamespace[name]; ok && name == w {
				out = append(out, idxs...)
			}
		}
	}
	return out
}

// closure is every macro reachable from a text.
func (e *Env) closure(text string) []int {
	seen := map[int]bool{}
	stack := e.mentioned(text)
	var out []int
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[i] {
			continue
		}
		seen[i] = true
		out = append(out, i)
		stack = append(stack, e.uses[i]...)
	}
	return out
}

type macroDef struct {
	name      string
	namespace string
	node      *nodes.Macro
	file      int
}

var (
	testBlockOpen  = regexp.MustCompile(`\{%(-?)\s*test\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(`)
	testBlockClose = regexp.MustCompile(`\{%(-?)\s*endtest\s*(-?)%\}`)
	matBlock       = regexp.MustCompile(`(?s)\{%-?\s*materialization\s.*?\{%-?\s*endmaterialization\s*-?%\}`)
)

// rewrite turns dbt-only block tags into what gonja understands, keeping line numbers.
func rewrite(src string) string {
	src = dropTrailingCommas(src)
	src = completeInlineIfs(src)
	src = testBlockOpen.ReplaceAllString(src, "{%$1 macro test_$2(")
	src = testBlockClose.ReplaceAllString(src, "{%$1 endmacro $2%}")
	// Custom materializations are not supported; blank them out, keeping their lines.
	return matBlock.ReplaceAllStringFunc(src, func(m string) string { return strings.Repeat("\n", strings.Count(m, "\n")) })
}

var environmentOnce sync.Once
var baseEnv *exec.Environment

func sharedEnvironment() *exec.Environment {
	environmentOnce.Do(func() {
		ctl := exec.NewControlStructureSet(map[string]parser.ControlStructureParser{})
		ctl.Update(builtins.ControlStructures)
		_ = ctl.Replace("do", doParser)
		// include/import/extends read other templates; dbt models never do, and refusing
		// them keeps templates away from any loader.
		filters := exec.NewFilterSet(map[string]exec.FilterFunction{})
		filters.Update(builtins.Filters)
		for name, f := range dbtFilters {
			if filters.Exists(name) {
				_ = filters.Replace(name, f)
			} else {
				_ = filters.Register(name, f)
			}
		}
		globals := exec.EmptyContext().Update(builtins.GlobalFunctions).Update(builtins.GlobalVariables)
		globals.Set("range", boundedRange)
		baseEnv = &exec.Environment{
			Context: globals, Filters: filters, Tests: strictTests(),
			ControlStructures: ctl, Methods: methods(),
		}
	})
	return baseEnv
}

// NewEnv parses the macro files. Later files shadow earlier ones with the same macro name, so
// pass built-in libraries first and the project's macros last. Files whose path is
// builtin/<namespace>/… also register their macros under that namespace (dbt_utils.star).
func NewEnv(opts Options, files []File) (*Env, error) {
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	cfg := config.New()
	cfg.StrictUndefined = opts.Strict
	base := sharedEnvironment()
	globals := base.Context.Inherit()
	for k, v := range opts.Globals {
		globals.Set(k, v)
	}
	env := &exec.Environment{Context: globals, Filters: base.Filters, Tests: base.Tests,
		ControlStructures: base.ControlStructures, Methods: base.Methods}
	e := &Env{opts: opts, cfg: cfg, env: env, byName: map[string]int{}, namespaces: map[string][]string{},
		byNamespace: map[string][]int{}, broken: map[string]error{}, allByName: map[string][]int{}, isPackage: map[string]bool{}}
	for _, p := range opts.Packages {
		e.isPackage[p] = true
	}
	var bodies []string
	for _, f := range files {
		t, err := e.parse(f.Path, f.Text)
		if err != nil {
			// One file gonja cannot parse must not stop the project: its macros fail
			// where they are called, and the run warns about the file.
			e.problems = append(e.problems, err)
			for _, m := range macroStart.FindAllStringSubmatch(rewrite(f.Text), -1) {
				e.broken[m[1]] = err
				delete(e.byName, m[1])
			}
			continue
		}
		idx := len(e.files)
		e.files = append(e.files, t)
		e.paths = append(e.paths, f.Path)
		ns := f.Namespace
		if ns == "" {
			ns = namespaceOf(f.Path)
		}
		names := make([]string, 0, len(t.Macros()))
		for name := range t.Macros() {
			names = append(names, name)
		}
		sort.Strings(names)
		text := rewrite(f.Text)
		starts := macroStart.FindAllStringSubmatchIndex(text, -1)
		body := map[string]string{}
		for k, m := range starts {
			end := len(text)
			if k+1 < len(starts) {
				end = starts[k+1][0]
			}
			body[text[m[2]:m[3]]] = text[m[1]:end]
		}
		for _, name := range names {
			delete(e.broken, name)
			e.byName[name] = len(e.macros)
			e.allByName[name] = append(e.allByName[name], len(e.macros))
			if ns != "" {
				e.namespaces[ns] = append(e.namespaces[ns], name)
				e.byNamespace[ns] = append(e.byNamespace[ns], len(e.macros))
			}
			e.macros = append(e.macros, macroDef{name: name, namespace: ns, node: t.Macros()[name], file: idx})
			bodies = append(bodies, body[name])
		}
	}
	e.uses = make([][]int, len(e.macros))
	for i, b := range bodies {
		e.uses[i] = e.mentioned(b)
	}
	return e, nil
}

// namespaceOf gives built-in files ("builtin/dbt_utils/x.sql") their package namespace.
func namespaceOf(path string) string {
	if rest, ok := strings.CutPrefix(path, "builtin/"); ok {
		if i := strings.Index(rest, "/"); i > 0 {
			return rest[:i]
		}
	}
	return ""
}

// Problems are the macro files that could not be parsed, each error naming its file and line.
func (e *Env) Problems() []error { return e.problems }

// HasMacro reports whether a macro of that name exists.
func (e *Env) HasMacro(name string) bool { _, ok := e.byName[name]; return ok }

// Template is a parsed template, safe for concurrent renders.
type Template struct {
	path string
	t    *exec.Template
	// macros are the indexes of the macros the template can reach.
	macros []int
	// pkg is the package the template belongs to, when not the root project.
	pkg string
}

// ParseIn parses a template of a package's node: its package's macros come before the root
// project's when it calls one by its bare name.
func (e *Env) ParseIn(pkg, path, src string) (*Template, error) {
	t, err := e.Parse(path, src)
	if err != nil {
		return nil, err
	}
	if e.isPackage[pkg] {
		t.pkg = pkg
	}
	return t, nil
}

// Parse parses a template; errors name the file, line and column.
func (e *Env) Parse(path, src string) (*Template, error) {
	t, err := e.parse(path, src)
	if err != nil {
		return nil, err
	}
	return &Template{path: path, t: t, macros: e.closure(src)}, nil
}

func (e *Env) parse(path, src string) (t *exec.Template, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &Error{Path: path, Msg: fmt.Sprintf("the template engine failed: %v", r)}
		}
	}()
	loader, lerr := loaders.NewMemoryLoader(map[string]string{"/" + path: rewrite(src)})
	if lerr != nil {
		return nil, &Error{Path: path, Msg: lerr.Error()}
	}
	t, err = exec.NewTemplate("/"+path, e.cfg, loader, e.env)
	if err != nil {
		te := newError(path, err)
		if te.Line == 0 {
			te.Line, te.Col = e.locate(path, rewrite(src), te.Msg)
		}
		return nil, te
	}
	return t, nil
}

var tagEnd = regexp.MustCompile(`-?(%\}|\}\})`)

// locate finds where a parse error without a position happens: the first tag after which a
// prefix of the source fails with the same message is the culprit. It runs only on errors.
func (e *Env) locate(path, src, msg string) (line, col int) {
	for _, m := range tagEnd.FindAllStringIndex(src, -1) {
		prefix := src[:m[1]]
		loader, err := loaders.NewMemoryLoader(map[string]string{"/" + path: prefix})
		if err != nil {
			return 0, 0
		}
		_, perr := exec.NewTemplate("/"+path, e.cfg, loader, e.env)
		if perr != nil && newError(path, perr).Msg == msg {
			start := strings.LastIndex(prefix[:m[0]], "{")
			if start > 0 && prefix[start-1] == '{' {
				start--
			}
			if start < 0 {
				start = m[0]
			}
			line = strings.Count(src[:start], "\n") + 1
			col = start - strings.LastIndex(src[:start], "\n")
			return line, col
		}
	}
	return 0, 0
}

// Error is a template error with its position when known.
type Error struct {
	Path string
	Line int
	Col  int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 && e.Col > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Col, e.Msg)
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return e.Path + ": " + e.Msg
}

var (
	posLineCol = regexp.MustCompile(`[Ll]ine[ =:]*(\d+)[ ,]*[Cc]ol(?:umn)?[ =:]*(\d+)`)
	posLine    = regexp.MustCompile(`[Ll]ine[ =:]*(\d+)`)
	noise      = regexp.MustCompile(`failed to parse template '(?s:.*?)': `)
	// gonja's words for a call of something undefined; the namespace's whole content is noise.
	notCallable   = regexp.MustCompile(`\b([A-Za-z_][A-Za-z0-9_]*) is not callable`)
	unknownMethod = regexp.MustCompile(`(?s)invalid call to method '([A-Za-z0-9_]+)' of .*: unknown method '[A-Za-z0-9_]+' for '.*'`)
)

// plainer names the macro a template calls but nobody defines.
func plainer(msg string) string {
	msg = unknownMethod.ReplaceAllString(msg, "'$1' is not a macro or method of that namespace")
	return notCallable.ReplaceAllString(msg, "'$1' is undefined or not a macro")
}

func newError(path string, err error) *Error {
	var te *Error
	if errors.As(err, &te) {
		return te
	}
	msg := noise.ReplaceAllString(err.Error(), "")
	msg = strings.ReplaceAll(msg, "unable to execute template: ", "")
	out := &Error{Path: path, Msg: plainer(msg)}
	var se *parser.SyntaxError
	if errors.As(err, &se) && se.Line > 0 {
		out.Line, out.Col = se.Line, se.Column
		if se.Message != "" {
			out.Msg = se.Message
		}
		return out
	}
	if m := posLineCol.FindAllStringSubmatch(err.Error(), -1); len(m) > 0 {
		last := m[len(m)-1]
		_, _ = fmt.Sscan(last[1], &out.Line)
		_, _ = fmt.Sscan(last[2], &out.Col)
	} else if m := posLine.FindAllStringSubmatch(err.Error(), -1); len(m) > 0 {
		_, _ = fmt.Sscan(m[len(m)-1][1], &out.Line)
	}
	return out
}
