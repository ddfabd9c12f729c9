package transform

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nikolalohinski/gonja/v2/exec"

	"github.com/datanika/datanika/internal/transform/dialect"
	"github.com/datanika/datanika/internal/transform/jinja"
	"github.com/datanika/datanika/internal/transform/project"
)

// Unit tests (dbt 1.8's unit_tests:) run as dbt runs them, on the target: each gets a schema
// of its own for the run (a database on MariaDB), where every given input becomes a table of
// the given rows with the columns and types of the real relation; the model's SQL is rendered
// with ref(), source() and this pointing at those tables, materialized there, and its rows
// are compared, as a multiset and on the expected columns only, with the expected rows cast to
// the model's own column types. The schema is dropped afterwards.
//
// Column types come from the database, as dbt's adapter.get_columns_in_relation gives them:
// in build the inputs are built before the unit test. Where an input does not exist yet (a
// unit test run before anything was built), the types are inferred from the given values as
// seeds infer theirs, rather than failing as dbt does; give format: sql to control them then.

// unitModel is the model a unit test checks, or nil.
func (e *Engine) unitModel(n *node) *node {
	if n.Unit == nil {
		return nil
	}
	return e.nodes[project.Model+"."+e.proj.Name+"."+n.Unit.Model]
}

// resolveUnitTests gives each unit test its model's inputs as parents (so build runs it once
// they are built) and checks that its inputs are inputs of the model.
func (e *Engine) resolveUnitTests() {
	for _, n := range e.nodes {
		if n.Unit == nil || n.err != nil {
			continue
		}
		if n.Unit.Problem != nil {
			n.err = n.Unit.Problem
			continue
		}
		where := fmt.Sprintf("%s:%d: unit test %s", n.Path, n.Line, n.Name)
		mn := e.unitModel(n)
		if mn == nil {
			n.err = fmt.Errorf("%s is for model %q, which is not a model of the project", where, n.Unit.Model)
			continue
		}
		n.refs = append([]string{}, mn.refs...)
		n.sources = append([]string{}, mn.sources...)
		for _, g := range n.Unit.Given {
			id, err := e.inputID(g.Input, mn)
			if err != nil {
				n.err = fmt.Errorf("%s: %w", where, err)
				break
			}
			if id != mn.UniqueID && !containsID(mn.refs, id) && !containsID(mn.sources, id) {
				n.err = fmt.Errorf("%s: input %s is not an input of model %s", where, g.Input, mn.Name)
				break
			}
		}
	}
}

