package transform

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/datanika/datanika/internal/transform/jinja"
	"github.com/datanika/datanika/internal/transform/project"
)

// Commands, as dbt names them.
const (
	CmdBuild     = "build"
	CmdRun       = "run"
	CmdTest      = "test"
	CmdSeed      = "seed"
	CmdSnapshot  = "snapshot"
	CmdCompile   = "compile"
	CmdFreshness = "freshness"
)

// Commands lists every command.
var Commands = []string{CmdBuild, CmdRun, CmdTest, CmdSeed, CmdSnapshot, CmdCompile, CmdFreshness}

var commandTypes = map[string][]string{
	CmdBuild:     {project.Model, project.Seed, project.Snapshot, project.Test, project.UnitTest},
	CmdRun:       {project.Model},
	CmdTest:      {project.Test, project.UnitTest},
	CmdSeed:      {project.Seed},
	CmdSnapshot:  {project.Snapshot},
	CmdCompile:   {project.Model, project.Snapshot, project.Test},
	CmdFreshness: {project.Source},
}

// Statuses, in dbt's vocabulary.
const (
	StatusSuccess = "success"
	StatusError   = "error"
	StatusSkipped = "skipped"
	StatusPass    = "pass"
	StatusFail    = "fail"
	StatusWarn    = "warn"
)

// Result is one node's outcome.
type Result struct {
	UniqueID string `json:"unique_id"`
	// Name is the node's name (a test's, a versioned model's without its version; a hook's
	// <project>-on-run-start-<n>).
	Name         string           `json:"name"`
	ResourceType string           `json:"resource_type"`
	Status       string           `json:"status"`
	RowsAffected int64            `json:"rows_affected"`
	Seconds      float64          `json:"seconds"`
	Failures     int64            `json:"failures"`
	Message      string           `json:"message"`
	Sample       []map[string]any `json:"sample_rows,omitempty"`
	CompiledSQL  string           `json:"compiled_sql,omitempty"`
}

// ok reports whether the node counts as succeeded (a warn does).
func (r Result) ok() bool {
	return r.Status == StatusSuccess || r.Status == StatusPass || r.Status == StatusWarn
}

// Summary is a whole invocation's outcome.
type Summary struct {
	Status  string   `json:"status"`
	Seconds float64  `json:"seconds"`
	Nodes   []Result `json:"nodes"`
	// Warnings are the project's problems that stopped nothing, each naming its file.
	Warnings []string `json:"warnings,omitempty"`
}

// Run runs a command over the selected nodes against db, in DAG order, up to Threads at a
// time; the descendants of a node that fails are skipped.
func (e *Engine) Run(ctx context.Context, db *sql.DB, command, selectExpr, excludeExpr string) (*Summary, error) {
	ids, err := e.Plan(command, selectExpr, excludeExpr)
	if err != nil {
		return nil, err
	}
	e.which.Store(&command)
	deps := e.schedule(ids, command == CmdBuild)
	start := time.Now()
	// on-run-start and on-run-end run around every command that touches the warehouse, as
	// dbt's do; compile and freshness run none.
	projectHooks := command != CmdCompile && command != CmdFreshness
	var results []Result
	if projectHooks {
		results = e.runProjectHooks(ctx, db, "on-run-start", nil)
	}
	if blocker := firstFailed(results); blocker != "" {
		// A failing on-run-start stops the command: nothing it set up can be trusted.
		for _, id := range ids {
			results = append(results, Result{UniqueID: id, Name: e.nodes[id].Name, ResourceType: e.nodes[id].ResourceType, Status: StatusSkipped,
				Message: "skipped because " + blocker + " (on-run-start) did not succeed"})
		}
	} else if results == nil {
		results = e.execute(ctx, db, command, ids, deps)
	} else {
		results = append(results, e.execute(ctx, db, command, ids, deps)...)
	}
	if projectHooks {
		results = append(results, e.runProjectHooks(ctx, db, "on-run-end", e.onRunEndContext(ids, results))...)
	}
	s := &Summary{Status: StatusSuccess, Seconds: time.Since(start).Seconds(), Nodes: results, Warnings: e.warnings()}
	for _, r := range results {
		if !r.ok() {
			s.Status = StatusError
		}
	}
	return s, nil
}

