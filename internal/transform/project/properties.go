package project

import (
	"crypto/md5" //nolint:gosec // a short name suffix, as dbt makes, not a security boundary
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

type propertiesFile struct {
	Models    []resourceProps `yaml:"models"`
	Seeds     []resourceProps `yaml:"seeds"`
	Snapshots []resourceProps `yaml:"snapshots"`
	Sources   []sourceProps   `yaml:"sources"`
	UnitTests []yaml.Node     `yaml:"unit_tests"`
}

type resourceProps struct {
	Name        string         `yaml:"name"`
	Description string         `yaml:"description"`
	Config      map[string]any `yaml:"config"`
	Columns     []columnProps  `yaml:"columns"`
	Tests       []yaml.Node    `yaml:"tests"`
	DataTests   []yaml.Node    `yaml:"data_tests"`
	// LatestVersion and Versions are dbt 1.5's model versions.
	LatestVersion any            `yaml:"latest_version"`
	Versions      []versionProps `yaml:"versions"`
}

// versionProps is one entry of a model's versions:. Its columns: are the entry's columns it
// keeps (one include:/exclude: element, all of them without it) and its own; its tests, when
// it has a tests: or data_tests: key, replace the entry's model-level tests.
type versionProps struct {
	V           any                  `yaml:"v"`
	DefinedIn   string               `yaml:"defined_in"`
	Description string               `yaml:"description"`
	Config      map[string]any       `yaml:"config"`
	Columns     []versionColumnProps `yaml:"columns"`
	Tests       *[]yaml.Node         `yaml:"tests"`
	DataTests   *[]yaml.Node         `yaml:"data_tests"`
}

// versionColumnProps is an element of a version's columns:: a column, or include:/exclude:.
type versionColumnProps struct {
	columnProps `yaml:",inline"`
	Include     any      `yaml:"include"`
	Exclude     []string `yaml:"exclude"`
}

type columnProps struct {
	Name        string      `yaml:"name"`
	Description string      `yaml:"description"`
	Tests       []yaml.Node `yaml:"tests"`
	DataTests   []yaml.Node `yaml:"data_tests"`
}

type sourceProps struct {
	Name          string         `yaml:"name"`
	Description   string         `yaml:"description"`
	Schema        string         `yaml:"schema"`
	Database      string         `yaml:"database"`
	LoadedAtField string         `yaml:"loaded_at_field"`
	Freshness     map[string]any `yaml:"freshness"`
	Tables        []struct {
		Name          string         `yaml:"name"`
		Description   string         `yaml:"description"`
		Identifier    string         `yaml:"identifier"`
		LoadedAtField string         `yaml:"loaded_at_field"`
		Freshness     map[string]any `yaml:"freshness"`
		Columns       []columnProps  `yaml:"columns"`
		Tests         []yaml.Node    `yaml:"tests"`
		DataTests     []yaml.Node    `yaml:"data_tests"`
	} `yaml:"tables"`
}

// decodedProperties keeps recently decoded properties files by content: loading a project
// again after an edit (the IDE's case) decodes only the files that changed. What it holds is
// read, never modified, by addProperties.
var decodedProperties struct {
	sync.Mutex
	m map[[sha256.Size]byte]*propertiesFile
}

// maxDecodedProperties bounds decodedProperties; when full it starts again empty.
const maxDecodedProperties = 256

// ForgetDecoded empties the cache of decoded properties files, for a process that loads a
// project once (the CLI): what it holds would only take memory while the project runs.
func ForgetDecoded() {
	decodedProperties.Lock()
	decodedProperties.m = nil
	decodedProperties.Unlock()
}

func decodeProperties(raw []byte) (*propertiesFile, error) {
	key := sha256.Sum256(raw)
	decodedProperties.Lock()
	pf, ok := decodedProperties.m[key]
	decodedProperties.Unlock()
	if ok {
		return pf, nil
	}
	pf = &propertiesFile{}
	if err := yaml.Unmarshal(raw, pf); err != nil {
		return nil, err
	}
	decodedProperties.Lock()
	defer decodedProperties.Unlock()
	if decodedProperties.m == nil || len(decodedProperties.m) >= maxDecodedProperties {
		decodedProperties.m = map[[sha256.Size]byte]*propertiesFile{}
	}
	decodedProperties.m[key] = pf
	return pf, nil
}

func (l *loader) addProperties(name string, raw []byte, testPaths []string) error {
	pf, err := decodeProperties(raw)
	if err != nil {
		return err
	}
	l.addUnitTests(name, pf.UnitTests, testPaths)
	for _, group := range []struct {
		rt    string
		props []resourceProps
	}{{Model, pf.Models}, {Seed, pf.Seeds}, {Snapshot, pf.Snapshots}} {
		for _, rp := range group.props {
			if group.rt == Model && len(rp.Versions) > 0 {
				versioned, err := l.addVersions(name, rp)
				if err != nil {
					return err
				}
				if versioned {
					continue
				}
			}
			n := l.p.Nodes[group.rt+"."+l.pkg+"."+rp.Name]
			if n == nil {
				// dbt warns and goes on: a stale entry must not stop the project.
				l.p.Warnings = append(l.p.Warnings, fmt.Sprintf("%s: %s %q is described but there is no such %s", name, group.rt, rp.Name, group.rt))
				continue
			}
			n.Description = rp.Description
			// Properties sit between the folder config and config() in the file: the engine
			// applies config() after this, so a file's own call still wins.
			n.Config = n.Config.Merge(rp.Config)
			ref := l.refCall(rp.Name)
			for _, c := range rp.Columns {
				n.Columns = append(n.Columns, Column{Name: c.Name, Description: c.Description})
				for _, t := range slices.Concat(c.Tests, c.DataTests) {
					if err := l.addGenericTest(name, t, ref, n, c.Name); err != nil {
						return err
					}
				}
			}
			for _, t := range slices.Concat(rp.Tests, rp.DataTests) {
				if err := l.addGenericTest(name, t, ref, n, ""); err != nil {
					return err
				}
			}
		}
	}
	for _, sp := range pf.Sources {
		for _, tp := range sp.Tables {
			ident := tp.Identifier
			if ident == "" {
				ident = tp.Name
			}
			schema := sp.Schema
			if schema == "" {
				schema = sp.Name
			}
			loadedAt := tp.LoadedAtField
			if loadedAt == "" {
				loadedAt = sp.LoadedAtField
			}
			fresh := parseFreshness(sp.Freshness)
			if tp.Freshness != nil {
				fresh = parseFreshness(tp.Freshness)
			}
			n := &Node{
				UniqueID: "source." + l.pkg + "." + sp.Name + "." + tp.Name, ResourceType: Source,
				Name: tp.Name, Package: l.pkg, Path: name, FQN: []string{l.pkg, sp.Name, tp.Name},
				Description: tp.Description, Config: Config{},
				Source: &SourceSpec{SourceName: sp.Name, Schema: schema, Database: sp.Database,
					Identifier: ident, LoadedAtField: loadedAt, Freshness: fresh},
			}
			l.p.Nodes[n.UniqueID] = n
			ref := fmt.Sprintf("source('%s', '%s')", sp.Name, tp.Name)
			for _, c := range tp.Columns {
				n.Columns = append(n.Columns, Column{Name: c.Name, Description: c.Description})
				for _, t := range slices.Concat(c.Tests, c.DataTests) {
					if err := l.addGenericTest(name, t, ref, n, c.Name); err != nil {
						return err
					}
				}
			}
			for _, t := range slices.Concat(tp.Tests, tp.DataTests) {
				if err := l.addGenericTest(name, t, ref, n, ""); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// addVersions makes the files of a versioned model (<name>_v<v>.sql, or defined_in:) its
// versions: one node each, model.<package>.<name>.v<v>, its relation <name>_v<v> unless an
// alias is configured. ref('<name>') is the latest version (latest_version:, else the
// highest); ref('<name>', v=1) one of them. As dbt does, every version gets the entry's
// description and config under its own, the entry's columns it includes with its own columns,
// and the tests of those columns and the entry's model tests (or its own), each test named
// by its version and reading ref('<name>', version='<v>'). It reports false when no version
// has a file, so the entry describes a model of that name if there is one.
func (l *loader) addVersions(file string, rp resourceProps) (bool, error) {
	mv := &ModelVersions{IDs: map[string]string{}}
	highest := ""
	found := make([]*Node, len(rp.Versions))
	for i, v := range rp.Versions {
		ver := fmt.Sprint(v.V)
		if v.V == nil || ver == "" {
			return false, &LoadError{Path: file, Err: fmt.Errorf("model %s: every entry of versions: needs its v", rp.Name)}
		}
		defined := v.DefinedIn
		if defined == "" {
			defined = rp.Name + "_v" + ver
		}
		n := l.p.Nodes[Model+"."+l.pkg+"."+defined]
		if n == nil {
			l.p.Warnings = append(l.p.Warnings, fmt.Sprintf("%s: version %s of model %q: there is no model %s", file, ver, rp.Name, defined))
			continue
		}
		delete(l.p.Nodes, n.UniqueID)
		n.UniqueID = Model + "." + l.pkg + "." + rp.Name + ".v" + ver
		n.Name = rp.Name
		n.Version = ver
		n.FQN = append(append(n.FQN[:len(n.FQN)-1:len(n.FQN)-1], rp.Name), "v"+ver)
		if n.Config.String("alias") == "" {
			n.Config = n.Config.Merge(map[string]any{"alias": defined})
		}
		// Properties sit between the folder config and config() in the file; the version's
		// own config over the entry's.
		n.Config = n.Config.Merge(rp.Config).Merge(v.Config)
		n.Description = rp.Description
		if v.Description != "" {
			n.Description = v.Description
		}
		l.p.Nodes[n.UniqueID] = n
		mv.IDs[ver] = n.UniqueID
		found[i] = n
		if highest == "" || versionLess(highest, ver) {
			highest = ver
		}
	}
	if len(mv.IDs) == 0 {
		return false, nil
	}
	mv.Latest = highest
	if rp.LatestVersion != nil {
		mv.Latest = fmt.Sprint(rp.LatestVersion)
	}
	if mv.IDs[mv.Latest] == "" {
		return true, &LoadError{Path: file, Err: fmt.Errorf("model %s: latest_version %s is not one of its versions", rp.Name, mv.Latest)}
	}
	if l.p.Versions == nil {
		l.p.Versions = map[string]*ModelVersions{}
	}
	l.p.Versions[l.pkg+"."+rp.Name] = mv
	for i, n := range found {
		if n == nil {
			continue
		}
		if err := l.addVersionColumnsAndTests(file, rp, &rp.Versions[i], n); err != nil {
			return true, err
		}
	}
	return true, nil
}

// addVersionColumnsAndTests gives one version its columns and their tests, and the model
// tests: the version's own when it lists any (an empty list means none), else the entry's.
func (l *loader) addVersionColumnsAndTests(file string, rp resourceProps, v *versionProps, n *Node) error {
	var filter *versionColumnProps
	own := make([]columnProps, 0, len(v.Columns))
	for i := range v.Columns {
		c := &v.Columns[i]
		if c.Include != nil || c.Exclude != nil {
			if filter != nil {
				return &LoadError{Path: file, Err: fmt.Errorf("model %s version %s: columns: holds at most one include/exclude element", rp.Name, n.Version)}
			}
			filter = c
			continue
		}
		if c.Name == "" {
			return &LoadError{Path: file, Err: fmt.Errorf("model %s version %s: each of its columns needs a name (or is an include/exclude element)", rp.Name, n.Version)}
		}
		own = append(own, c.columnProps)
	}
	includes, err := columnFilter(filter)
	if err != nil {
		return &LoadError{Path: file, Err: fmt.Errorf("model %s version %s: %w", rp.Name, n.Version, err)}
	}
	ref := l.versionRefCall(rp.Name, n.Version)
	addColumn := func(c columnProps) error {
		// A version's own column of an included column's name describes it anew; the tests of
		// both run, as in dbt.
		if i := slices.IndexFunc(n.Columns, func(x Column) bool { return x.Name == c.Name }); i >= 0 {
			n.Columns[i].Description = c.Description
		} else {
			n.Columns = append(n.Columns, Column{Name: c.Name, Description: c.Description})
		}
		for _, t := range slices.Concat(c.Tests, c.DataTests) {
			if err := l.addGenericTest(file, t, ref, n, c.Name); err != nil {
				return err
			}
		}
		return nil
	}
	for _, c := range rp.Columns {
		if includes(c.Name) {
			if err := addColumn(c); err != nil {
				return err
			}
		}
	}
	for _, c := range own {
		if err := addColumn(c); err != nil {
			return err
		}
	}
	tests := slices.Concat(rp.Tests, rp.DataTests)
	if v.Tests != nil || v.DataTests != nil {
		tests = nil
		for _, list := range []*[]yaml.Node{v.Tests, v.DataTests} {
			if list != nil {
				tests = append(tests, *list...)
			}
		}
	}
	for _, t := range tests {
		if err := l.addGenericTest(file, t, ref, n, ""); err != nil {
			return err
		}
	}
	return nil
}

// columnFilter reads a version's include:/exclude: element: include: is all, * or a list of
// the entry's columns, exclude: (only beside all) the ones left out. Without the element every
// column is included; an element with exclude: only includes the rest.
func columnFilter(f *versionColumnProps) (func(string) bool, error) {
	if f == nil {
		return func(string) bool { return true }, nil
	}
	all := true
	var list []string
	switch in := f.Include.(type) {
	case nil:
	case string:
		if in != "all" && in != "*" {
			return nil, fmt.Errorf("include: must be all, * or a list of column names, not %q", in)
		}
	case []any:
		all = false
		for _, c := range in {
			list = append(list, fmt.Sprint(c))
		}
	default:
		return nil, fmt.Errorf("include: must be all, * or a list of column names, not %v", in)
	}
	if !all && len(f.Exclude) > 0 {
		return nil, fmt.Errorf("exclude only with include: all (or *), not beside a list")
	}
	return func(name string) bool {
		return (all || slices.Contains(list, name)) && !slices.Contains(f.Exclude, name)
	}, nil
}

// refCall is how a test of this tree names the model it tests: ref('x') in the root project,
// ref('pkg', 'x') in a package, so it finds the package's own model.
func (l *loader) refCall(name string) string {
	if l.pkg == l.p.Name {
		return fmt.Sprintf("ref('%s')", name)
	}
	return fmt.Sprintf("ref('%s', '%s')", l.pkg, name)
}

// versionRefCall is refCall for one version of a versioned model, written as dbt writes a
// version's test: ref('x', version='2').
func (l *loader) versionRefCall(name, version string) string {
	v := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(version)
	if l.pkg == l.p.Name {
		return fmt.Sprintf("ref('%s', version='%s')", name, v)
	}
	return fmt.Sprintf("ref('%s', '%s', version='%s')", l.pkg, name, v)
}

// versionLess orders versions as numbers when both are, else as text.
func versionLess(a, b string) bool {
	fa, ea := strconv.ParseFloat(a, 64)
	fb, eb := strconv.ParseFloat(b, 64)
	if ea == nil && eb == nil {
		return fa < fb
	}
	return a < b
}

func parseFreshness(m map[string]any) *Freshness {
	if m == nil {
		return nil
	}
	period := func(v any) *Period {
		pm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		c, _ := pm["count"].(int)
		s, _ := pm["period"].(string)
		if c <= 0 || s == "" {
			return nil
		}
		return &Period{Count: c, Period: s}
	}
	return &Freshness{WarnAfter: period(m["warn_after"]), ErrorAfter: period(m["error_after"])}
}

var nonWord = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// addGenericTest turns one entry of a tests: list into a test node named as dbt names it; the
// node keeps the entry's line, so its errors point at it.
func (l *loader) addGenericTest(file string, entry yaml.Node, attached string, on *Node, column string) error {
	var def any
	if err := entry.Decode(&def); err != nil {
		return fmt.Errorf("line %d: %w", entry.Line, err)
	}
	var testName, customName string
	kwargs := map[string]any{}
	cfg := Config{"severity": "error"}
	var args map[string]any
	switch d := def.(type) {
	case string:
		testName = d
	case map[string]any:
		if n, ok := d["test_name"].(string); ok {
			// The alternative format: test_name: is the test, the other keys are as below.
			testName, args = n, d
			break
		}
		if len(d) != 1 {
			return fmt.Errorf("a test on %s must be a name or a one-key map, not %v", on.Name, d)
		}
		for k, v := range d {
			testName = k
			args, _ = v.(map[string]any)
		}
	default:
		return fmt.Errorf("a test on %s must be a name or a map, not %T", on.Name, def)
	}
	for ak, av := range args {
		switch ak {
		case "test_name", "description":
		case "name":
			// dbt ≥ 1.5: the test's own name, never an argument of its macro.
			customName = fmt.Sprint(av)
		case "config":
			if c, ok := av.(map[string]any); ok {
				cfg = cfg.Merge(c)
			}
		case "arguments":
			// dbt 1.10: the macro's arguments under arguments:.
			if c, ok := av.(map[string]any); ok {
				for k2, v2 := range c {
					kwargs[k2] = v2
				}
			}
		case "severity", "where", "tags", "enabled", "warn_if", "error_if", "limit", "store_failures":
			cfg = cfg.Merge(map[string]any{ak: av})
		default:
			kwargs[ak] = av
		}
	}
	short := testName
	if i := strings.LastIndex(short, "."); i >= 0 {
		short = short[i+1:]
	}
	// Named as dbt names them: test_model_column, then the arguments' values after "__".
	parts := []string{short}
	if on.Source != nil {
		parts = append(parts, "source", on.Source.SourceName)
	}
	parts = append(parts, on.Name)
	if on.Version != "" {
		// dbt names a version's tests by it: unique_orders_v2_id.
		parts = append(parts, "v"+on.Version)
	}
	if column != "" {
		parts = append(parts, column)
	}
	base := strings.Join(parts, "_")
	keys := make([]string, 0, len(kwargs))
	for k := range kwargs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var argParts []string
	for _, k := range keys {
		if list, ok := kwargs[k].([]any); ok {
			for _, e := range list {
				argParts = append(argParts, nonWord.ReplaceAllString(fmt.Sprint(e), "_"))
			}
			continue
		}
		argParts = append(argParts, nonWord.ReplaceAllString(fmt.Sprint(kwargs[k]), "_"))
	}
	name := nonWord.ReplaceAllString(base, "_")
	if len(argParts) > 0 {
		name += "__" + strings.Join(argParts, "__")
	}
	if customName != "" {
		name = nonWord.ReplaceAllString(customName, "_")
	} else if len(name) > 64 {
		sum := md5.Sum([]byte(name)) //nolint:gosec // naming only
		name = name[:50] + "_" + hex.EncodeToString(sum[:])[:10]
	}
	id := "test." + l.pkg + "." + name
	for i := 2; l.p.Nodes[id] != nil; i++ {
		id = fmt.Sprintf("test.%s.%s_%d", l.pkg, name, i)
	}
	n := &Node{
		UniqueID: id, ResourceType: Test, Name: strings.TrimPrefix(id, "test."+l.pkg+"."),
		Package: l.pkg, Path: file, Line: entry.Line, FQN: []string{l.pkg, name},
		Config: l.treeConfig(Test, []string{l.pkg}).Merge(cfg),
		Test:   &TestSpec{Name: testName, Attached: attached, AttachedID: on.UniqueID, Column: column, Kwargs: kwargs},
	}
	// A test inherits its model's tags, so tag: selectors pick a model's tests too.
	n.Config = n.Config.Merge(map[string]any{"tags": on.Config.Strings("tags")})
	l.p.Nodes[id] = n
	return nil
}

var snapshotBlock = regexp.MustCompile(`(?s)\{%-?\s*snapshot\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}(.*?)\{%-?\s*endsnapshot\s*-?%\}`)

// addSnapshots reads the {% snapshot name %} blocks of a file; each is a node.
func (l *loader) addSnapshots(name, text string, roots []string) error {
	blocks := snapshotBlock.FindAllStringSubmatchIndex(text, -1)
	if len(blocks) == 0 {
		return &LoadError{Path: l.prefix + name, Err: fmt.Errorf("no {%% snapshot name %%} … {%% endsnapshot %%} block")}
	}
	for _, b := range blocks {
		snapName := text[b[2]:b[3]]
		// Keep the body at its own line so template errors point at the right line of the file.
		body := strings.Repeat("\n", strings.Count(text[:b[4]], "\n")) + text[b[4]:b[5]]
		n := l.addNode(Snapshot, name, body, roots)
		if n.Name != snapName {
			delete(l.p.Nodes, n.UniqueID)
			n.Name = snapName
			n.UniqueID = Snapshot + "." + l.pkg + "." + snapName
			n.FQN[len(n.FQN)-1] = snapName
			n.Config = l.treeConfig(Snapshot, n.FQN)
			l.p.Nodes[n.UniqueID] = n
		}
		n.Config = Config{"materialized": "snapshot"}.Merge(n.Config)
	}
	return nil
}
