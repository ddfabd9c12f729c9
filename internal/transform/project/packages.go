package project

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DefaultInstallPath is where dbt deps installs packages, relative to the project root.
const DefaultInstallPath = "dbt_packages"

// Package is a dbt package the project depends on, loaded with its own macros, nodes, vars and
// configs: its macros are callable as <name>.macro(), its models and seeds are nodes of the
// graph whose package is <name>.
type Package struct {
	// Name is the package's dbt_project.yml name.
	Name    string
	Version string
	// Dir is where its files are, relative to the project root (dbt_packages/dbt_utils), or the
	// local: path it was declared with.
	Dir string
	// Vars are its own dbt_project.yml vars for itself: the global ones and those scoped to
	// its name. The root project's vars override them (see VarsFor).
	Vars map[string]any
	// OnRunStart and OnRunEnd are its dbt_project.yml's hooks: dbt runs every package's
	// hooks, packages in name order, before the root project's.
	OnRunStart, OnRunEnd []string
}

// Dependency is one entry of packages.yml or dependencies.yml.
type Dependency struct {
	// Package is a hub package, org/name (dbt-labs/dbt_utils); Version its range, one or
	// more constraints (">=1.0.0", "<2.0.0"), all of which must hold.
	Package           string
	Version           []string
	InstallPrerelease bool
	// Git is a git repository URL; Revision a tag, branch or commit; Subdirectory where in
	// the repository the package lies.
	Git          string
	Revision     string
	Subdirectory string
	// Local is a path relative to the project (or absolute).
	Local string
	// Tarball is a URL of a .tar.gz; Name names the package it holds.
	Tarball string
	Name    string
}

// String is how errors and logs name the dependency.
func (d Dependency) String() string {
	switch {
	case d.Package != "":
		return d.Package
	case d.Git != "":
		s := RedactURL(d.Git)
		if d.Revision != "" {
			s += "@" + d.Revision
		}
		if d.Subdirectory != "" {
			s += "/" + d.Subdirectory
		}
		return s
	case d.Local != "":
		return "local:" + d.Local
	}
	return d.Tarball
}

type dependencyEntry struct {
	Package           string    `yaml:"package"`
	Version           yaml.Node `yaml:"version"`
	InstallPrerelease bool      `yaml:"install-prerelease"`
	Git               string    `yaml:"git"`
	Revision          yaml.Node `yaml:"revision"`
	Subdirectory      string    `yaml:"subdirectory"`
	Local             string    `yaml:"local"`
	Tarball           string    `yaml:"tarball"`
	Name              string    `yaml:"name"`
}

// scalars reads a YAML scalar or list of scalars as written (version: 1.0 stays "1.0").
func scalars(n yaml.Node) []string {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" || n.Value == "" {
			return nil
		}
		return []string{n.Value}
	case yaml.SequenceNode:
		var out []string
		for _, c := range n.Content {
			out = append(out, scalars(*c)...)
		}
		return out
	}
	return nil
}

// ReadDependencies reads the packages the project declares: packages.yml, else
// dependencies.yml (dbt ≥ 1.6), each a packages: list. Neither file is no dependency.
func ReadDependencies(fsys fs.FS) ([]Dependency, string, error) {
	return ReadDependenciesEnv(fsys, nil)
}

var (
	jinjaExpr  = regexp.MustCompile(`\{\{(.*?)\}\}`)
	envVarCall = regexp.MustCompile(`^\s*env_var\(\s*(?:'([^']*)'|"([^"]*)")\s*(?:,\s*(?:'([^']*)'|"([^"]*)")\s*)?\)\s*$`)
)

// renderPackagesFile renders the Jinja dbt allows in packages.yml: env_var('NAME'[, 'default']),
// as a private git URL's credentials are written. With a nil lookup (loading a project, where
// the packages are already installed and nothing is fetched) a variable renders as its
// default or as nothing, so no process environment is read; deps passes the command's.
func renderPackagesFile(file string, raw []byte, lookup func(string) (string, bool)) ([]byte, error) {
	if !bytes.Contains(raw, []byte("{{")) {
		return raw, nil
	}
	var ferr error
	out := jinjaExpr.ReplaceAllFunc(raw, func(m []byte) []byte {
		inner := string(m[2 : len(m)-2])
		call := envVarCall.FindStringSubmatch(inner)
		if call == nil {
			if ferr == nil {
				ferr = &LoadError{Path: file, Err: fmt.Errorf("only env_var('NAME') can be used in Jinja here, not {{%s}}", inner)}
			}
			return m
		}
		name := call[1] + call[2]
		def, hasDef := call[3]+call[4], strings.Contains(inner, ",")
		if lookup == nil {
			return []byte(def)
		}
		if v, ok := lookup(name); ok {
			return []byte(v)
		}
		if hasDef {
			return []byte(def)
		}
		if ferr == nil {
			ferr = &LoadError{Path: file, Err: fmt.Errorf("env_var('%s') is not set and has no default", name)}
		}
		return m
	})
	return out, ferr
}

