package transform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nikolalohinski/gonja/v2/exec"

	"github.com/datanika/datanika/internal/transform/dialect"
	"github.com/datanika/datanika/internal/transform/graph"
	"github.com/datanika/datanika/internal/transform/jinja"
	"github.com/datanika/datanika/internal/transform/project"
)

// Options configure an Engine.
type Options struct {
	Dialect *dialect.Dialect
	// TargetSchema is the schema models land in unless they name a custom one.
	TargetSchema string
	// LazyTemplates reads a model's ref/source/config calls statically when they are
	// top-level literal calls (jinja.Env.StaticCalls) instead of rendering it at load, and
	// parses its template only when it compiles (dropping the tree after): a large compile
	// runs in about half the CPU and memory. A template or render error then fails the node
	// when it compiles instead of when the project loads, so the platform, which checks a
	// project on save, leaves it off; the command line turns it on.
	LazyTemplates bool
	// noStaticParse makes parsing render every model, as without jinja.Env.StaticCalls
	// (tests compare both ways and exercise the parse cache).
	noStaticParse bool
	// TargetDatabase is target.database: the PostgreSQL database's name (empty on MySQL,
	// whose databases are schemas).
	TargetDatabase string
	// TargetName is target.name in templates ("dev" when empty).
	TargetName string
	// Vars override the project's vars, as dbt's --vars does.
	Vars map[string]any
	// EnvVars is everything env_var() can see; the process environment never is.
	EnvVars     map[string]string
	FullRefresh bool
	// StrictUndefined makes an undefined variable a template error instead of empty text.
	StrictUndefined bool
	Threads         int
	RunStartedAt    time.Time
	Logger          *slog.Logger
	// OnResult, when set, is called with each node's result as it finishes (from the goroutine
	// that collects them, one at a time), for live progress.
	OnResult func(Result)
	// Cache, when set, reuses the parse results of a previous New of the same project for
	// every file that did not change (see Cache).
	Cache *Cache
}

// Engine is a parsed, resolved project ready to compile and run.
type Engine struct {
	proj  *project.Project
	opts  Options
	d     *dialect.Dialect
	env   *jinja.Env
	nodes map[string]*node
	graph *graph.Graph
	// customSchemaMacro: the project overrides generate_schema_name.
	customSchemaMacro bool
	schemaMu          sync.Mutex
	schemas           map[string]bool
	// graphCtx is the graph context variable, built once (context_graph.go).
	graphOnce sync.Once
	graphCtx  map[string]any
	// which is the command being run, flags.WHICH.
	which atomic.Pointer[string]
	// flagsNS is flags for the last WHICH (context_functions.go); kit is the last
	// introspection's shared part (context_dbt.go); adapter0 the adapter namespace of a
	// render without introspection. Renders only read them.
	flagsNS    atomic.Pointer[flagsFor]
	kit        atomic.Pointer[introKit]
	adapter0   jinja.Namespace
	adapterOne sync.Once
	// testConfigs are the config() calls generic tests' macros made when they ran.
	testConfigMu sync.Mutex
	testConfigs  map[string]map[string]any
	// envHash is the part of the parse cache's keys that is the same for every node.
	envHash []byte
}

// node is a project node with what parsing learnt: its final config, location and edges.
type node struct {
	*project.Node
	tpl          *jinja.Template
	templateText string
	// literals are the variables a generic test's shared template reads (testTemplate).
	literals map[string]any
	config   project.Config
	schema   string
	refs     []string // unique ids of parents
	// refCalls are its ref() calls as written: package ("" when not given) and name, with
	// the version asked for after project.VersionSep; graph refs list them.
	refCalls [][2]string
	sources  []string
	// err is why the node could not be parsed; running it fails with it, alone.
	err error
	// lazy: parsing read the node's calls statically (jinja.Env.StaticCalls), so tpl is nil
	// and the template is parsed when the node is compiled, and not kept.
	lazy bool
}

func (n *node) relation(d *dialect.Dialect) Relation {
	if n.ResourceType == project.Source {
		return Relation{Schema: n.Source.Schema, Identifier: n.Source.Identifier, d: d}
	}
	r := Relation{Schema: n.schema, Identifier: n.alias(), d: d}
	if n.ResourceType == project.Model && n.config.Materialized() == "ephemeral" {
		r.cte = "__dbt__cte__" + n.Name
	}
	return r
}