func containsID(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// inputID is the unique id a given input names: ref('x'), source('s', 't') or this.
func (e *Engine) inputID(input string, model *node) (string, error) {
	if strings.TrimSpace(input) == "this" {
		return model.UniqueID, nil
	}
	if m := staticSource.FindStringSubmatch(input); m != nil && strings.HasPrefix(strings.TrimSpace(input), "source") {
		t := e.proj.SourceTable(m[1], m[2])
		if t == nil {
			return "", fmt.Errorf("input %s: no sources: block declares it", input)
		}
		return t.UniqueID, nil
	}
	if m := staticRef.FindStringSubmatch(input); m != nil {
		name := m[1]
		if m[2] != "" {
			name = m[2]
		}
		t := e.proj.ByName(name)
		if t == nil {
			return "", fmt.Errorf("input %s is not a model, seed or snapshot of the project", input)
		}
		return t.UniqueID, nil
	}
	return "", fmt.Errorf("input %q must be ref('…'), source('…', '…') or this", input)
}

// unitSchema names a unit test's own schema: the target's, suffixed, unique to the run.
func (e *Engine) unitSchema() string {
	// Random, so two runs of one engine never meet (a connection's statement cache would).
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	base := e.opts.TargetSchema
	if len(base) > 36 {
		base = base[:36]
	}
	return base + "__dbt_unit_" + hex.EncodeToString(b)
}

func (e *Engine) dropSchema(schema string) string {
	if e.d.Name == "mysql" {
		return "drop database if exists " + e.d.Quote(schema)
	}
	return "drop schema if exists " + e.d.Quote(schema) + " cascade"
}

// unitOutcome is what a unit test found: the rows that differ, and the diff to show.
type unitOutcome struct {
	differing int64
	diff      string
	sample    []map[string]any
}

func (e *Engine) runUnitTest(ctx context.Context, conn *sql.Conn, n *node) (*unitOutcome, error) {
	mn := e.unitModel(n)
	if mn.err != nil {
		return nil, fmt.Errorf("model %s could not be parsed: %w", mn.Name, mn.err)
	}
	if mn.tpl == nil && !mn.lazy {
		return nil, fmt.Errorf("model %s has no SQL to test", mn.Name)
	}
	schema := e.unitSchema()
	if _, err := conn.ExecContext(ctx, e.d.CreateSchema(schema)); err != nil {
		return nil, fmt.Errorf("create the unit test's schema %s: %w", schema, err)
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), e.dropSchema(schema)) }()
	cat := dbCatalog{q: conn, d: e.d}

	replaced := map[string]Relation{}
	for i, g := range n.Unit.Given {
		id, err := e.inputID(g.Input, mn)
		if err != nil {
			return nil, err
		}
		table := fmt.Sprintf("dbt_unit_input_%d", i+1)
		real := e.nodes[id].relation(e.d)
		if id == mn.UniqueID {
			real = Relation{Schema: mn.schema, Identifier: mn.alias(), d: e.d}
		}
		if err := e.createInput(ctx, conn, cat, schema, table, real, e.nodes[id], g); err != nil {
			return nil, fmt.Errorf("input %s: %w", g.Input, err)
		}
		replaced[id] = Relation{Schema: schema, Identifier: table, d: e.d}
	}
	compiled, err := e.renderUnit(ctx, n, mn, cat, replaced)
	if err != nil {
		return nil, err
	}
	const actual, expected = "dbt_unit_actual", "dbt_unit_expected"
	if _, err := runPlan(ctx, connRunner(conn), false, e.d.CreateAs(dialect.Table, schema, actual, compiled)); err != nil {
		return nil, fmt.Errorf("the model's SQL, given the inputs, failed: %w", err)
	}
	actualCols, err := cat.Columns(ctx, schema, actual)
	if err != nil {
		return nil, err
	}
	cols, err := e.createExpected(ctx, conn, cat, schema, expected, actualCols, n.Unit.Expect)
	if err != nil {
		return nil, fmt.Errorf("expect: %w", err)
	}
	quoted := strings.Join(e.d.Quoted(colNames(cols)), ", ")
	got, err := textRows(ctx, conn, fmt.Sprintf("select %s from %s", quoted, e.d.Relation(schema, actual)), cols)
	if err != nil {
		return nil, err
	}
	want, err := textRows(ctx, conn, fmt.Sprintf("select %s from %s", quoted, e.d.Relation(schema, expected)), cols)
	if err != nil {
		return nil, err
	}
	return compareRows(colNames(cols), got, want), nil
}

// createInput makes the table standing for one given input: format sql is its query; dict and
// csv rows take the real relation's columns and types (every column; those a row leaves out
// are null), inferred from the values when the relation does not exist yet.
func (e *Engine) createInput(ctx context.Context, conn *sql.Conn, cat dbCatalog, schema, table string, real Relation, in *node, g project.UnitInput) error {
	if g.Format == "sql" {
		_, err := runPlan(ctx, connRunner(conn), false, e.d.CreateAs(dialect.Table, schema, table, g.SQL))
		return err
	}
	if real.cte != "" {
		return fmt.Errorf("%s is ephemeral: give its rows with format: sql, as dbt requires", in.Name)
	}
	cols, err := cat.Columns(ctx, real.Schema, real.Identifier)
	if err != nil {
		return err
	}
	if len(cols) == 0 {
		cols = inferUnitColumns(e.d, g.UnitRows)
		if len(cols) == 0 {
			return fmt.Errorf("%s does not exist in the database yet and the rows name no column: build it first or give rows", real)
		}
	}
	byName := map[string]string{}
	for _, c := range cols {
		byName[strings.ToLower(c.Name)] = c.Name
	}
	for _, c := range g.Columns {
		if _, ok := byName[strings.ToLower(c)]; !ok {
			names := make([]string, len(cols))
			for i, c := range cols {
				names[i] = c.Name
			}
			return fmt.Errorf("column %q is not a column of %s (its columns: %s)", c, real, strings.Join(names, ", "))
		}
	}
	if _, err := conn.ExecContext(ctx, e.d.CreateTable(schema, table, cols)); err != nil {
		return fmt.Errorf("create %s: %w", table, err)
	}
	return e.insertUnitRows(ctx, conn, schema, table, cols, g.Rows)
}