// Plan returns the unique ids of the nodes a command over a selector would execute, in DAG
// order: the selected nodes of the command's resource types, less ephemeral models (they run
// inside their children) and sources without a freshness rule.
func (e *Engine) Plan(command, selectExpr, excludeExpr string) ([]string, error) {
	types, ok := commandTypes[command]
	if !ok {
		return nil, fmt.Errorf("unknown command %q (one of %s)", command, strings.Join(Commands, ", "))
	}
	chosen, err := e.graph.Select(selectExpr, excludeExpr)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, id := range e.graph.Order() {
		n := e.nodes[id]
		if !chosen[id] || !slices.Contains(types, n.ResourceType) {
			continue
		}
		if n.ResourceType == project.Model && n.config.Materialized() == "ephemeral" {
			continue
		}
		if n.ResourceType == project.Source && (n.Source.Freshness == nil || n.Source.LoadedAtField == "") {
			continue
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// ResourceOperation is the resource type of an on-run-start or on-run-end hook's result.
const ResourceOperation = "operation"

// runProjectHooks runs dbt_project.yml's on-run-start or on-run-end (key) statements, a string
// or a list, in order on one connection, each rendered when it runs; one result each, named as
// dbt names them (operation.<project>.<project>-on-run-start-0); after one fails, the rest are
// skipped.
//
// extra adds to their context: on-run-end's results, schemas and database_schemas.
func (e *Engine) runProjectHooks(ctx context.Context, db *sql.DB, key string, extra map[string]any) []Result {
	// Every installed package's hooks, packages in name order, then the root project's.
	type owned struct {
		pkg   string
		hooks []string
	}
	var all []owned
	pkgs := append([]*project.Package(nil), e.proj.Packages...)
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Name < pkgs[j].Name })
	for _, p := range pkgs {
		hooks := p.OnRunStart
		if key == "on-run-end" {
			hooks = p.OnRunEnd
		}
		if len(hooks) > 0 {
			all = append(all, owned{p.Name, hooks})
		}
	}
	if hooks := project.Config(e.proj.Settings).Strings(key); len(hooks) > 0 {
		all = append(all, owned{e.proj.Name, hooks})
	}
	if len(all) == 0 {
		return nil
	}
	var out []Result
	var failed string
	conn, err := db.Conn(ctx)
	if err == nil {
		defer func() { _ = conn.Close() }()
	}
	for _, o := range all {
		where := "dbt_project.yml"
		if o.pkg != e.proj.Name {
			where = "package " + o.pkg + "'s dbt_project.yml"
		}
		for i, hook := range o.hooks {
			start := time.Now()
			name := fmt.Sprintf("%s-%s-%d", o.pkg, key, i)
			res := Result{UniqueID: "operation." + o.pkg + "." + name, Name: name, ResourceType: ResourceOperation}
			switch {
			case failed != "":
				res.Status, res.Message = StatusSkipped, "skipped because "+failed+" did not succeed"
			case err != nil:
				res.Status, res.Message = StatusError, fmt.Sprintf("%s: %s hook %d: connect: %v", where, key, i+1, err)
			default:
				if herr := e.runProjectHook(ctx, conn, o.pkg, key, i, hook, extra); herr != nil {
					res.Status, res.Message = StatusError, fmt.Sprintf("%s: %s hook %d failed: %v", where, key, i+1, herr)
				} else {
					res.Status, res.Message = StatusSuccess, key
				}
			}
			res.Seconds = time.Since(start).Seconds()
			if res.Status == StatusError && failed == "" {
				failed = res.UniqueID
			}
			out = append(out, res)
		}
	}
	return out
}

func (e *Engine) runProjectHook(ctx context.Context, conn *sql.Conn, pkg, key string, i int, hook string, extra map[string]any) error {
	if strings.TrimSpace(hook) == "" {
		return nil
	}
	var tpl *jinja.Template
	var err error
	if pkg == e.proj.Name {
		tpl, err = e.env.Parse(fmt.Sprintf("dbt_project.yml (%s %d)", key, i+1), hook)
	} else {
		// A package's hook calls its own macros by their bare names.
		tpl, err = e.env.ParseIn(pkg, fmt.Sprintf("%s/dbt_project.yml (%s %d)", pkg, key, i+1), hook)
	}
	if err != nil {
		return err
	}
	g := e.baseGlobals(nil, true)
	for k, v := range extra {
		g[k] = v
	}
	e.introspection(ctx, g, dbCatalog{q: conn, d: e.d}, true)
	stmt, err := e.env.Render(ctx, tpl, g)
	if err != nil {
		return err
	}
	if strings.TrimSpace(stmt) == "" {
		return nil
	}
	if _, err := conn.ExecContext(ctx, stmt); err != nil {
		return &SQLError{Err: err, SQL: stmt}
	}
	return nil
}

func firstFailed(results []Result) string {
	for _, r := range results {
		if !r.ok() {
			return r.UniqueID
		}
	}
	return ""
}

// schedule gives each node the selected nodes it must wait for: its selected ancestors
// reached through unselected ephemeral models and, in build, the tests of its parents (so a
// failing test stops what is built on the data it checked).
func (e *Engine) schedule(ids []string, build bool) map[string][]string {
	selected := map[string]bool{}
	for _, id := range ids {
		selected[id] = true
	}
	deps := map[string][]string{}
	var upstream func(id string, seen map[string]bool) []string
	upstream = func(id string, seen map[string]bool) []string {
		var out []string
		for _, p := range e.graph.Parents(id) {
			if seen[p] {
				continue
			}
			seen[p] = true
			pn := e.nodes[p]
			switch {
			case selected[p]:
				out = append(out, p)
			case pn.ResourceType == project.Model && pn.config.Materialized() == "ephemeral":
				out = append(out, upstream(p, seen)...)
			}
		}
		return out
	}
	for _, id := range ids {
		deps[id] = upstream(id, map[string]bool{})
	}
	if !build {
		return deps
	}
	ancestors := map[string]map[string]bool{}
	var anc func(id string) map[string]bool
	anc = func(id string) map[string]bool {
		if a, ok := ancestors[id]; ok {
			return a
		}
		a := map[string]bool{}
		for _, p := range e.graph.Parents(id) {
			a[p] = true
			for x := range anc(p) {
				a[x] = true
			}
		}
		ancestors[id] = a
		return a
	}
	for _, t := range ids {
		if mn := e.unitModel(e.nodes[t]); mn != nil && selected[mn.UniqueID] {
			// A model is built only once its unit tests pass, as in dbt.
			deps[mn.UniqueID] = append(deps[mn.UniqueID], t)
		}
	}
	for _, t := range ids {
		if e.nodes[t].ResourceType != project.Test {
			continue
		}
		testAnc := anc(t)
		// A test holds back the children of the node it is attached to, as in dbt: a failing
		// relationships or equal_rowcount test does not stop what its other model feeds.
		gates := e.graph.Parents(t)
		if tn := e.nodes[t]; tn.Test != nil && tn.Test.AttachedID != "" {
			gates = []string{tn.Test.AttachedID}
		}
		for _, p := range gates {
			for _, c := range e.graph.Children(p) {
				if !selected[c] || e.nodes[c].ResourceType == project.Test || e.nodes[c].ResourceType == project.UnitTest || testAnc[c] {
					continue
				}
				deps[c] = append(deps[c], t)
			}
		}
	}
	return deps
}

func (e *Engine) execute(ctx context.Context, db *sql.DB, command string, ids []string, deps map[string][]string) []Result {
	pending := map[string]int{}
	children := map[string][]string{}
	for _, id := range ids {
		pending[id] = len(deps[id])
		for _, d := range deps[id] {
			children[d] = append(children[d], id)
		}
	}
	// Each result lands at its node's place in ids (a map of 18,000 results was the largest
	// thing a compile allocated at its end).
	pos := make(map[string]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	out := make([]Result, len(ids))
	failedBy := map[string]string{}
	var mu sync.Mutex
	ready := make(chan string, len(ids))
	done := make(chan Result, len(ids))
	for _, id := range ids {
		if pending[id] == 0 {
			ready <- id
		}
	}
	var wg sync.WaitGroup
	for range e.opts.Threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ready {
				mu.Lock()
				blocker, skip := failedBy[id]
				mu.Unlock()
				if skip {
					done <- Result{UniqueID: id, Name: e.nodes[id].Name, ResourceType: e.nodes[id].ResourceType, Status: StatusSkipped,
						Message: "skipped because " + blocker + " did not succeed"}
					continue
				}
				if ctx.Err() != nil {
					// Cancelled: what has not started does not start (the statement in flight
					// was cancelled on the destination with the context).
					done <- Result{UniqueID: id, Name: e.nodes[id].Name, ResourceType: e.nodes[id].ResourceType, Status: StatusSkipped,
						Message: "skipped because the run was stopped"}
					continue
				}
				done <- e.runNode(ctx, db, command, e.nodes[id])
			}
		}()
	}
	for range ids {
		r := <-done
		out[pos[r.UniqueID]] = r
		e.opts.Logger.Info("node finished", slog.String("unique_id", r.UniqueID), slog.String("status", r.Status), slog.Float64("seconds", r.Seconds))
		if e.opts.OnResult != nil {
			e.opts.OnResult(r)
		}
		mu.Lock()
		for _, c := range children[r.UniqueID] {
			if !r.ok() {
				if _, already := failedBy[c]; !already {
					failedBy[c] = r.UniqueID
				}
			}
			pending[c]--
			if pending[c] == 0 {
				ready <- c
			}
		}
		mu.Unlock()
	}
	close(ready)
	wg.Wait()
	return out
}

