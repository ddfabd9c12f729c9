package project

import (
	"encoding/csv"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// UnitTest is the resource type of dbt 1.8's unit tests.
const UnitTest = "unit_test"

// UnitTestSpec is a unit test: the model it checks, the rows given for the model's inputs,
// the rows expected from it, and what it overrides.
type UnitTestSpec struct {
	// Model is the name of the model under test.
	Model string
	Given []UnitInput
	// Expect is what the model must return; only its columns are compared.
	Expect UnitRows
	// Overrides: macros (is_incremental, or any macro by name), vars and env_vars.
	Macros  map[string]any
	Vars    map[string]any
	EnvVars map[string]string
	// Problem is why the entry cannot run (a bad input, rows of the wrong shape): the unit test
	// fails with it, alone, and the rest of the project runs.
	Problem error
}

// UnitInput is one given: input.
type UnitInput struct {
	// Input is how the model reads it: ref('x'), ref('pkg', 'x'), source('s', 't') or this.
	Input string
	UnitRows
}

// UnitRows are fixture rows, as dbt writes them: format dict (a list of maps), csv (a CSV
// text with a header) or sql (a query); a fixture: names a file under <test-path>/fixtures.
type UnitRows struct {
	Format string
	// Rows (dict and csv) in order; a missing key is a null. Columns lists their keys in the
	// order they first appear.
	Rows    []map[string]any
	Columns []string
	// SQL is the query of format sql.
	SQL string
}

type unitTestProps struct {
	Name        string         `yaml:"name"`
	Description string         `yaml:"description"`
	Model       string         `yaml:"model"`
	Config      map[string]any `yaml:"config"`
	Given       []struct {
		Input   string `yaml:"input"`
		Format  string `yaml:"format"`
		Rows    any    `yaml:"rows"`
		Fixture string `yaml:"fixture"`
	} `yaml:"given"`
	Expect struct {
		Format  string `yaml:"format"`
		Rows    any    `yaml:"rows"`
		Fixture string `yaml:"fixture"`
	} `yaml:"expect"`
	Overrides struct {
		Macros  map[string]any    `yaml:"macros"`
		Vars    map[string]any    `yaml:"vars"`
		EnvVars map[string]string `yaml:"env_vars"`
	} `yaml:"overrides"`
}

var inputCall = regexp.MustCompile(`^\s*(this|(ref|source)\s*\(.*\))\s*$`)

// addUnitTests reads the unit_tests: entries of a properties file; each becomes a node named
// unit_test.<project>.<model>.<name>, as in dbt. An entry that cannot run still becomes its
// node, failing with the reason; one without a name or model is a warning.
func (l *loader) addUnitTests(file string, entries []yaml.Node, testPaths []string) {
	for _, entry := range entries {
		var up unitTestProps
		if err := entry.Decode(&up); err != nil {
			l.p.Warnings = append(l.p.Warnings, fmt.Sprintf("%s:%d: unit test ignored: %v", file, entry.Line, err))
			continue
		}
		if up.Name == "" || up.Model == "" {
			l.p.Warnings = append(l.p.Warnings, fmt.Sprintf("%s:%d: unit test ignored: it needs a name and a model", file, entry.Line))
			continue
		}
		spec, err := l.unitSpec(up, testPaths)
		if err != nil {
			spec.Problem = fmt.Errorf("%s:%d: unit test %s: %w", file, entry.Line, up.Name, err)
		}
		id := UnitTest + "." + l.p.Name + "." + up.Model + "." + up.Name
		if prev, ok := l.p.Nodes[id]; ok {
			l.p.Warnings = append(l.p.Warnings, fmt.Sprintf("%s:%d: unit test %s ignored: model %s already has a unit test so named (%s:%d)",
				file, entry.Line, up.Name, up.Model, prev.Path, prev.Line))
			continue
		}
		l.p.Nodes[id] = &Node{UniqueID: id, ResourceType: UnitTest, Name: up.Name, Path: file, Line: entry.Line,
			FQN: []string{l.p.Name, up.Model, up.Name}, Description: up.Description,
			Config: Config{}.Merge(up.Config), Unit: spec}
	}
}

func (l *loader) unitSpec(up unitTestProps, testPaths []string) (*UnitTestSpec, error) {
	spec := &UnitTestSpec{Model: up.Model, Macros: up.Overrides.Macros, Vars: up.Overrides.Vars, EnvVars: up.Overrides.EnvVars}
	for _, name := range slices.Sorted(maps.Keys(up.Overrides.Macros)) {
		// dbt replaces a macro, or a macro of a package namespace (dbt_utils.star); adapter is
		// an object, not a namespace of macros, and dbt fails on adapter.<method>.
		if strings.HasPrefix(name, "adapter.") {
			return spec, fmt.Errorf("overrides: macros: %s: a unit test cannot override a method of adapter, as in dbt", name)
		}
	}
	if up.Given == nil {
		// given: [] is allowed (a model with no inputs); only a missing given: is not.
		return spec, fmt.Errorf("given: is required (a list of inputs with their rows)")
	}
	for _, g := range up.Given {
		if !inputCall.MatchString(g.Input) {
			return spec, fmt.Errorf("input %q must be ref('…'), source('…', '…') or this", g.Input)
		}
		rows, err := l.unitRows(g.Format, g.Rows, g.Fixture, testPaths)
		if err != nil {
			return spec, fmt.Errorf("input %s: %w", g.Input, err)
		}
		spec.Given = append(spec.Given, UnitInput{Input: strings.TrimSpace(g.Input), UnitRows: rows})
	}
	expect, err := l.unitRows(up.Expect.Format, up.Expect.Rows, up.Expect.Fixture, testPaths)
	if err != nil {
		return spec, fmt.Errorf("expect: %w", err)
	}
	spec.Expect = expect
	return spec, nil
}

// unitRows reads fixture rows in one of dbt's three formats, inline or from a fixture file.
func (l *loader) unitRows(format string, rows any, fixture string, testPaths []string) (UnitRows, error) {
	if format == "" {
		format = "dict"
	}
	out := UnitRows{Format: format}
	if fixture != "" {
		if rows != nil {
			return out, fmt.Errorf("give rows: or fixture:, not both")
		}
		text, err := l.fixture(fixture, format, testPaths)
		if err != nil {
			return out, err
		}
		rows = text
	}
	switch format {
	case "dict":
		if rows == nil {
			return out, nil
		}
		list, ok := rows.([]any)
		if !ok {
			return out, fmt.Errorf("rows: of format dict must be a list of maps, not %T", rows)
		}
		for i, r := range list {
			m, ok := r.(map[string]any)
			if !ok {
				return out, fmt.Errorf("row %d must be a map of column: value, not %T", i+1, r)
			}
			out.add(m, mapKeysInOrder(m, out.Columns))
		}
	case "csv":
		text, ok := rows.(string)
		if !ok && rows != nil {
			return out, fmt.Errorf("rows: of format csv must be a CSV text with a header row, not %T", rows)
		}
		if strings.TrimSpace(text) == "" {
			return out, nil
		}
		r := csv.NewReader(strings.NewReader(strings.TrimSpace(text)))
		r.TrimLeadingSpace = true
		records, err := r.ReadAll()
		if err != nil {
			return out, fmt.Errorf("rows: %w", err)
		}
		header := make([]string, len(records[0]))
		for i, h := range records[0] {
			header[i] = strings.TrimSpace(h)
		}
		out.Columns = header
		for _, rec := range records[1:] {
			m := map[string]any{}
			for i, h := range header {
				// An empty cell is a null, as dbt's CSV fixtures read it.
				if i < len(rec) && rec[i] != "" {
					m[h] = rec[i]
				} else {
					m[h] = nil
				}
			}
			out.Rows = append(out.Rows, m)
		}
	case "sql":
		text, ok := rows.(string)
		if !ok || strings.TrimSpace(text) == "" {
			return out, fmt.Errorf("rows: of format sql must be a query")
		}
		out.SQL = text
	default:
		return out, fmt.Errorf("format %q is not dict, csv or sql", format)
	}
	return out, nil
}

func (u *UnitRows) add(m map[string]any, newKeys []string) {
	u.Columns = append(u.Columns, newKeys...)
	u.Rows = append(u.Rows, m)
}

// mapKeysInOrder is the keys of m not yet in known, sorted (YAML maps decode without order).
func mapKeysInOrder(m map[string]any, known []string) []string {
	var out []string
	for k := range m {
		found := false
		for _, c := range known {
			if c == k {
				found = true
				break
			}
		}
		if !found {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// fixture finds <test-path>/fixtures/**/<name>.csv (or .sql) and returns its text.
func (l *loader) fixture(name, format string, testPaths []string) (string, error) {
	ext := ".csv"
	if format == "sql" {
		ext = ".sql"
	}
	for p, b := range l.p.Files {
		if path.Base(p) != name+ext {
			continue
		}
		for _, tp := range testPaths {
			if strings.HasPrefix(p, tp+"/fixtures/") {
				return string(b), nil
			}
		}
	}
	return "", fmt.Errorf("fixture %q: no file %s%s under %s/fixtures", name, name, ext, strings.Join(testPaths, ", "))
}
