// Package deps installs the packages a dbt project declares (packages.yml or dependencies.yml)
// into its dbt_packages directory, as dbt deps does: hub packages from a dbt package hub, git
// packages with the git program, local: packages copied. Downloads go through the caller's
// HTTP client and dialer (the egress policy) and are kept in a cache directory.
package deps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/datanika/datanika/internal/transform/project"
)

// DefaultHubURL is dbt Labs' package hub.
const DefaultHubURL = "https://hub.getdbt.com"

// maxRounds bounds the rounds of resolving transitive dependencies.
const maxRounds = 20

// Options configure Install.
type Options struct {
	// HubURL is the package hub's base URL; DefaultHubURL when empty.
	HubURL string
	// CacheDir keeps downloaded packages (hub versions are immutable and reused).
	CacheDir string
	// HTTP fetches the hub's index and tarballs; it should dial through the egress policy.
	HTTP *http.Client
	// Dial opens the connections of git over HTTP(S) (through a proxy of ours on loopback);
	// nil lets git dial by itself, which only a trusted caller should allow.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// AllowLocalGit accepts git repositories given by path or file:// URL: the command
	// line's operator may read their own disk, a server's users may not.
	AllowLocalGit bool
	Logger        *slog.Logger
	// Upgrade resolves the declared ranges again instead of installing what package-lock.yml
	// pins (dbt deps --upgrade), and writes the new lock.
	Upgrade bool
	// Env renders env_var() in packages.yml (a private git URL's credentials); nil reads
	// the process environment, which suits the command line.
	Env func(string) (string, bool)
}

func (o Options) lookupEnv() func(string) (string, bool) {
	if o.Env != nil {
		return o.Env
	}
	return os.LookupEnv
}

// Installed is one package put in the project's install directory.
type Installed struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	// Source is the dependency it came from: org/name, a git URL, a local path.
	Source string `json:"source"`
	// Dir is where it was installed, relative to the project.
	Dir string `json:"dir"`
}

// source is a resolved dependency: where its files are now.
type source struct {
	dep     project.Dependency
	version string
	dir     string // a directory holding the package's dbt_project.yml
	commit  string // a git package's commit
}

// Install resolves the project's dependencies and theirs, then installs every package into
// the project's install directory (dbt_packages/<name>), replacing an older copy.
func Install(ctx context.Context, projectDir string, opts Options) ([]Installed, error) {
	if opts.HubURL == "" {
		opts.HubURL = DefaultHubURL
	}
	opts.HubURL = strings.TrimSuffix(opts.HubURL, "/")
	if opts.HTTP == nil {
		return nil, errors.New("deps needs an HTTP client")
	}
	if opts.CacheDir == "" {
		return nil, errors.New("deps needs a cache directory")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	installPath, err := installPathOf(projectDir)
	if err != nil {
		return nil, err
	}
	rootDeps, _, err := project.ReadDependenciesEnv(os.DirFS(projectDir), opts.lookupEnv())
	if err != nil {
		return nil, err
	}
	f := &fetcher{opts: opts, hubIndex: map[string]*hubPackage{}}
	if !opts.Upgrade {
		pinned, ok, err := readLock(projectDir, rootDeps, opts.lookupEnv())
		if err != nil {
			return nil, err
		}
		if ok {
			opts.Logger.Info("installing the versions " + LockFile + " pins (--upgrade resolves again)")
			resolved := make([]source, 0, len(pinned))
			for _, d := range pinned {
				s, err := f.fetch(ctx, projectDir, d)
				if err != nil {
					return nil, fmt.Errorf("%s (pinned in %s): %w", d, LockFile, err)
				}
				resolved = append(resolved, s)
			}
			return install(projectDir, installPath, resolved)
		}
	}
	// The URLs as written (env_var() kept), for the lock file.
	asWritten := map[string]string{}
	written := func(dir string, rendered []project.Dependency) error {
		raw, _, err := project.ReadDependenciesEnv(os.DirFS(dir), keepTemplates)
		if err != nil || len(raw) != len(rendered) {
			return err
		}
		for i := range raw {
			if rendered[i].Git != "" {
				asWritten[rendered[i].Git] = raw[i].Git
			}
		}
		return nil
	}
	if err := written(projectDir, rootDeps); err != nil {
		return nil, err
	}
	// Resolve in rounds: fetch what is known, read the fetched packages' own dependencies,
	// until the set of dependencies stops changing (a hub package's ranges add up).
	var resolved []source
	state := ""
	for round := 0; ; round++ {
		if round == maxRounds {
			return nil, fmt.Errorf("the packages' dependencies did not settle after %d rounds", maxRounds)
		}
		all := append([]project.Dependency(nil), rootDeps...)
		for _, s := range resolved {
			more, _, err := project.ReadDependenciesEnv(os.DirFS(s.dir), opts.lookupEnv())
			if err != nil {
				return nil, fmt.Errorf("package %s: %w", s.dep, err)
			}
			if err := written(s.dir, more); err != nil {
				return nil, fmt.Errorf("package %s: %w", s.dep, err)
			}
			for _, d := range more {
				if d.Local != "" && !filepath.IsAbs(d.Local) {
					d.Local = filepath.Join(s.dir, filepath.FromSlash(d.Local))
				}
				all = append(all, d)
			}
		}
		merged := mergeDependencies(all)
		key := fmt.Sprint(merged)
		if key == state {
			break
		}
		state = key
		resolved = resolved[:0]
		for _, d := range merged {
			s, err := f.fetch(ctx, projectDir, d)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", d, err)
			}
			resolved = append(resolved, s)
		}
	}
	installed, err := install(projectDir, installPath, resolved)
	if err != nil {
		return nil, err
	}
	declared, _, err := project.ReadDependenciesEnv(os.DirFS(projectDir), keepTemplates)
	if err != nil {
		return nil, err
	}
	if err := writeLock(projectDir, declared, resolved, asWritten); err != nil {
		return nil, fmt.Errorf("write %s: %w", LockFile, err)
	}
	return installed, nil
}