func (e *Engine) runNode(ctx context.Context, db *sql.DB, command string, n *node) (res Result) {
	start := time.Now()
	res = Result{UniqueID: n.UniqueID, Name: n.Name, ResourceType: n.ResourceType}
	defer func() { res.Seconds = time.Since(start).Seconds() }()
	fail := func(err error) Result {
		res.Status = StatusError
		res.Message = placed(n, err).Error()
		return res
	}
	if n.err != nil {
		// It could not be parsed: it fails alone, and its children are skipped.
		return fail(n.err)
	}
	if command == CmdCompile {
		// Compiling only reads the catalog (is_incremental, star); any pooled connection will do.
		compiled, err := e.compile(ctx, n, dbCatalog{q: db, d: e.d})
		if err != nil {
			return fail(err)
		}
		res.Status, res.CompiledSQL, res.Message = StatusSuccess, compiled, "compiled"
		return res
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fail(fmt.Errorf("connect: %w", err))
	}
	defer func() { _ = conn.Close() }()
	cat := dbCatalog{q: conn, d: e.d}
	if n.ResourceType == project.Source {
		status, msg, err := e.runFreshness(ctx, conn, n)
		if err != nil {
			return fail(err)
		}
		res.Status, res.Message = status, msg
		return res
	}
	if n.ResourceType == project.UnitTest {
		out, err := e.runUnitTest(ctx, conn, n)
		if err != nil {
			return fail(fmt.Errorf("%s:%d: unit test %s: %w", n.Path, n.Line, n.Name, err))
		}
		res.Failures, res.Sample = out.differing, out.sample
		res.Status, res.Message = StatusPass, "pass"
		if out.differing > 0 {
			res.Status, res.Message = StatusFail, out.diff
		}
		return res
	}
	var compiled string
	if n.ResourceType != project.Seed {
		if compiled, err = e.compile(ctx, n, cat); err != nil {
			return fail(err)
		}
	}
	if n.ResourceType == project.Test {
		cfg := e.testConfig(n)
		failures, sample, err := e.runTest(ctx, conn, compiled, cfg.String("fail_calc"))
		if err != nil {
			return fail(err)
		}
		res.Failures, res.Sample = failures, sample
		status, err := testOutcome(cfg.String("severity"), cfg.String("error_if"), cfg.String("warn_if"), failures)
		if err != nil {
			return fail(err)
		}
		switch status {
		case StatusPass:
			res.Status, res.Message = StatusPass, "pass"
		case StatusWarn:
			res.Status, res.Message = StatusWarn, fmt.Sprintf("got %d results, configured to warn", failures)
		default:
			res.Status, res.Message = StatusFail, fmt.Sprintf("got %d results, configured to fail", failures)
		}
		return res
	}
	if err := e.ensureSchema(ctx, conn, n.schema); err != nil {
		return fail(err)
	}
	var rows int64
	var msg string
	err = e.runHooks(ctx, conn, n, "pre-hook")
	if err == nil {
		if n.ResourceType == project.Seed {
			rows, msg, err = e.runSeed(ctx, conn, connRunner(conn), n)
		} else {
			rows, msg, err = e.runModel(ctx, conn, n, compiled)
		}
	}
	if err == nil {
		err = e.runHooks(ctx, conn, n, "post-hook")
	}
	if err != nil {
		var se *SQLError
		if errors.As(err, &se) {
			return fail(fmt.Errorf("%s: %w", n.Path, err))
		}
		return fail(err)
	}
	res.Status, res.RowsAffected, res.Message = StatusSuccess, rows, msg
	return res
}