// alias is the relation name: the alias config, else the node's name.
func (n *node) alias() string {
	if a := n.config.String("alias"); a != "" && n.Source == nil {
		return a
	}
	return n.Alias()
}

// New parses every template, learns each node's refs and config() calls, resolves schemas and
// builds the graph. Errors name the file (and line and column for template errors).
func New(ctx context.Context, proj *project.Project, opts Options) (*Engine, error) {
	if opts.Dialect == nil {
		return nil, errors.New("a dialect is required")
	}
	if opts.TargetSchema == "" {
		return nil, errors.New("a target schema is required")
	}
	if opts.Threads <= 0 {
		opts.Threads = 4
	}
	if opts.TargetName == "" {
		opts.TargetName = "dev"
	}
	if opts.RunStartedAt.IsZero() {
		opts.RunStartedAt = time.Now().UTC()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{proj: proj, opts: opts, d: opts.Dialect, nodes: map[string]*node{},
		customSchemaMacro: definesMacro(proj, "generate_schema_name")}
	files, packages := macroFiles(proj)
	jopts := jinja.Options{Dialect: opts.Dialect.Name, Strict: opts.StrictUndefined, Globals: e.staticGlobals(),
		Root: proj.Name, Packages: packages, Dispatch: proj.Dispatch}
	if opts.Cache != nil {
		opts.Cache.begin()
		defer opts.Cache.end()
		jopts.Cache = opts.Cache.templates
		if h, ok := e.envKey(files); ok {
			e.envHash = h.Sum(nil)
		}
	}
	env, err := jinja.NewEnv(jopts, files)
	if err != nil {
		return nil, err
	}
	e.env = env
	broken := e.renderConfigs(ctx)
	ids := make([]string, 0, len(proj.Nodes))
	for id := range proj.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		pn := proj.Nodes[id]
		e.nodes[id] = &node{Node: pn, config: pn.Config, err: broken[id]}
	}
	if err := e.renderSourceLocations(ctx); err != nil {
		return nil, err
	}
	e.parsePass(ctx, ids)
	e.resolveUnitTests()
	if err := e.buildGraph(); err != nil {
		return nil, err
	}
	return e, nil
}

// templateSource is the Jinja a node renders: its file, or the call of its generic test.
func templateSource(n *project.Node) string { return testTemplate(n, nil) }

// testTemplate writes the call of a generic test (or returns a file's text). With lits set,
// the plain string literals of the call (the model's and column's names, the arguments'
// strings) become variables recorded in lits: tests of one shape then share one parsed
// template, and the project's thousands of tests parse as a handful.
func testTemplate(n *project.Node, lits *literals) string {
	if n.Test == nil {
		return n.Raw
	}
	t := n.Test
	macro := "test_" + t.Name
	if i := strings.LastIndex(t.Name, "."); i >= 0 {
		macro = t.Name[:i] + ".test_" + t.Name[i+1:]
	}
	model := lits.call(t.Attached)
	if where := n.Config.String("where"); where != "" {
		model = fmt.Sprintf(`"(select * from " ~ %s ~ " where " ~ %s ~ ") dbt_subquery"`, model, lits.literal(where))
	}
	args := []string{"model=" + model}
	if t.Column != "" {
		args = append(args, "column_name="+lits.literal(t.Column))
	}
	keys := make([]string, 0, len(t.Kwargs))
	for k := range t.Kwargs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, k+"="+lits.literal(t.Kwargs[k]))
	}
	return "{{ " + macro + "(" + strings.Join(args, ", ") + ") }}"
}

// literals collects the strings a test's template reads from variables; a nil *literals
// writes every string inline.
type literals struct {
	values map[string]any
}

// str writes a plain string: a variable when lits collects them and escaping would not
// change it (so the variable holds exactly what the literal would evaluate to), else a quoted
// literal.
func (l *literals) str(s string) string {
	if l == nil || strings.ContainsAny(s, "\\'\n") {
		return "'" + literalEscaper.Replace(s) + "'"
	}
	if l.values == nil {
		l.values = map[string]any{}
	}
	name := fmt.Sprintf("__dnk_lit%d", len(l.values))
	l.values[name] = s
	return name
}

var (
	simpleRef    = regexp.MustCompile(`^ref\('([^'\\]*)'\)$`)
	pkgRef       = regexp.MustCompile(`^ref\('([^'\\]*)', '([^'\\]*)'\)$`)
	simpleSource = regexp.MustCompile(`^source\('([^'\\]*)', '([^'\\]*)'\)$`)
)

