package project

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Resource types, in dbt's vocabulary.
const (
	Model    = "model"
	Seed     = "seed"
	Snapshot = "snapshot"
	Test     = "test"
	Source   = "source"
)

// Project is a parsed dbt project.
type Project struct {
	Name    string
	Version string
	Profile string
	Vars    map[string]any
	// Nodes by unique id: models, seeds, snapshots, tests and sources.
	Nodes map[string]*Node
	// Macros are the sources of every macro file, by path, in a stable order.
	Macros []File
	// Settings is dbt_project.yml as read, kept so export writes it back unchanged.
	Settings map[string]any
	// Files holds every file of the project by path, so export is a lossless round trip.
	Files map[string][]byte
	// Warnings are problems dbt warns about and goes on: a properties entry for a model
	// that does not exist. Each names its file.
	Warnings []string
}

// File is one source file of the project.
type File struct {
	Path string
	Text string
}

// Node is one model, seed, snapshot, test or source table.
type Node struct {
	UniqueID     string
	ResourceType string
	Name         string
	// Path is the file the node comes from, relative to the project root.
	Path string
	// Line is where in Path a node defined inside a file begins (a generic test in a
	// properties file); 0 when the node is the whole file.
	Line int
	// FQN is dbt's fully qualified name: project, folders, name.
	FQN         []string
	Raw         string
	Config      Config
	Description string
	Columns     []Column
	// Test is set for generic tests: which test, on which node and column, with what arguments.
	Test *TestSpec
	// Source is set for source tables.
	Source *SourceSpec
	// Unit is set for unit tests.
	Unit *UnitTestSpec
	// SeedCSV is the raw content of a seed's file.
	SeedCSV []byte
}

// Column is a documented column.
type Column struct {
	Name        string
	Description string
}

// TestSpec describes a generic test attached to a model, seed, snapshot or source.
type TestSpec struct {
	// Name is the test macro without "test_": not_null, dbt_utils.accepted_range…
	Name string
	// Attached is how the tested relation is written in Jinja: ref('x') or source('a','b').
	Attached   string
	AttachedID string
	Column     string
	Kwargs     map[string]any
}

// SourceSpec is a source table's location and freshness rules.
type SourceSpec struct {
	SourceName    string
	Schema        string
	Database      string
	Identifier    string
	LoadedAtField string
	Freshness     *Freshness
}

// Freshness holds warn_after and error_after thresholds.
type Freshness struct {
	WarnAfter  *Period
	ErrorAfter *Period
}

// Period is dbt's {count, period} pair.
type Period struct {
	Count  int
	Period string
}

// Alias is the relation name of the node: alias config, identifier for sources, else the name.
func (n *Node) Alias() string {
	if n.Source != nil {
		return n.Source.Identifier
	}
	if a := n.Config.String("alias"); a != "" {
		return a
	}
	return n.Name
}

// NodesOf returns the nodes of one resource type sorted by unique id.
func (p *Project) NodesOf(resourceType string) []*Node {
	var out []*Node
	for _, n := range p.Nodes {
		if n.ResourceType == resourceType {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UniqueID < out[j].UniqueID })
	return out
}

// ByName finds a model, seed or snapshot by name, as ref() does.
func (p *Project) ByName(name string) *Node {
	for _, rt := range []string{Model, Seed, Snapshot} {
		if n, ok := p.Nodes[rt+"."+p.Name+"."+name]; ok {
			return n
		}
	}
	return nil
}

// SourceTable finds a source table.
func (p *Project) SourceTable(source, table string) *Node {
	return p.Nodes["source."+p.Name+"."+source+"."+table]
}

// LoadError points at the file a problem comes from.
type LoadError struct {
	Path string
	Err  error
}

func (e *LoadError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *LoadError) Unwrap() error { return e.Err }

type projectFile struct {
	Name          string         `yaml:"name"`
	Version       any            `yaml:"version"`
	Profile       string         `yaml:"profile"`
	ModelPaths    []string       `yaml:"model-paths"`
	SourcePaths   []string       `yaml:"source-paths"`
	SeedPaths     []string       `yaml:"seed-paths"`
	DataPaths     []string       `yaml:"data-paths"`
	SnapshotPaths []string       `yaml:"snapshot-paths"`
	MacroPaths    []string       `yaml:"macro-paths"`
	TestPaths     []string       `yaml:"test-paths"`
	Vars          map[string]any `yaml:"vars"`
	Models        map[string]any `yaml:"models"`
	Seeds         map[string]any `yaml:"seeds"`
	Snapshots     map[string]any `yaml:"snapshots"`
	Tests         map[string]any `yaml:"tests"`
	DataTests     map[string]any `yaml:"data_tests"`
}