// warnings are the project's problems that stopped no node by themselves: macro files that
// could not be parsed, then properties entries for missing nodes.
func (e *Engine) warnings() []string {
	var out []string
	for _, err := range e.env.Problems() {
		out = append(out, err.Error())
	}
	return append(out, e.proj.Warnings...)
}

// placed points a template error of a node defined inside a file (a generic test in
// schema.yml, whose Jinja we generate) at the node's line in that file.
func placed(n *node, err error) error {
	var te *jinja.Error
	if n.Line == 0 || !errors.As(err, &te) || te.Path != n.Path {
		return err
	}
	return &jinja.Error{Path: te.Path, Line: n.Line, Msg: te.Msg}
}

// ensureSchema creates a schema once per run; the lock keeps concurrent nodes from racing on
// CREATE SCHEMA IF NOT EXISTS, which PostgreSQL can fail with a duplicate key.
func (e *Engine) ensureSchema(ctx context.Context, conn *sql.Conn, schema string) error {
	e.schemaMu.Lock()
	defer e.schemaMu.Unlock()
	if e.schemas[schema] {
		return nil
	}
	// Another run (another process) creating the same schema at the same moment makes
	// PostgreSQL fail ours with a duplicate key once theirs commits; the schema then exists, and
	// asking again succeeds.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if _, err = conn.ExecContext(ctx, e.d.CreateSchema(schema)); err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("create schema %s: %w", schema, err)
	}
	if e.schemas == nil {
		e.schemas = map[string]bool{}
	}
	e.schemas[schema] = true
	return nil
}