// call writes a ref('x'), ref('pkg', 'x') (a package's test) or source('a', 'b') call, its
// names as variables when it can.
func (l *literals) call(c string) string {
	if l == nil {
		return c
	}
	if m := simpleRef.FindStringSubmatch(c); m != nil {
		return "ref(" + l.str(m[1]) + ")"
	}
	if m := pkgRef.FindStringSubmatch(c); m != nil {
		return "ref(" + l.str(m[1]) + ", " + l.str(m[2]) + ")"
	}
	if m := simpleSource.FindStringSubmatch(c); m != nil {
		return "source(" + l.str(m[1]) + ", " + l.str(m[2]) + ")"
	}
	return c
}

var literalEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`)

var refCall = regexp.MustCompile(`^\s*(ref|source)\s*\(.*\)\s*$`)

var exprTag = regexp.MustCompile(`(?s)\{\{-?(.*?)-?\}\}`)

// string writes a YAML string as a Jinja expression. dbt renders the Jinja in test arguments
// ("{{ var('x') }}"): a string that is one {{ … }} keeps the expression's own value (a list
// stays a list, as dbt's native rendering does), a mixed one concatenates.
func (l *literals) string(s string) string {
	locs := exprTag.FindAllStringSubmatchIndex(s, -1)
	if len(locs) == 0 {
		return l.str(s)
	}
	if len(locs) == 1 && locs[0][0] == 0 && locs[0][1] == len(s) {
		return "(" + s[locs[0][2]:locs[0][3]] + ")"
	}
	var parts []string
	last := 0
	for _, loc := range locs {
		if loc[0] > last {
			parts = append(parts, l.str(s[last:loc[0]]))
		}
		parts = append(parts, "("+s[loc[2]:loc[3]]+")")
		last = loc[1]
	}
	if last < len(s) {
		parts = append(parts, l.str(s[last:]))
	}
	return "(" + strings.Join(parts, " ~ ") + ")"
}

// literal writes a YAML value as a Jinja expression; "ref('x')" strings stay calls, as dbt
// evaluates them in test arguments.
func (l *literals) literal(v any) string {
	switch x := v.(type) {
	case nil:
		return "none"
	case string:
		if refCall.MatchString(x) {
			return l.call(x)
		}
		return l.string(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = l.literal(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = l.literal(k) + ": " + l.literal(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// parsePass renders every template once, as dbt parses, to record ref(), source() and
// config() calls; concurrency keeps a 1,000-model project fast. A node that cannot be parsed
// keeps its error and fails alone when it runs; the rest of the project goes on.
func (e *Engine) parsePass(ctx context.Context, ids []string) {
	work := make(chan string)
	var wg sync.WaitGroup
	for range max(2, e.opts.Threads) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				n := e.nodes[id]
				if n.err != nil {
					continue
				}
				var err error
				if src := templateSource(n.Node); src != "" {
					n.templateText = src
					if n.Test == nil && e.opts.LazyTemplates && !e.opts.noStaticParse {
						if calls, ok := e.env.StaticCalls(src); ok {
							if rec, ok := recorderOf(calls); ok {
								n.lazy = true
								n.err = e.resolve(n, rec)
								continue
							}
						}
					}
					if n.Test != nil {
						lits := &literals{}
						src = testTemplate(n.Node, lits)
						n.literals = lits.values
					}
					n.tpl, err = e.env.ParseIn(n.Package, n.Path, src)
				}
				if err == nil {
					err = e.parseNode(ctx, n)
				}
				n.err = err
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	for _, id := range ids {
		n := e.nodes[id]
		if n.ResourceType == project.Source || n.err != nil {
			continue
		}
		schema, err := e.schemaFor(ctx, n)
		if err != nil {
			n.err = fmt.Errorf("%s: %w", n.Path, err)
			continue
		}
		n.schema = schema
	}
}

func (e *Engine) parseNode(ctx context.Context, n *node) error {
	if n.tpl == nil {
		return nil
	}
	if n.Test != nil {
		rec := &recorder{}
		// A generic test's template is ours: its refs are in its arguments, no render needed.
		staticRefs(n.templateText, rec)
		return e.resolve(n, rec)
	}
	return e.cachedParse(n, func(rec *recorder) error { return e.parseRender(ctx, n, rec) })
}

// recorderOf is what a parse render records for the calls StaticCalls read; ok is false for
// a call a render would refuse (ref() without a name…), left to the render to report.
func recorderOf(calls []jinja.StaticCall) (*recorder, bool) {
	rec := &recorder{}
	strs := func(args []any) ([]string, bool) {
		out := make([]string, len(args))
		for i, a := range args {
			s, ok := a.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	for _, c := range calls {
		args, ok := strs(c.Args)
		if !ok {
			return nil, false
		}
		if c.Name == "ref" && len(args) > 0 {
			for _, key := range []string{"v", "version"} {
				if v, ok := c.Kwargs[key]; ok && v != nil {
					args[len(args)-1] += project.VersionSep + fmt.Sprint(v)
				}
			}
		}
		switch {
		case c.Name == "ref" && len(args) == 1:
			rec.refs = append(rec.refs, [2]string{"", args[0]})
		case c.Name == "ref" && len(args) == 2:
			rec.refs = append(rec.refs, [2]string{args[0], args[1]})
		case c.Name == "source" && len(args) == 2 && len(c.Kwargs) == 0:
			rec.sources = append(rec.sources, [2]string{args[0], args[1]})
		case c.Name == "config" && len(args) == 0:
			rec.config = append(rec.config, c.Kwargs)
		default:
			return nil, false
		}
	}
	return rec, true
}

// parseRender renders a node's template as dbt parses, recording its calls in rec.
func (e *Engine) parseRender(ctx context.Context, n *node, rec *recorder) error {
	globals := e.baseGlobals(n, false)
	globals["ref"] = func(va *exec.VarArgs) *exec.Value {
		pkg, name, err := refName(va)
		if err != nil {
			return exec.AsValue(err)
		}
		rec.refs = append(rec.refs, [2]string{pkg, name})
		return exec.AsValue(Relation{Schema: e.opts.TargetSchema, Identifier: name, d: e.d})
	}
	globals["source"] = func(va *exec.VarArgs) *exec.Value {
		if len(va.Args) != 2 {
			return exec.AsValue(errors.New("source() takes a source name and a table name"))
		}
		rec.sources = append(rec.sources, [2]string{va.Args[0].String(), va.Args[1].String()})
		return exec.AsValue(Relation{Schema: va.Args[0].String(), Identifier: va.Args[1].String(), d: e.d})
	}
	globals["config"] = configObject(func(va *exec.VarArgs) *exec.Value {
		m := map[string]any{}
		for k, v := range va.KwArgs {
			m[k] = goValue(v)
		}
		rec.config = append(rec.config, m)
		return exec.AsValue("")
	}, func() map[string]any {
		known := n.config
		for _, c := range rec.config {
			known = known.Merge(c)
		}
		return known
	}, false)
	globals["execute"] = false
	e.introspection(ctx, globals, nil, false)
	// What it referred to before an error still makes its edges, so selectors and skipping
	// see where it sits (cachedParse resolves them).
	_, err := e.env.Render(ctx, n.tpl, globals)
	return err
}

// staticRef and staticSource read one ref() or source() call (a unit test's given input).
var (
	staticRef    = regexp.MustCompile(`\bref\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?\)`)
	staticSource = regexp.MustCompile(`\bsource\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)`)
)

// staticRefs reads ref() and source() calls from a template we generated ourselves (a
// generic test's: ref('x'), ref('pkg', 'x'), source('s', 't') with quoted literal arguments).
// A hand-written scan: it runs for every test of the project on every load.
func staticRefs(text string, rec *recorder) {
	for _, fn := range []string{"ref(", "source("} {
		for rest, off := text, 0; ; {
			i := strings.Index(rest, fn)
			if i < 0 {
				break
			}
			at := off + i
			rest, off = text[at+len(fn):], at+len(fn)
			if at > 0 && isIdentByte(text[at-1]) {
				continue
			}
			args, ok := quotedArgs(rest)
			if !ok || fn == "source(" && strings.Contains(args[len(args)-1], project.VersionSep) {
				continue
			}
			switch {
			case fn == "ref(" && len(args) == 1:
				rec.refs = append(rec.refs, [2]string{"", args[0]})
			case fn == "ref(" && len(args) == 2:
				rec.refs = append(rec.refs, [2]string{args[0], args[1]})
			case fn == "source(" && len(args) == 2:
				rec.sources = append(rec.sources, [2]string{args[0], args[1]})
			}
		}
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// quotedArgs reads "'a', 'b')" — quoted arguments up to the closing parenthesis — and, after
// them, a version as a test of a model version writes it (", version='2')", or v=2): the
// version comes back joined to the last argument, as project.Ref reads it.
func quotedArgs(s string) ([]string, bool) {
	var args []string
	i := skipSpace(s, 0)
	for {
		arg, next, ok := quoted(s, i)
		if !ok {
			return nil, false
		}
		args = append(args, arg)
		i = skipSpace(s, next)
		if i < len(s) && s[i] == ')' {
			return args, true
		}
		if i >= len(s) || s[i] != ',' {
			return nil, false
		}
		i = skipSpace(s, i+1)
		if i < len(s) && (s[i] == '\'' || s[i] == '"') && len(args) < 2 {
			continue
		}
		version, ok := versionArg(s, i)
		if !ok {
			return nil, false
		}
		args[len(args)-1] += project.VersionSep + version
		return args, true
	}
}

// versionArg reads "v='2')" or "version=2)" at s[i:], up to the closing parenthesis.
func versionArg(s string, i int) (string, bool) {
	rest := s[i:]
	switch {
	case strings.HasPrefix(rest, "version"):
		i += len("version")
	case strings.HasPrefix(rest, "v"):
		i++
	default:
		return "", false
	}
	i = skipSpace(s, i)
	if i >= len(s) || s[i] != '=' {
		return "", false
	}
	i = skipSpace(s, i+1)
	var v string
	if arg, next, ok := quoted(s, i); ok {
		v, i = arg, next
	} else {
		j := i
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
			j++
		}
		if j == i {
			return "", false
		}
		v, i = s[i:j], j
	}
	i = skipSpace(s, i)
	if i >= len(s) || s[i] != ')' {
		return "", false
	}
	return v, true
}

// quoted reads one quoted string without quotes inside at s[i:]: the string and where after it.
func quoted(s string, i int) (string, int, bool) {
	if i >= len(s) || (s[i] != '\'' && s[i] != '"') {
		return "", 0, false
	}
	q := s[i]
	end := strings.IndexByte(s[i+1:], q)
	if end <= 0 {
		return "", 0, false
	}
	arg := s[i+1 : i+1+end]
	if strings.ContainsAny(arg, "'\"") {
		return "", 0, false
	}
	return arg, i + end + 2, true
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
		i++
	}
	return i
}

// resolve applies what parsing recorded: config() over the file's config, refs and sources to
// unique ids, with errors that name the file.
func (e *Engine) resolve(n *node, rec *recorder) error {
	cfg := n.Config
	for _, c := range rec.config {
		cfg = cfg.Merge(c)
	}
	n.config = cfg
	for _, ref := range rec.refs {
		target := e.proj.Ref(n.Package, ref[0], ref[1])
		if target == nil {
			return fmt.Errorf("%s: %s refers to %s, which is not a model, seed or snapshot of the project", n.Path, n.Name, refText(ref))
		}
		n.refs = append(n.refs, target.UniqueID)
	}
	// Read only, so shared with the recorder (and the parse cache).
	n.refCalls = rec.refs
	for _, s := range rec.sources {
		target := e.proj.Source(n.Package, s[0], s[1])
		if target == nil {
			return fmt.Errorf("%s: %s refers to source('%s', '%s'), which no sources: block declares", n.Path, n.Name, s[0], s[1])
		}
		n.sources = append(n.sources, target.UniqueID)
	}
	return nil
}

type recorder struct {
	// refs are ref() calls: package ("" when not given) and name.
	refs    [][2]string
	sources [][2]string
	config  []map[string]any
}

// refName reads ref('name') or ref('package', 'name').
func refName(va *exec.VarArgs) (pkg, name string, err error) {
	switch len(va.Args) {
	case 1:
		name = va.Args[0].String()
	case 2:
		pkg, name = va.Args[0].String(), va.Args[1].String()
	default:
		return "", "", errors.New("ref() takes a model name")
	}
	// ref('orders', v=2): a version of a versioned model (project.Ref reads it).
	for _, key := range []string{"v", "version"} {
		if v, ok := va.KwArgs[key]; ok && !v.IsNil() {
			name += project.VersionSep + v.String()
		}
	}
	return pkg, name, nil
}

// refText writes a ref as the template did.
func refText(ref [2]string) string {
	name, version, versioned := strings.Cut(ref[1], project.VersionSep)
	v := ""
	if versioned {
		v = ", v=" + version
	}
	if ref[0] != "" {
		return fmt.Sprintf("ref('%s', '%s'%s)", ref[0], name, v)
	}
	return fmt.Sprintf("ref('%s'%s)", name, v)
}

func goValue(v *exec.Value) any {
	if v.IsList() {
		out := []any{}
		v.Iterate(func(_, _ int, k, _ *exec.Value) bool { out = append(out, goValue(k)); return true }, func() {})
		return out
	}
	return v.ToGoSimpleType(false)
}

// schemaFor names a node's schema as dbt does: the project's generate_schema_name macro when
// it defines one, else the target schema, suffixed by the custom schema when there is one.
func (e *Engine) schemaFor(ctx context.Context, n *node) (string, error) {
	if n.ResourceType == project.Snapshot {
		if ts := n.config.String("target_schema"); ts != "" {
			return ts, nil
		}
	}
	custom := n.config.String("schema")
	if e.customSchemaMacro {
		var arg any
		if custom != "" {
			arg = custom
		}
		out, err := e.env.CallMacro(ctx, "generate_schema_name", e.baseGlobals(n, false), arg, jinja.Namespace{"name": n.Name, "resource_type": n.ResourceType})
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(fmt.Sprint(out)), nil
	}
	if custom == "" {
		return e.opts.TargetSchema, nil
	}
	return e.opts.TargetSchema + "_" + strings.TrimSpace(custom), nil
}

// definesMacro reports whether the root project defines a macro; a package's override of
// dbt's own macros does not count, as in dbt.
func definesMacro(proj *project.Project, macro string) bool {
	re := regexp.MustCompile(`\{%-?\s*macro\s+` + regexp.QuoteMeta(macro) + `\s*\(`)
	for _, f := range proj.Macros {
		if f.Package != "" && f.Package != proj.Name {
			continue
		}
		if re.MatchString(f.Text) {
			return true
		}
	}
	return false
}

func (e *Engine) buildGraph() error {
	gnodes := make([]*graph.Node, 0, len(e.nodes))
	parents := map[string][]string{}
	for id, n := range e.nodes {
		gn := &graph.Node{ID: id, Name: n.Name, ResourceType: n.ResourceType, Path: n.Path, FQN: n.FQN,
			Tags: n.config.Strings("tags"), Config: n.config}
		if n.Test != nil {
			gn.TestOf = append(append([]string{}, n.refs...), n.sources...)
		}
		if mn := e.unitModel(n); mn != nil {
			// Selecting a model selects its unit tests, as it does its data tests.
			gn.TestOf = []string{mn.UniqueID}
		}
		gnodes = append(gnodes, gn)
		parents[id] = append(append([]string{}, n.refs...), n.sources...)
	}
	g, err := graph.New(gnodes, parents)
	if err != nil {
		return err
	}
	e.graph = g
	return nil
}

// Graph is the project's DAG.
func (e *Engine) Graph() *graph.Graph { return e.graph }

// Project is the parsed project.
func (e *Engine) Project() *project.Project { return e.proj }

// renderSourceLocations renders Jinja in sources' schema, database and identifier, as dbt does
// ("{{ target.schema }}", "{{ var('raw_schema') }}").
func (e *Engine) renderSourceLocations(ctx context.Context) error {
	for _, n := range e.nodes {
		if n.Source == nil {
			continue
		}
		for _, field := range []*string{&n.Source.Schema, &n.Source.Database, &n.Source.Identifier} {
			if !strings.Contains(*field, "{{") {
				continue
			}
			tpl, err := e.env.Parse(n.Path, *field)
			if err != nil {
				return err
			}
			out, err := e.env.Render(ctx, tpl, e.baseGlobals(nil, false))
			if err != nil {
				return err
			}
			*field = strings.TrimSpace(out)
		}
	}
	return nil
}

// NodeError is why node id could not be parsed or resolved (a template error, an unknown
// ref() or source()), nil when it parsed; running the node would fail with it.
func (e *Engine) NodeError(id string) error {
	if n, ok := e.nodes[id]; ok {
		return n.err
	}
	return nil
}

// MacroProblems are the macro files that could not be parsed, each error naming its file,
// line and column; their macros fail where they are called.
func (e *Engine) MacroProblems() []error { return e.env.Problems() }