func orDefault(paths []string, def ...string) []string {
	if len(paths) == 0 {
		return def
	}
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = path.Clean(strings.TrimSuffix(p, "/"))
	}
	return out
}

// Load reads a dbt project from the root of fsys.
func Load(fsys fs.FS) (*Project, error) {
	raw, err := fs.ReadFile(fsys, "dbt_project.yml")
	if err != nil {
		return nil, fmt.Errorf("a dbt project needs dbt_project.yml at its root: %w", err)
	}
	var pf projectFile
	if err := yaml.Unmarshal(raw, &pf); err != nil {
		return nil, &LoadError{Path: "dbt_project.yml", Err: err}
	}
	if pf.Name == "" {
		return nil, &LoadError{Path: "dbt_project.yml", Err: fmt.Errorf("name is required")}
	}
	var settings map[string]any
	_ = yaml.Unmarshal(raw, &settings)
	p := &Project{
		Name: pf.Name, Version: versionString(pf.Version), Profile: pf.Profile, Vars: pf.Vars,
		Nodes: map[string]*Node{}, Settings: settings, Files: map[string][]byte{},
	}
	if p.Vars == nil {
		p.Vars = map[string]any{}
	}
	// Project-scoped vars ({vars: {project_name: {...}}}) apply to this project.
	if scoped, ok := p.Vars[p.Name].(map[string]any); ok {
		delete(p.Vars, p.Name)
		for k, v := range scoped {
			p.Vars[k] = v
		}
	}
	err = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			base := d.Name()
			if name != "." && (strings.HasPrefix(base, ".") || base == "target" || base == "dbt_packages" || base == "logs") {
				return fs.SkipDir
			}
			return nil
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		p.Files[name] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the project: %w", err)
	}

	l := loader{p: p, pf: pf}
	modelPaths := orDefault(append(pf.ModelPaths, pf.SourcePaths...), "models")
	seedPaths := orDefault(append(pf.SeedPaths, pf.DataPaths...), "seeds")
	snapshotPaths := orDefault(pf.SnapshotPaths, "snapshots")
	macroPaths := orDefault(pf.MacroPaths, "macros")
	testPaths := orDefault(pf.TestPaths, "tests")

	names := make([]string, 0, len(p.Files))
	for n := range p.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	var ymls []string
	for _, name := range names {
		text := string(p.Files[name])
		switch {
		case under(name, macroPaths) && strings.HasSuffix(name, ".sql"):
			p.Macros = append(p.Macros, File{Path: name, Text: text})
		case under(name, snapshotPaths) && strings.HasSuffix(name, ".sql"):
			if err := l.addSnapshots(name, text, snapshotPaths); err != nil {
				return nil, err
			}
		case under(name, modelPaths) && strings.HasSuffix(name, ".sql"):
			l.addNode(Model, name, text, modelPaths, pf.Models)
		case under(name, seedPaths) && strings.HasSuffix(name, ".csv"):
			n := l.addNode(Seed, name, "", seedPaths, pf.Seeds)
			n.Config = Config{"materialized": "seed"}.Merge(n.Config)
			n.SeedCSV = p.Files[name]
		case under(name, testPaths) && strings.HasSuffix(name, ".sql") && genericTestBlock.MatchString(text):
			// tests/generic/*.sql define generic tests ({% test %} blocks): macros, not nodes.
			p.Macros = append(p.Macros, File{Path: name, Text: text})
		case under(name, testPaths) && strings.HasSuffix(name, ".sql"):
			n := l.addNode(Test, name, text, testPaths, firstMap(pf.DataTests, pf.Tests))
			n.Config = Config{"severity": "error"}.Merge(n.Config)
		case strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml"):
			if name != "dbt_project.yml" && (under(name, modelPaths) || under(name, seedPaths) || under(name, snapshotPaths) || under(name, macroPaths) || under(name, testPaths)) {
				ymls = append(ymls, name)
			}
		}
	}
	if l.dupErr != nil {
		return nil, l.dupErr
	}
	for _, name := range ymls {
		if err := l.addProperties(name, p.Files[name], testPaths); err != nil {
			return nil, &LoadError{Path: name, Err: err}
		}
	}
	p.PruneDisabled()
	return p, nil
}