// mergeDependencies keeps one entry per package: a hub package's version ranges add up; the
// other kinds are kept once each.
func mergeDependencies(all []project.Dependency) []project.Dependency {
	var out []project.Dependency
	hub := map[string]int{}
	seen := map[string]bool{}
	for _, d := range all {
		if d.Package != "" {
			if i, ok := hub[d.Package]; ok {
				for _, v := range d.Version {
					if !contains(out[i].Version, v) {
						out[i].Version = append(out[i].Version, v)
					}
				}
				out[i].InstallPrerelease = out[i].InstallPrerelease || d.InstallPrerelease
				continue
			}
			hub[d.Package] = len(out)
			d.Version = append([]string(nil), d.Version...)
			out = append(out, d)
			continue
		}
		if k := d.String(); !seen[k] {
			seen[k] = true
			out = append(out, d)
		}
	}
	for i := range out {
		sort.Strings(out[i].Version)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// installPathOf reads where the project installs its packages.
func installPathOf(projectDir string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(projectDir, "dbt_project.yml")) //nolint:gosec // the project the operator names
	if err != nil {
		return "", fmt.Errorf("a dbt project needs dbt_project.yml at its root: %w", err)
	}
	var pf struct {
		InstallPath string `yaml:"packages-install-path"`
		ModulesPath string `yaml:"modules-path"`
	}
	if err := yaml.Unmarshal(raw, &pf); err != nil {
		return "", fmt.Errorf("dbt_project.yml: %w", err)
	}
	p := project.DefaultInstallPath
	for _, c := range []string{pf.InstallPath, pf.ModulesPath} {
		if c != "" {
			p = c
			break
		}
	}
	p = path.Clean(filepath.ToSlash(p))
	if path.IsAbs(p) || p == "." || p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Errorf("dbt_project.yml: packages-install-path %q must be a folder inside the project", p)
	}
	return p, nil
}

// install copies each resolved package into installPath/<its name>.
func install(projectDir, installPath string, resolved []source) ([]Installed, error) {
	var out []Installed
	byName := map[string]string{}
	for _, s := range resolved {
		name, version, err := packageName(s.dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.dep, err)
		}
		if prev, ok := byName[name]; ok {
			return nil, fmt.Errorf("two dependencies are both package %s: %s and %s", name, prev, s.dep)
		}
		byName[name] = s.dep.String()
		if s.version != "" {
			version = s.version
		}
		rel := path.Join(installPath, name)
		dst := filepath.Join(projectDir, filepath.FromSlash(rel))
		if err := os.RemoveAll(dst); err != nil {
			return nil, err
		}
		if err := copyTree(s.dir, dst); err != nil {
			return nil, fmt.Errorf("install %s: %w", name, err)
		}
		out = append(out, Installed{Name: name, Version: version, Source: s.dep.String(), Dir: rel})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// packageName reads a package's name and version from its dbt_project.yml.
func packageName(dir string) (string, string, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "dbt_project.yml")) //nolint:gosec // a package fetched into the cache
	if err != nil {
		return "", "", errors.New("it holds no dbt_project.yml")
	}
	var pf struct {
		Name    string `yaml:"name"`
		Version any    `yaml:"version"`
	}
	if err := yaml.Unmarshal(raw, &pf); err != nil {
		return "", "", fmt.Errorf("its dbt_project.yml: %w", err)
	}
	if pf.Name == "" || strings.ContainsAny(pf.Name, `/\`) || pf.Name == "." || pf.Name == ".." {
		return "", "", fmt.Errorf("its dbt_project.yml has no usable name (%q)", pf.Name)
	}
	version := ""
	if pf.Version != nil {
		version = fmt.Sprint(pf.Version)
	}
	return pf.Name, version, nil
}

// copyTree copies the regular files and folders of src into dst, leaving out version control
// and build output; symbolic links are not followed.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if rel != "." && (d.Name() == ".git" || d.Name() == "target" || d.Name() == "logs") {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o750)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(p, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src) //nolint:gosec // a file of a package being installed
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) //nolint:gosec // inside the install directory
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// cacheKey names a cache entry after what it holds, safely for a path.
func cacheKey(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:12])
}
