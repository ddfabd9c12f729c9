package jinja

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	// Cache, when set, keeps parsed templates and macro files by their text across Envs, so
	// loading a project again after an edit parses only what changed.
	Cache *Cache
}

// Cache holds parsed templates by their text; share one between the Envs of successive loads
// of a project. It is safe for concurrent use. Parsing does not depend on the globals, so a
// cached template is valid for any Env.
type Cache struct {
	mu        sync.Mutex
	templates map[string]*exec.Template
	// closures keeps, per text, the macros it reaches in the Env whose macro files hash to
	// the key's prefix (Env.macroHash).
	closures map[string][]int
	// static keeps StaticCalls' answer per text, under the same keys.
	static map[string]staticResult
	// used marks what the current generation looked up; Prune drops the rest.
	used map[string]bool
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{templates: map[string]*exec.Template{}, closures: map[string][]int{}, static: map[string]staticResult{}, used: map[string]bool{}}
}

func (c *Cache) get(key string) (*exec.Template, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.templates[key]
	if ok {
		c.used[key] = true
	}
	return t, ok
}

func (c *Cache) put(key string, t *exec.Template) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.templates[key] = t
	c.used[key] = true
}

// Prune forgets the templates no Parse asked for since the previous Prune, so a cache that
// follows a project through many edits holds only what its last load used.
func (c *Cache) Prune() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.templates {
		if !c.used[k] {
			delete(c.templates, k)
		}
	}
	for k := range c.closures {
		if !c.used[k] {
			delete(c.closures, k)
		}
	}
	for k := range c.static {
		if !c.used[k] {
			delete(c.static, k)
		}
	}
	c.used = map[string]bool{}
}

// Len is how many templates the cache holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.templates)
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
	// wordIndex maps a word to the macros it mentions (mentionsOf), for every word of a
	// macro name; macroClosure is each macro's reachable set; closures memoises closure().
	wordIndex map[string][]int
	// nsMembers lists, per namespace, its macros by name (a package may define one twice).
	nsMembers    map[string]map[string][]int
	macroClosure [][]int
	closureMu    sync.Mutex
	closures     map[string][]int
	// byText memoises closure() per template text (the parse pass and the compile of a model
	// both ask); the keys share the texts' memory.
	byText map[string][]int
	// macroHash identifies the macro files, their namespaces, the packages and the dialect,
	// for closures kept in Options.Cache.
	macroHash string
	// local caches parsed templates by text when Options.Cache is not set.
	local *Cache
	// adapter is the last adapter namespace renders were given, with dispatch (render.go).
	adapter atomic.Pointer[mergedAdapter]
	// broken maps the macros of files that could not be parsed to why; calling one fails
	// the render that calls it, and nothing else.
	broken map[string]error
	// problems are the parse errors of those files, one per file.
	problems []error
	// parseWords says, per macro index, whether its text mentions ref, source or config:
	// a template whose macros do not can have its calls read statically (StaticCalls).
	parseWords []bool
}

var macroStart = regexp.MustCompile(`\{%-?\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)`)

// words calls fn with every identifier-like word of text, as the pattern
// [A-Za-z_][A-Za-z0-9_]* finds them (a hand-written scan: this runs on every template), a
// word once per occurrence.
func words(text string, fn func(string)) {
	for i := 0; i < len(text); {
		c := text[i]
		if !isWordByte(c) || c >= '0' && c <= '9' {
			i++
			continue
		}
		j := i + 1
		for j < len(text) && isWordByte(text[j]) {
			j++
		}
		fn(text[i:j])
		i = j
	}
}

// mentionsOf is the macros one word of a text may call by name: every macro of that name,
// whatever its package (several packages may define one), and for a dispatched name every
// default__ and <dialect>__ implementation, since dispatch may find it in any package of its
// search order. A namespace is not a name here: mentioned handles namespaces.
func (e *Env) mentionsOf(w string) []int {
	var out []int
	for _, name := range []string{w, "default__" + w, e.opts.Dialect + "__" + w} {
		out = append(out, e.allByName[name]...)
	}
	return out
}