// createExpected makes the table of expected rows with the model's own types for the expected
// columns, and returns the columns to compare (the model's).
func (e *Engine) createExpected(ctx context.Context, conn *sql.Conn, cat dbCatalog, schema, table string, actual []dialect.Column, want project.UnitRows) ([]dialect.Column, error) {
	byName := map[string]dialect.Column{}
	names := make([]string, len(actual))
	for i, c := range actual {
		byName[strings.ToLower(c.Name)] = c
		names[i] = c.Name
	}
	pick := func(wanted []string) ([]dialect.Column, error) {
		keep := map[string]bool{}
		for _, w := range wanted {
			if _, ok := byName[strings.ToLower(w)]; !ok {
				return nil, fmt.Errorf("column %q is not in the model's output (its columns: %s)", w, strings.Join(names, ", "))
			}
			keep[strings.ToLower(w)] = true
		}
		// In the model's order, so the diff reads as its output does.
		var out []dialect.Column
		for _, c := range actual {
			if keep[strings.ToLower(c.Name)] {
				out = append(out, c)
			}
		}
		return out, nil
	}
	if want.Format == "sql" {
		if _, err := runPlan(ctx, connRunner(conn), false, e.d.CreateAs(dialect.Table, schema, table, want.SQL)); err != nil {
			return nil, err
		}
		got, err := cat.Columns(ctx, schema, table)
		if err != nil {
			return nil, err
		}
		wanted := make([]string, len(got))
		for i, c := range got {
			wanted[i] = c.Name
		}
		return pick(wanted)
	}
	cols := actual
	if len(want.Columns) > 0 {
		var err error
		if cols, err = pick(want.Columns); err != nil {
			return nil, err
		}
	}
	if _, err := conn.ExecContext(ctx, e.d.CreateTable(schema, table, cols)); err != nil {
		return nil, fmt.Errorf("create %s: %w", table, err)
	}
	return cols, e.insertUnitRows(ctx, conn, schema, table, cols, want.Rows)
}

