package project

import (
	"crypto/sha256"
	"fmt"
	"regexp"
	"slices"
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

// testConfigArgs are the keys of a test entry dbt reads as its config, never as arguments of
// its macro (dbt-core's TestBuilder.CONFIG_ARGS).
var testConfigArgs = map[string]bool{"severity": true, "tags": true, "enabled": true, "where": true,
	"limit": true, "warn_if": true, "error_if": true, "fail_calc": true, "store_failures": true,
	"store_failures_as": true, "sql_header": true, "meta": true, "database": true, "schema": true, "alias": true}

// addGenericTest turns one entry of a tests: list into a test node named as dbt names it
// (testnames.go); the node keeps the entry's line, so its errors point at it.
func (l *loader) addGenericTest(file string, entry yaml.Node, attached string, on *Node, column string) error {
	var def any
	if err := entry.Decode(&def); err != nil {
		return fmt.Errorf("line %d: %w", entry.Line, err)
	}
	var testName string
	var args map[string]any
	// argsNode is the mapping the arguments were read from, for the order of their maps.
	var argsNode *yaml.Node
	ent := deref(&entry)
	switch d := def.(type) {
	case string:
		testName = d
	case map[string]any:
		if n, ok := d["test_name"].(string); ok {
			// The alternative format: test_name: is the test, the other keys are as below.
			testName, args, argsNode = n, d, ent
			break
		}
		if len(d) != 1 {
			return fmt.Errorf("a test on %s must be a name or a one-key map, not %v", on.Name, d)
		}
		for k, v := range d {
			testName = k
			args, _ = v.(map[string]any)
		}
		if ent.Kind == yaml.MappingNode && len(ent.Content) == 2 {
			argsNode = ent.Content[1]
		}
	default:
		return fmt.Errorf("a test on %s must be a name or a map, not %T", on.Name, def)
	}
	// nodes are the YAML nodes of the arguments whose order a name reads (maps, lists).
	var nodes map[string]*yaml.Node
	note := func(k string, v any, parent *yaml.Node) {
		switch v.(type) {
		case map[string]any, []any:
			if nodes == nil {
				nodes = map[string]*yaml.Node{}
			}
			nodes[k] = mapValueNode(parent, k)
		}
	}
	merged := args
	if c, ok := args["arguments"].(map[string]any); ok {
		// dbt 1.10: the macro's arguments under arguments:, over the entry's other keys.
		merged = make(map[string]any, len(args)+len(c))
		for k, v := range args {
			if k != "arguments" {
				merged[k] = v
				note(k, v, argsNode)
			}
		}
		an := mapValueNode(argsNode, "arguments")
		for k, v := range c {
			merged[k] = v
			note(k, v, an)
		}
	} else {
		for k, v := range args {
			note(k, v, argsNode)
		}
	}
	var customName string
	hasName := false
	kwargs := map[string]any{}
	cfg := Config{"severity": "error"}
	var own Config
	for ak, av := range merged {
		switch {
		case ak == "test_name" || ak == "description" || ak == "arguments":
		case ak == "name":
			// dbt ≥ 1.5: the test's own name, never an argument of its macro.
			customName, hasName = fmt.Sprint(av), true
		case ak == "config":
			if c, ok := av.(map[string]any); ok {
				own = own.Merge(c)
			}
		case testConfigArgs[ak]:
			if av != nil {
				own = own.Merge(map[string]any{ak: av})
			}
		default:
			kwargs[ak] = av
		}
	}
	short, namespace := testName, ""
	if i := strings.LastIndex(short, "."); i >= 0 {
		short, namespace = short[i+1:], short[:i]
	}
	testType, target := short, on.Name
	if on.Source != nil {
		testType, target = "source_"+short, on.Source.SourceName+"_"+on.Name
	} else if on.Version != "" {
		// dbt names a version's tests by it: unique_orders_v2_id.
		target = on.Name + "_v" + on.Version
	}
	if namespace != "" {
		testType = namespace + "_" + testType
	}
	// The arguments dbt names and hashes a test by: the macro's, its column, its model.
	named := testArgs{vals: kwargs, nodes: nodes, column: column,
		model: "{{ get_where_subquery(" + dbtModelArg(on) + ") }}"}
	compiled, name := customName, customName
	if !hasName {
		compiled, name = synthesizeTestNames(testType, target, named)
		if compiled != name && own.String("alias") == "" {
			// dbt: the hashed short name is the relation's when the full one is too long.
			own = own.Merge(map[string]any{"alias": compiled})
		}
	}
	cfg = cfg.Merge(own)
	hash := testHash(name, short, namespace, named)
	id := "test." + l.pkg + "." + name + "." + hash
	for i := 2; l.p.Nodes[id] != nil; i++ {
		// Tests dbt would refuse as duplicates (the same test, arguments and name): kept, apart.
		id = fmt.Sprintf("test.%s.%s.%s_%d", l.pkg, name, hash, i)
	}
	fqn := make([]string, 1, 3)
	fqn[0] = l.pkg
	if rel := strings.TrimPrefix(file, l.prefix); strings.Count(rel, "/") > 1 {
		// The properties file's folders below its resource path, as a model's.
		dirs := strings.Split(rel, "/")
		fqn = append(fqn, dirs[1:len(dirs)-1]...)
	}
	fqn = append(fqn, name)
	n := &Node{
		UniqueID: id, ResourceType: Test, Name: name,
		Package: l.pkg, Path: file, Line: entry.Line, FQN: fqn,
		Config: l.treeConfig(Test, fqn).Merge(cfg),
		Test: &TestSpec{Name: testName, Attached: attached, AttachedID: on.UniqueID, Column: column,
			Kwargs: kwargs, CompiledName: compiled},
	}
	// A test inherits its model's tags, so tag: selectors pick a model's tests too.
	n.Config = n.Config.Merge(map[string]any{"tags": on.Config.Strings("tags")})
	l.p.Nodes[id] = n
	return nil
}

// dbtModelArg is how dbt writes the tested relation in a test's model argument (which its
// unique id hashes): ref('x'), ref('x', version='2') or source('s', 't'), never with a package.
func dbtModelArg(on *Node) string {
	switch {
	case on.Source != nil:
		return "source('" + on.Source.SourceName + "', '" + on.Name + "')"
	case on.Version != "":
		return "ref('" + on.Name + "', version='" + on.Version + "')"
	}
	return "ref('" + on.Name + "')"
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