// PruneDisabled drops the nodes whose config says enabled: false, and the tests on them, as
// dbt does. An enabled: that still holds Jinja ("{{ var('x', true) }}") is left for the
// engine, which renders it and calls PruneDisabled again.
func (p *Project) PruneDisabled() {
	for id, n := range p.Nodes {
		if s, ok := n.Config["enabled"].(string); ok && HasJinja(s) {
			continue
		}
		if !n.Config.Enabled() {
			delete(p.Nodes, id)
		}
	}
	for id, n := range p.Nodes {
		if n.Test != nil && n.Test.AttachedID != "" && p.Nodes[n.Test.AttachedID] == nil {
			delete(p.Nodes, id)
		}
	}
}

// HasJinja reports whether a value of YAML holds a Jinja expression or statement.
func HasJinja(s string) bool { return strings.Contains(s, "{{") || strings.Contains(s, "{%") }

var genericTestBlock = regexp.MustCompile(`\{%-?\s*test\s+[A-Za-z_]`)

func firstMap(ms ...map[string]any) map[string]any {
	for _, m := range ms {
		if m != nil {
			return m
		}
	}
	return nil
}

func under(name string, dirs []string) bool {
	for _, d := range dirs {
		if d == "." || strings.HasPrefix(name, d+"/") {
			return true
		}
	}
	return false
}

type loader struct {
	p      *Project
	pf     projectFile
	dupErr error
}

// addNode adds a file-based node with the folder configuration of dbt_project.yml.
func (l *loader) addNode(resourceType, name, text string, roots []string, tree map[string]any) *Node {
	rel := name
	for _, r := range roots {
		if strings.HasPrefix(name, r+"/") {
			rel = strings.TrimPrefix(name, r+"/")
			break
		}
	}
	base := strings.TrimSuffix(path.Base(rel), path.Ext(rel))
	dirs := strings.Split(path.Dir(rel), "/")
	if dirs[0] == "." {
		dirs = nil
	}
	fqn := append(append([]string{l.p.Name}, dirs...), base)
	n := &Node{
		UniqueID: resourceType + "." + l.p.Name + "." + base, ResourceType: resourceType,
		Name: base, Path: name, FQN: fqn, Raw: text,
		Config: folderConfig(tree, fqn),
	}
	if prev, ok := l.p.Nodes[n.UniqueID]; ok && l.dupErr == nil {
		l.dupErr = fmt.Errorf("two %ss are named %s: %s and %s; names must be unique, as in dbt", resourceType, base, prev.Path, name)
	}
	l.p.Nodes[n.UniqueID] = n
	return n
}

// folderConfig walks the dbt_project.yml tree along fqn, letting deeper levels override.
func folderConfig(tree map[string]any, fqn []string) Config {
	cfg := Config{}
	level := tree
	for i, part := range fqn {
		next, ok := level[part].(map[string]any)
		if !ok {
			break
		}
		cfg = cfg.Merge(configKeys(next, i == len(fqn)-1))
		level = next
	}
	return cfg
}

// knownConfigs are keys dbt accepts without the + prefix in dbt_project.yml.
var knownConfigs = []string{"materialized", "schema", "alias", "tags", "enabled", "database",
	"unique_key", "incremental_strategy", "on_schema_change", "column_types", "quote_columns",
	"strategy", "updated_at", "check_cols", "target_schema", "invalidate_hard_deletes", "severity",
	"persist_docs", "full_refresh", "pre-hook", "post-hook", "docs", "meta", "grants", "delimiter"}

func configKeys(level map[string]any, leaf bool) map[string]any {
	out := map[string]any{}
	for k, v := range level {
		if strings.HasPrefix(k, "+") {
			out[k] = v
			continue
		}
		if _, isMap := v.(map[string]any); (!isMap || leaf || k == "column_types" || k == "meta") && slices.Contains(knownConfigs, k) {
			out[k] = v
		}
	}
	return out
}

func versionString(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