// mentioned returns the macros a text may call (see mentionsOf), each word looked up once in
// the index NewEnv builds. A namespace (a package's, the root project's, dbt's) followed by
// .name (dbt.concat, dbt_utils.star) mentions only that member; written any other way (passed
// as a value), all of its macros; quoted (dispatch's macro_namespace), none, because dispatch
// finds macros by their own names, which the text mentions.
func (e *Env) mentioned(text string) []int {
	var out []int
	var nss []string
	var hit []string // the few words that name macros, each taken once
	words(text, func(w string) {
		if ms, ok := e.wordIndex[w]; ok && !slices.Contains(hit, w) {
			hit = append(hit, w)
			out = append(out, ms...)
		}
		if _, ns := e.nsMembers[w]; ns && !slices.Contains(nss, w) {
			nss = append(nss, w)
		}
	})
	for _, ns := range nss {
		members := e.nsMembers[ns]
		bare := false
		for rest := text; ; {
			i := strings.Index(rest, ns)
			if i < 0 {
				break
			}
			before, after := rest[:i], rest[i+len(ns):]
			rest = after
			if before != "" && isWordByte(before[len(before)-1]) || after != "" && isWordByte(after[0]) {
				continue // part of a longer word
			}
			if before != "" && after != "" && (before[len(before)-1] == '\'' && after[0] == '\'' || before[len(before)-1] == '"' && after[0] == '"') {
				continue // a quoted name
			}
			attr := ""
			if strings.HasPrefix(after, ".") {
				j := 1
				for j < len(after) && isWordByte(after[j]) {
					j++
				}
				attr = after[1:j]
			}
			if attr == "" {
				bare = true
				break
			}
			for _, name := range []string{attr, "default__" + attr, e.opts.Dialect + "__" + attr} {
				out = append(out, members[name]...)
			}
		}
		if bare {
			out = append(out, e.byNamespace[ns]...)
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// closure is every macro reachable from a text, in ascending order. It is the union of the
// precomputed closures of the macros the text mentions, memoised by that set: templates of a
// project mention the same few macros over and over, and they share one slice (read only).
func (e *Env) closure(text string) []int {
	e.closureMu.Lock()
	out, ok := e.byText[text]
	e.closureMu.Unlock()
	if ok {
		return out
	}
	out = e.closureOf(text)
	e.closureMu.Lock()
	e.byText[text] = out
	e.closureMu.Unlock()
	return out
}

func (e *Env) closureOf(text string) []int {
	direct := e.mentioned(text)
	slices.Sort(direct)
	direct = slices.Compact(direct)
	var key strings.Builder
	for _, i := range direct {
		key.WriteString(strconv.Itoa(i))
		key.WriteByte(',')
	}
	e.closureMu.Lock()
	defer e.closureMu.Unlock()
	if out, ok := e.closures[key.String()]; ok {
		return out
	}
	seen := make([]bool, len(e.macros))
	var out []int
	for _, i := range direct {
		for _, j := range e.macroClosure[i] {
			if !seen[j] {
				seen[j] = true
				out = append(out, j)
			}
		}
	}
	slices.Sort(out)
	e.closures[key.String()] = out
	return out
}

// closeMacros computes, once per Env, every macro reachable from each macro.
func (e *Env) closeMacros() {
	e.macroClosure = make([][]int, len(e.macros))
	seen := make([]int, len(e.macros)) // the macro+1 whose closure marked it last
	for m := range e.macros {
		stack := []int{m}
		var out []int
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[i] == m+1 {
				continue
			}
			seen[i] = m + 1
			out = append(out, i)
			stack = append(stack, e.uses[i]...)
		}
		e.macroClosure[m] = out
	}
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
	if strings.Contains(src, "set") && strings.Contains(src, " if ") {
		src = completeInlineIfs(src)
	}
	src = normalizeExpressions(src)
	if strings.Contains(src, "test") {
		src = testBlockOpen.ReplaceAllString(src, "{%$1 macro test_$2(")
		src = testBlockClose.ReplaceAllString(src, "{%$1 endmacro $2%}")
	}
	if !strings.Contains(src, "materialization") {
		return src
	}
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
		// Jinja's string filters take any value as its str(): false|trim is "False".
		for _, name := range stringFilters {
			if f, ok := builtins.Filters.Get(name); ok {
				_ = filters.Replace(name, pyStrInput(f))
			}
		}
		for name, f := range dbtFilters {
			if filters.Exists(name) {
				_ = filters.Replace(name, f)
			} else {
				_ = filters.Register(name, f)
			}
		}
		globals := exec.EmptyContext().Update(builtins.GlobalFunctions).Update(builtins.GlobalVariables)
		globals.Set("range", boundedRange)
		globals.Set(keyFunc, keyOf)
		globals.Set(addFunc, arith(true))
		globals.Set(subFunc, arith(false))
		globals.Set(modFunc, modulo)
		globals.Set(backslashVar, "\\")
		globals.Set(quoteVar, "'")
		globals.Set(newlineVar, "\n")
		globals.Set(returnVar, "\r")
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
	// range() and return() work on the state of the render calling them (render.go).
	globals.Set("range", renderRange)
	globals.Set("return", renderReturn)
	env := &exec.Environment{Context: globals, Filters: base.Filters, Tests: base.Tests,
		ControlStructures: base.ControlStructures, Methods: base.Methods}
	e := &Env{opts: opts, cfg: cfg, env: env, byName: map[string]int{}, namespaces: map[string][]string{},
		byNamespace: map[string][]int{}, broken: map[string]error{}, allByName: map[string][]int{}, isPackage: map[string]bool{},
		local: NewCache()}
	for _, p := range opts.Packages {
		e.isPackage[p] = true
	}
	var bodies []string
	if opts.Cache != nil {
		// A closure is macro indexes: it depends on the files, their order and namespaces
		// (pkg.name), and the dialect (<dialect>__name); Root, Packages and Dispatch only
		// steer renders, but are part of the key too, to be safe.
		h := sha256.New()
		write := func(parts ...string) {
			for _, part := range parts {
				_, _ = fmt.Fprintf(h, "%d:%s", len(part), part)
			}
		}
		write("closure-v2", opts.Dialect, opts.Root, strconv.Itoa(len(opts.Packages)))
		write(opts.Packages...)
		order := slices.Sorted(maps.Keys(opts.Dispatch))
		write(strconv.Itoa(len(order)))
		for _, ns := range order {
			write(ns, strconv.Itoa(len(opts.Dispatch[ns])))
			write(opts.Dispatch[ns]...)
		}
		write(strconv.Itoa(len(files)))
		for _, f := range files {
			write(f.Path, f.Namespace, f.Text)
		}
		e.macroHash = string(h.Sum(nil))
	}
	for _, f := range files {
		t, err := e.parse(f.Path, f.Text, true)
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
			implicitSpreads(t.Macros()[name], body[name])
			e.macros = append(e.macros, macroDef{name: name, namespace: ns, node: t.Macros()[name], file: idx})
			bodies = append(bodies, body[name])
		}
	}
	e.indexWords()
	e.uses = make([][]int, len(e.macros))
	for i, b := range bodies {
		e.uses[i] = e.mentioned(b)
		e.parseWords = append(e.parseWords, mentionsParseWords(b))
	}
	e.closeMacros()
	return e, nil
}

// indexWords builds wordIndex and nsMembers: only words that name a macro (or, stripped of a
// default__ or <dialect>__ prefix, name one) can mention one by name; every macro of such a
// name is indexed (allByName), in every namespace.
func (e *Env) indexWords() {
	e.wordIndex = map[string][]int{}
	e.closures = map[string][]int{}
	e.byText = map[string][]int{}
	add := func(w string) {
		if _, done := e.wordIndex[w]; done {
			return
		}
		if m := e.mentionsOf(w); len(m) > 0 {
			e.wordIndex[w] = m
		}
	}
	for name := range e.allByName {
		add(name)
		if rest, ok := strings.CutPrefix(name, "default__"); ok {
			add(rest)
		}
		if rest, ok := strings.CutPrefix(name, e.opts.Dialect+"__"); ok {
			add(rest)
		}
	}
	e.nsMembers = map[string]map[string][]int{}
	for ns, idxs := range e.byNamespace {
		members := map[string][]int{}
		for _, i := range idxs {
			members[e.macros[i].name] = append(members[e.macros[i].name], i)
		}
		e.nsMembers[ns] = members
	}
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

// ParsedTemplates is how many distinct templates this Env parsed (those of a shared Cache
// included): texts parsed more than once count once.
func (e *Env) ParsedTemplates() int {
	if e.opts.Cache != nil {
		return e.opts.Cache.Len()
	}
	return e.local.Len()
}

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
	t, err := e.parse(path, src, true)
	if err != nil {
		return nil, err
	}
	return &Template{path: path, t: t, macros: e.cachedClosure(src)}, nil
}

// ParseTransient is ParseIn for a template used once (a model compiled after a static
// parse): the Env keeps no copy of its tree, so compiling a large project one model at a
// time holds one tree at a time. A shared Options.Cache still keeps it.
func (e *Env) ParseTransient(pkg, path, src string) (*Template, error) {
	t, err := e.parse(path, src, false)
	if err != nil {
		return nil, err
	}
	out := &Template{path: path, t: t, macros: e.cachedClosure(src)}
	if e.isPackage[pkg] {
		out.pkg = pkg
	}
	return out, nil
}

// cachedClosure is closure(src), kept in the shared Cache for the same macro files.
func (e *Env) cachedClosure(src string) []int {
	if e.opts.Cache == nil || e.macroHash == "" {
		return e.closure(src)
	}
	c := e.opts.Cache
	key := e.macroHash + src
	c.mu.Lock()
	out, ok := c.closures[key]
	if ok {
		c.used[key] = true
	}
	c.mu.Unlock()
	if ok {
		return out
	}
	out = e.closure(src)
	c.mu.Lock()
	c.closures[key] = out
	c.used[key] = true
	c.mu.Unlock()
	return out
}

func (e *Env) parse(path, src string, keep bool) (t *exec.Template, err error) {
	// The same text parses to the same tree whatever its path: generic tests of one shape,
	// and, with a Cache, every unchanged file of a project loaded again.
	key := src
	if e.opts.Strict {
		key = "\x00strict\x00" + src
	}
	cache := e.opts.Cache
	if cache == nil {
		cache = e.local
		if !keep {
			cache = nil
		}
	}
	if cache != nil {
		if t, ok := cache.get(key); ok {
			return t, nil
		}
		defer func() {
			if err == nil && t != nil {
				cache.put(key, t)
			}
		}()
	}
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
