package project

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
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
	// Versions are the versioned models (dbt 1.5 versions:), by "<package>.<name>".
	Versions map[string]*ModelVersions
	// Macros are the sources of every macro file, by path, in a stable order.
	Macros []File
	// Settings is dbt_project.yml as read, kept so export writes it back unchanged.
	Settings map[string]any
	// Files holds every file of the project by path, so export is a lossless round trip.
	Files map[string][]byte
	// Warnings are problems dbt warns about and goes on: a properties entry for a model
	// that does not exist. Each names its file.
	Warnings []string
	// Packages are the packages the project depends on that are installed (dbt_packages/)
	// or declared local:, loaded with their macros and nodes; sorted by name.
	Packages []*Package
	// Dependencies are the packages packages.yml or dependencies.yml declares.
	Dependencies []Dependency
	// Dispatch is dbt_project.yml's dispatch: the search order of each macro namespace.
	Dispatch map[string][]string
}

// File is one source file of the project.
type File struct {
	Path string
	Text string
	// Package is the project or package the file belongs to: its macros' namespace.
	Package string
}

// Node is one model, seed, snapshot, test or source table.
type Node struct {
	UniqueID     string
	ResourceType string
	Name         string
	// Version is a versioned model's version (dbt 1.5 versions:), "" for others.
	Version string
	// Package is the project or installed package the node belongs to (dbt's package_name).
	Package string
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
	// CompiledName is dbt's short name of a generic test: its compiled file's (and its
	// relation's, unless configured) — the name, or a hashed one when that is too long.
	CompiledName string
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

// ByName finds a model, seed or snapshot by name, as ref() does in the root project.
func (p *Project) ByName(name string) *Node { return p.Ref(p.Name, "", name) }

// Ref finds what ref() names from a node of package from: ref('pkg', 'name') looks in that
// package only; ref('name') looks in from's own package, then the root project, then the
// other packages, as dbt does.
func (p *Project) Ref(from, pkg, name string) *Node {
	name, version, versioned := strings.Cut(name, VersionSep)
	for _, candidate := range p.searchOrder(from, pkg) {
		if mv := p.Versions[candidate+"."+name]; mv != nil {
			if !versioned {
				version = mv.Latest
			}
			if id, ok := mv.IDs[version]; ok {
				return p.Nodes[id]
			}
			return nil
		}
		if versioned {
			continue
		}
		for _, rt := range []string{Model, Seed, Snapshot} {
			if n, ok := p.Nodes[rt+"."+candidate+"."+name]; ok {
				return n
			}
		}
	}
	return nil
}

// VersionSep joins a model's name and the version a ref() asks for ("orders" + VersionSep +
// "2"), as Ref reads them.
const VersionSep = "\x00v"

// ModelVersions are the versions of one model: their unique ids by version, and the one a
// ref() without v= means.
type ModelVersions struct {
	Latest string
	IDs    map[string]string
}

// SourceTable finds a source table as the root project sees it.
func (p *Project) SourceTable(source, table string) *Node { return p.Source(p.Name, source, table) }

// Source finds a source table from a node of package from: its own package's sources first,
// then the root project's, then the other packages'.
func (p *Project) Source(from, source, table string) *Node {
	for _, candidate := range p.searchOrder(from, "") {
		if n, ok := p.Nodes["source."+candidate+"."+source+"."+table]; ok {
			return n
		}
	}
	return nil
}

func (p *Project) searchOrder(from, pkg string) []string {
	if pkg != "" {
		return []string{pkg}
	}
	order := []string{from}
	if from != p.Name {
		order = append(order, p.Name)
	}
	for _, pk := range p.Packages {
		if pk.Name != from {
			order = append(order, pk.Name)
		}
	}
	return order
}

// LoadError points at the file a problem comes from.
type LoadError struct {
	Path string
	Err  error
}

func (e *LoadError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *LoadError) Unwrap() error { return e.Err }

type projectFile struct {
	Name          string   `yaml:"name"`
	Version       any      `yaml:"version"`
	Profile       string   `yaml:"profile"`
	ModelPaths    []string `yaml:"model-paths"`
	SourcePaths   []string `yaml:"source-paths"`
	SeedPaths     []string `yaml:"seed-paths"`
	DataPaths     []string `yaml:"data-paths"`
	SnapshotPaths []string `yaml:"snapshot-paths"`
	MacroPaths    []string `yaml:"macro-paths"`
	TestPaths     []string `yaml:"test-paths"`
	InstallPath   string   `yaml:"packages-install-path"`
	ModulesPath   string   `yaml:"modules-path"`
	Dispatch      []struct {
		MacroNamespace string   `yaml:"macro_namespace"`
		SearchOrder    []string `yaml:"search_order"`
	} `yaml:"dispatch"`
	Vars      map[string]any `yaml:"vars"`
	Models    map[string]any `yaml:"models"`
	Seeds     map[string]any `yaml:"seeds"`
	Snapshots map[string]any `yaml:"snapshots"`
	Tests     map[string]any `yaml:"tests"`
	DataTests map[string]any `yaml:"data_tests"`
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

// Load reads a dbt project from the root of fsys, with the packages installed in its
// dbt_packages/ directory and the local: packages inside it.
func Load(fsys fs.FS) (*Project, error) { return LoadWith(fsys, nil) }

// LoadDir reads the project in dir; local: packages may also lie outside it (../shared).
func LoadDir(dir string) (*Project, error) {
	return LoadWith(os.DirFS(dir), func(rel string) (fs.FS, error) {
		full := rel
		if !filepath.IsAbs(rel) {
			full = filepath.Join(dir, filepath.FromSlash(rel))
		}
		return os.DirFS(full), nil
	})
}

// LoadWith is Load; outside, when not nil, opens the local: packages whose path leaves the
// project (an absolute path or one starting with ..).
func LoadWith(fsys fs.FS, outside func(path string) (fs.FS, error)) (*Project, error) {
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
		Dispatch: map[string][]string{},
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
	for _, d := range pf.Dispatch {
		if d.MacroNamespace != "" {
			p.Dispatch[d.MacroNamespace] = d.SearchOrder
		}
	}
	installPath := pf.installPath()
	files, err := readTree(fsys, installPath)
	if err != nil {
		return nil, fmt.Errorf("read the project: %w", err)
	}
	for name, b := range files {
		p.Files[name] = b
	}
	l := loader{p: p, pf: pf, root: pf, pkg: p.Name}
	if err := l.loadTree(files); err != nil {
		return nil, err
	}
	if err := p.loadPackages(fsys, pf, installPath, outside); err != nil {
		return nil, err
	}
	p.PruneDisabled()
	return p, nil
}

// readTree reads every file of a project tree but its build output, hidden folders and
// installed packages.
func readTree(fsys fs.FS, installPath string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			base := d.Name()
			if name != "." && (strings.HasPrefix(base, ".") || base == "target" || base == "dbt_packages" || base == "logs" || name == installPath) {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		files[name] = b
		return nil
	})
	return files, err
}

// loadTree classifies the files of the root project or of one package (names relative to its
// own root) into macros, nodes and properties, as its dbt_project.yml lays them out.
func (l *loader) loadTree(files map[string][]byte) error {
	p, pf := l.p, l.pf
	modelPaths := orDefault(append(pf.ModelPaths, pf.SourcePaths...), "models")
	seedPaths := orDefault(append(pf.SeedPaths, pf.DataPaths...), "seeds")
	snapshotPaths := orDefault(pf.SnapshotPaths, "snapshots")
	macroPaths := orDefault(pf.MacroPaths, "macros")
	testPaths := orDefault(pf.TestPaths, "tests")

	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var ymls []string
	for _, name := range names {
		text := string(files[name])
		full := l.prefix + name
		switch {
		case under(name, macroPaths) && strings.HasSuffix(name, ".sql"):
			p.Macros = append(p.Macros, File{Path: full, Text: text, Package: l.pkg})
		case under(name, snapshotPaths) && strings.HasSuffix(name, ".sql"):
			if err := l.addSnapshots(name, text, snapshotPaths); err != nil {
				return err
			}
		case under(name, modelPaths) && strings.HasSuffix(name, ".sql"):
			l.addNode(Model, name, text, modelPaths)
		case under(name, seedPaths) && strings.HasSuffix(name, ".csv"):
			n := l.addNode(Seed, name, "", seedPaths)
			n.Config = Config{"materialized": "seed"}.Merge(n.Config)
			n.SeedCSV = files[name]
		case under(name, testPaths) && strings.HasSuffix(name, ".sql") && genericTestBlock.MatchString(text):
			// tests/generic/*.sql define generic tests ({% test %} blocks): macros, not nodes.
			p.Macros = append(p.Macros, File{Path: full, Text: text, Package: l.pkg})
		case under(name, testPaths) && strings.HasSuffix(name, ".sql"):
			n := l.addNode(Test, name, text, testPaths)
			n.Config = Config{"severity": "error"}.Merge(n.Config)
		case strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml"):
			if name != "dbt_project.yml" && (under(name, modelPaths) || under(name, seedPaths) || under(name, snapshotPaths) || under(name, macroPaths) || under(name, testPaths)) {
				ymls = append(ymls, name)
			}
		}
	}
	if l.dupErr != nil {
		return l.dupErr
	}
	for _, name := range ymls {
		if err := l.addProperties(l.prefix+name, files[name], testPaths); err != nil {
			return &LoadError{Path: l.prefix + name, Err: err}
		}
	}
	return nil
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
	p *Project
	// pf is the dbt_project.yml of the tree being loaded, root the root project's (whose
	// configs of a package's nodes override the package's own).
	pf, root projectFile
	// pkg is the name of the project or package being loaded; prefix is where its files
	// are, relative to the root project ("" or "dbt_packages/<dir>/").
	pkg, prefix string
	dupErr      error
}

// treeConfig is a node's configuration from dbt_project.yml: its own project's, then, for a
// package's node, the root project's, which wins.
func (l *loader) treeConfig(resourceType string, fqn []string) Config {
	cfg := folderConfig(l.pf.tree(resourceType), fqn)
	if l.pkg != l.p.Name {
		cfg = cfg.Merge(folderConfig(l.root.tree(resourceType), fqn))
	}
	return cfg
}

func (pf projectFile) tree(resourceType string) map[string]any {
	switch resourceType {
	case Model:
		return pf.Models
	case Seed:
		return pf.Seeds
	case Snapshot:
		return pf.Snapshots
	case Test:
		return firstMap(pf.DataTests, pf.Tests)
	}
	return nil
}

// addNode adds a file-based node with the folder configuration of dbt_project.yml.
func (l *loader) addNode(resourceType, name, text string, roots []string) *Node {
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
	fqn := append(append([]string{l.pkg}, dirs...), base)
	n := &Node{
		UniqueID: resourceType + "." + l.pkg + "." + base, ResourceType: resourceType,
		Name: base, Package: l.pkg, Path: l.prefix + name, FQN: fqn, Raw: text,
		Config: l.treeConfig(resourceType, fqn),
	}
	if prev, ok := l.p.Nodes[n.UniqueID]; ok && l.dupErr == nil {
		l.dupErr = fmt.Errorf("two %ss are named %s: %s and %s; names must be unique, as in dbt", resourceType, base, prev.Path, n.Path)
	}
	l.p.Nodes[n.UniqueID] = n
	return n
}

// folderConfig walks the dbt_project.yml tree along fqn, letting deeper levels override.
func folderConfig(tree map[string]any, fqn []string) Config {
	// `seeds: {+quote_columns: false}` — a config right under the resource type applies to
	// every node of it, every package's included.
	cfg := Config{}.Merge(plusKeys(tree))
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

// plusKeys are the +config keys of a level (only + keys: a bare name there is a project).
func plusKeys(level map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range level {
		if strings.HasPrefix(k, "+") {
			out[k] = v
		}
	}
	return out
}

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