// RedactURL hides the credentials of a URL's user part (https://user:token@host/… as an
// env_var() in packages.yml writes a private repository), so that the URL can be logged.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = url.User("***")
	return u.String()
}

// RenderEnvVars renders env_var() in one text as packages.yml's are rendered (file names it
// in errors).
func RenderEnvVars(file, text string, lookup func(string) (string, bool)) (string, error) {
	out, err := renderPackagesFile(file, []byte(text), lookup)
	return string(out), err
}

// ReadDependenciesEnv is ReadDependencies with env_var() in the file rendered from lookup.
func ReadDependenciesEnv(fsys fs.FS, lookup func(string) (string, bool)) ([]Dependency, string, error) {
	var file string
	var raw []byte
	for _, name := range []string{"packages.yml", "dependencies.yml"} {
		b, err := fs.ReadFile(fsys, name)
		if err == nil {
			if file != "" {
				return nil, "", fmt.Errorf("both packages.yml and dependencies.yml declare packages; dbt accepts only one of them")
			}
			file, raw = name, b
		}
	}
	if file == "" {
		return nil, "", nil
	}
	raw, err := renderPackagesFile(file, raw, lookup)
	if err != nil {
		return nil, file, err
	}
	var doc struct {
		Packages []dependencyEntry `yaml:"packages"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, file, &LoadError{Path: file, Err: err}
	}
	out := make([]Dependency, 0, len(doc.Packages))
	for i, e := range doc.Packages {
		d := Dependency{Package: e.Package, Version: scalars(e.Version), InstallPrerelease: e.InstallPrerelease,
			Git: e.Git, Subdirectory: strings.Trim(e.Subdirectory, "/"), Local: e.Local, Tarball: e.Tarball, Name: e.Name}
		if r := scalars(e.Revision); len(r) > 0 {
			d.Revision = r[0]
		}
		kinds := 0
		for _, s := range []string{d.Package, d.Git, d.Local, d.Tarball} {
			if s != "" {
				kinds++
			}
		}
		if kinds != 1 {
			return nil, file, &LoadError{Path: file, Err: fmt.Errorf("packages entry %d must have exactly one of the keys package, git, local or tarball", i+1)}
		}
		if d.Package != "" && len(d.Version) == 0 {
			return nil, file, &LoadError{Path: file, Err: fmt.Errorf("package %s needs a version: (a version or a range)", d.Package)}
		}
		if d.Package != "" && !strings.Contains(d.Package, "/") {
			return nil, file, &LoadError{Path: file, Err: fmt.Errorf("package %q must be written org/name, as on hub.getdbt.com", d.Package)}
		}
		if d.Tarball != "" && d.Name == "" {
			return nil, file, &LoadError{Path: file, Err: fmt.Errorf("tarball %s needs a name", d.Tarball)}
		}
		out = append(out, d)
	}
	return out, file, nil
}

// installPath is where the project's packages are installed (packages-install-path, or the
// old modules-path), relative to its root.
func (pf projectFile) installPath() string {
	for _, p := range []string{pf.InstallPath, pf.ModulesPath} {
		if p != "" {
			return path.Clean(strings.TrimSuffix(p, "/"))
		}
	}
	return DefaultInstallPath
}

// InstallPath is where the project's packages are installed, relative to its root.
func (p *Project) InstallPath() string {
	if s, ok := p.Settings["packages-install-path"].(string); ok && s != "" {
		return path.Clean(strings.TrimSuffix(s, "/"))
	}
	if s, ok := p.Settings["modules-path"].(string); ok && s != "" {
		return path.Clean(strings.TrimSuffix(s, "/"))
	}
	return DefaultInstallPath
}

// loadPackages loads every package installed under installPath, then the local: packages
// not installed there; a package declared but not installed is a warning (dbt_utils has a
// built-in fallback, see HasPackage).
func (p *Project) loadPackages(fsys fs.FS, root projectFile, installPath string, outside func(string) (fs.FS, error)) error {
	deps, depsFile, err := ReadDependencies(fsys)
	if err != nil {
		return err
	}
	p.Dependencies = deps
	entries, err := fs.ReadDir(fsys, installPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", installPath, err)
	}
	for _, ent := range entries {
		if !ent.IsDir() && ent.Type()&fs.ModeSymlink == 0 {
			continue
		}
		dir := path.Join(installPath, ent.Name())
		sub, err := fs.Sub(fsys, dir)
		if err != nil {
			return err
		}
		if _, err := fs.Stat(sub, "dbt_project.yml"); err != nil {
			continue
		}
		if err := p.loadPackage(sub, dir, root); err != nil {
			return err
		}
	}
	for _, d := range deps {
		switch {
		case d.Local != "":
			local := path.Clean(strings.ReplaceAll(d.Local, `\`, "/"))
			var sub fs.FS
			switch {
			case !path.IsAbs(local) && local != ".." && !strings.HasPrefix(local, "../"):
				sub, err = fs.Sub(fsys, local)
			case outside != nil:
				sub, err = outside(d.Local)
			default:
				err = fmt.Errorf("it lies outside the project; install it with datanika transform deps")
			}
			if err == nil {
				var raw []byte
				raw, err = fs.ReadFile(sub, "dbt_project.yml")
				if err == nil {
					var pf projectFile
					if err = yaml.Unmarshal(raw, &pf); err == nil && p.Package(pf.Name) != nil {
						continue // installed in dbt_packages: that copy is the one used
					}
					err = p.loadPackage(sub, d.Local, root)
				}
			}
			if err != nil {
				return &LoadError{Path: depsFile, Err: fmt.Errorf("local package %s: %w", d.Local, err)}
			}
		case d.Package != "":
			name := d.Package[strings.LastIndex(d.Package, "/")+1:]
			if p.Package(name) == nil && name != "dbt_utils" {
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s: package %s is not installed in %s/ (run datanika transform deps)", depsFile, d.Package, installPath))
			}
		}
	}
	sort.Slice(p.Packages, func(i, j int) bool { return p.Packages[i].Name < p.Packages[j].Name })
	return nil
}

// loadPackage loads one package from its own root: nodes, macros and properties in its own
// namespace, its vars for itself.
func (p *Project) loadPackage(fsys fs.FS, dir string, root projectFile) error {
	raw, err := fs.ReadFile(fsys, "dbt_project.yml")
	if err != nil {
		return err
	}
	var pf projectFile
	if err := yaml.Unmarshal(raw, &pf); err != nil {
		return &LoadError{Path: path.Join(dir, "dbt_project.yml"), Err: err}
	}
	if pf.Name == "" {
		return &LoadError{Path: path.Join(dir, "dbt_project.yml"), Err: fmt.Errorf("name is required")}
	}
	if pf.Name == p.Name {
		return &LoadError{Path: path.Join(dir, "dbt_project.yml"), Err: fmt.Errorf("the package is named %s, as the project is", pf.Name)}
	}
	if prev := p.Package(pf.Name); prev != nil {
		return &LoadError{Path: path.Join(dir, "dbt_project.yml"), Err: fmt.Errorf("two packages are named %s: %s and %s", pf.Name, prev.Dir, dir)}
	}
	pkg := &Package{Name: pf.Name, Version: versionString(pf.Version), Dir: dir, Vars: map[string]any{}}
	var hooks struct {
		OnRunStart any `yaml:"on-run-start"`
		OnRunEnd   any `yaml:"on-run-end"`
	}
	if err := yaml.Unmarshal(raw, &hooks); err == nil {
		pkg.OnRunStart, pkg.OnRunEnd = toStrings(hooks.OnRunStart), toStrings(hooks.OnRunEnd)
	}
	for k, v := range pf.Vars {
		if _, scoped := v.(map[string]any); scoped && k != pf.Name {
			continue // scoped to another package: the root project's business, not this one's
		}
		pkg.Vars[k] = v
	}
	if scoped, ok := pf.Vars[pf.Name].(map[string]any); ok {
		delete(pkg.Vars, pf.Name)
		for k, v := range scoped {
			pkg.Vars[k] = v
		}
	}
	p.Packages = append(p.Packages, pkg)
	files, err := readTree(fsys, pf.installPath())
	if err != nil {
		return fmt.Errorf("read package %s: %w", dir, err)
	}
	prefix := strings.TrimSuffix(dir, "/") + "/"
	for name, b := range files {
		p.Files[prefix+name] = b
	}
	l := loader{p: p, pf: pf, root: root, pkg: pf.Name, prefix: prefix}
	return l.loadTree(files)
}

// Package returns the loaded package of that name, or nil.
func (p *Project) Package(name string) *Package {
	for _, pk := range p.Packages {
		if pk.Name == name {
			return pk
		}
	}
	return nil
}

// VarsFor are the vars a node of package pkg sees (before --vars, which win over all): the
// root project's scoped to pkg, then the root's global ones, then the package's own.
func (p *Project) VarsFor(pkg string) map[string]any {
	if pkg == p.Name || pkg == "" {
		return p.Vars
	}
	out := map[string]any{}
	if pk := p.Package(pkg); pk != nil {
		for k, v := range pk.Vars {
			out[k] = v
		}
	}
	for k, v := range p.Vars {
		if _, scoped := v.(map[string]any); scoped && p.Package(k) != nil {
			continue
		}
		out[k] = v
	}
	if scoped, ok := p.Vars[pkg].(map[string]any); ok {
		for k, v := range scoped {
			out[k] = v
		}
	}
	return out
}