func colNames(cols []dialect.Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// insertUnitRows inserts fixture rows; values go as parameters, so the database converts them
// to each column's type as it would a literal.
func (e *Engine) insertUnitRows(ctx context.Context, conn *sql.Conn, schema, table string, cols []dialect.Column, rows []map[string]any) error {
	if len(rows) == 0 {
		return nil
	}
	names := colNames(cols)
	args := make([]any, 0, len(rows)*len(cols))
	for _, r := range rows {
		lower := map[string]any{}
		for k, v := range r {
			lower[strings.ToLower(k)] = v
		}
		for _, c := range cols {
			args = append(args, unitParam(lower[strings.ToLower(c.Name)], c.Type))
		}
	}
	stmt := e.d.InsertRows(schema, table, names, len(rows))
	if _, err := conn.ExecContext(ctx, stmt, args...); err != nil {
		return &SQLError{Err: fmt.Errorf("insert the given rows: %w", err), SQL: stmt}
	}
	return nil
}

// unitParam is a fixture value as a query parameter: text for the database to convert, except
// nulls, and booleans for boolean columns (MariaDB's tinyint(1) does not read 'true').
func unitParam(v any, colType string) any {
	boolCol := strings.HasPrefix(strings.ToLower(colType), "bool") || strings.EqualFold(colType, "tinyint(1)")
	switch x := v.(type) {
	case nil:
		return nil
	case bool:
		if boolCol {
			return x
		}
		return strconv.FormatBool(x)
	case string:
		if boolCol && (strings.EqualFold(x, "true") || strings.EqualFold(x, "false")) {
			return strings.EqualFold(x, "true")
		}
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		if x.Equal(x.Truncate(24*time.Hour)) && x.Location() == time.UTC {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05.999999")
	}
	return fmt.Sprint(v)
}

// inferUnitColumns guesses an input's columns from its rows, as seeds guess theirs.
func inferUnitColumns(d *dialect.Dialect, rows project.UnitRows) []dialect.Column {
	out := make([]dialect.Column, 0, len(rows.Columns))
	for _, c := range rows.Columns {
		var values []string
		for _, r := range rows.Rows {
			if v := r[c]; v != nil {
				values = append(values, fmt.Sprint(unitParam(v, "")))
			}
		}
		out = append(out, dialect.Column{Name: c, Type: d.SeedType(inferKind(values))})
	}
	return out
}

// renderUnit renders the model under test with its inputs replaced by the unit test's tables
// and the unit test's overrides in place; is_incremental() is false unless overridden.
func (e *Engine) renderUnit(ctx context.Context, n, mn *node, cat dbCatalog, replaced map[string]Relation) (string, error) {
	spec := n.Unit
	globals := e.baseGlobals(mn, true)
	relation := func(id string) (Relation, error) {
		if r, ok := replaced[id]; ok {
			return r, nil
		}
		tn := e.nodes[id]
		if tn.ResourceType != project.Seed {
			what := "ref('" + tn.Name + "')"
			if tn.Source != nil {
				what = fmt.Sprintf("source('%s', '%s')", tn.Source.SourceName, tn.Name)
			}
			return Relation{}, fmt.Errorf("model %s reads %s, which the unit test gives no rows for (give it, with rows: [] when it does not matter)", mn.Name, what)
		}
		// A seed without given rows is used as it is, as dbt does.
		return tn.relation(e.d), nil
	}
	globals["ref"] = func(va *exec.VarArgs) *exec.Value {
		pkg, name, err := refName(va)
		if err != nil {
			return exec.AsValue(err)
		}
		target := e.proj.Ref(mn.Package, pkg, name)
		if target == nil {
			return exec.AsValue(fmt.Errorf("%s is not a model, seed or snapshot of the project", refText([2]string{pkg, name})))
		}
		r, err := relation(target.UniqueID)
		if err != nil {
			return exec.AsValue(err)
		}
		return exec.AsValue(r)
	}
	globals["source"] = func(va *exec.VarArgs) *exec.Value {
		if len(va.Args) != 2 {
			return exec.AsValue(errors.New("source() takes a source name and a table name"))
		}
		target := e.proj.SourceTable(va.Args[0].String(), va.Args[1].String())
		if target == nil {
			return exec.AsValue(fmt.Errorf("source('%s', '%s') is not declared", va.Args[0].String(), va.Args[1].String()))
		}
		r, err := relation(target.UniqueID)
		if err != nil {
			return exec.AsValue(err)
		}
		return exec.AsValue(r)
	}
	if r, ok := replaced[mn.UniqueID]; ok {
		globals["this"] = r
	}
	globals["config"] = configObject(func(*exec.VarArgs) *exec.Value { return exec.AsValue("") },
		func() map[string]any { return mn.config }, true)
	globals["is_incremental"] = func(*exec.VarArgs) *exec.Value { return exec.AsValue(false) }
	static := e.staticGlobals()
	if len(spec.Vars) > 0 {
		base, _ := static["var"].(func(*exec.VarArgs) *exec.Value)
		globals["var"] = func(va *exec.VarArgs) *exec.Value {
			if len(va.Args) > 0 {
				if v, ok := spec.Vars[va.Args[0].String()]; ok {
					return exec.AsValue(v)
				}
			}
			return base(va)
		}
	}
	if len(spec.EnvVars) > 0 {
		base, _ := static["env_var"].(func(*exec.VarArgs) *exec.Value)
		globals["env_var"] = func(va *exec.VarArgs) *exec.Value {
			if len(va.Args) > 0 {
				if v, ok := spec.EnvVars[va.Args[0].String()]; ok {
					return exec.AsValue(v)
				}
			}
			return base(va)
		}
	}
	if len(spec.Macros) > 0 {
		globals[jinja.OverridesGlobal] = spec.Macros
	}
	e.introspection(ctx, globals, cat, true)
	tpl, err := e.template(mn)
	if err != nil {
		return "", err
	}
	out, err := e.env.Render(ctx, tpl, globals)
	if err != nil {
		return "", err
	}
	return trimTrailingSemicolons(out), nil
}

func firstRelation(va *exec.VarArgs) (Relation, bool) {
	if len(va.Args) == 0 {
		return Relation{}, false
	}
	return asRelation(va.Args[0])
}

// asRelation gives the Relation a value holds, looking through the *exec.Value wrappers a list
// passed by keyword can leave around its items.
func asRelation(v *exec.Value) (Relation, bool) {
	x := v.Interface()
	for {
		w, ok := x.(*exec.Value)
		if !ok {
			break
		}
		x = w.Interface()
	}
	rel, ok := x.(Relation)
	return rel, ok
}

const nullText = "\x00null"

// textRows reads a query's rows with every value as text (nulls apart); numbers of a decimal
// column lose their trailing zeros, so 30.0 is 30 as dbt's Decimal comparison has it.
func textRows(ctx context.Context, q querier, query string, types []dialect.Column) ([][]string, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, &SQLError{Err: err, SQL: query}
	}
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				row[i] = nullText
			case []byte:
				row[i] = string(x)
			case time.Time:
				row[i] = x.Format("2006-01-02 15:04:05.999999Z07:00")
			default:
				row[i] = fmt.Sprint(x)
			}
			if i < len(types) && decimalType(types[i].Type) {
				row[i] = canonicalDecimal(row[i])
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// compareRows compares actual and expected rows as multisets and writes the difference as dbt
// shows it: a header, then each row of the expected missing from the actual (---) and each row
// of the actual that was not expected (+++).
func compareRows(cols []string, actual, expected [][]string) *unitOutcome {
	key := func(r []string) string { return strings.Join(r, "\x1f") }
	count := map[string]int{}
	for _, r := range actual {
		count[key(r)]++
	}
	var missing [][]string
	for _, r := range expected {
		k := key(r)
		if count[k] > 0 {
			count[k]--
			continue
		}
		missing = append(missing, r)
	}
	var extra [][]string
	for _, r := range actual {
		if k := key(r); count[k] > 0 {
			count[k]--
			extra = append(extra, r)
		}
	}
	out := &unitOutcome{differing: int64(len(missing) + len(extra))}
	if out.differing == 0 {
		return out
	}
	sortRows(missing)
	sortRows(extra)
	type line struct {
		mark  string
		cells []string
	}
	lines := []line{{"@@", cols}}
	for _, r := range missing {
		lines = append(lines, line{"---", r})
	}
	for _, r := range extra {
		lines = append(lines, line{"+++", r})
	}
	widths := make([]int, len(cols))
	for _, l := range lines {
		for i, c := range l.cells {
			widths[i] = max(widths[i], len(shown(c)))
		}
	}
	var b strings.Builder
	b.WriteString("actual differs from expected (--- expected, missing from the actual; +++ in the actual, not expected):\n")
	for _, l := range lines {
		fmt.Fprintf(&b, "%-3s", l.mark)
		for i, c := range l.cells {
			b.WriteString(" | ")
			fmt.Fprintf(&b, "%-*s", widths[i], shown(c))
		}
		b.WriteString("\n")
		if l.mark == "@@" {
			continue
		}
		row := map[string]any{"dbt_diff": l.mark}
		for i, c := range l.cells {
			if c == nullText {
				row[cols[i]] = nil
			} else {
				row[cols[i]] = c
			}
		}
		if len(out.sample) < sampleRows {
			out.sample = append(out.sample, row)
		}
	}
	out.diff = strings.TrimRight(b.String(), "\n")
	return out
}

func shown(s string) string {
	if s == nullText {
		return "null"
	}
	return s
}

func sortRows(rows [][]string) {
	sort.Slice(rows, func(i, j int) bool {
		return strings.Join(rows[i], "\x1f") < strings.Join(rows[j], "\x1f")
	})
}

func decimalType(t string) bool {
	t = strings.ToLower(t)
	for _, p := range []string{"numeric", "decimal", "double", "float", "real", "money"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// canonicalDecimal writes 30.00 as 30 and 1.50 as 1.5.
func canonicalDecimal(s string) string {
	if !decimalText.MatchString(s) {
		return s
	}
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		return "0"
	}
	return s
}

var decimalText = regexp.MustCompile(`^-?\d+\.\d+$`)
