package deps

import (
	"bytes"
	"crypto/sha1" //nolint:gosec // dbt's lock file names its packages' hash so, not a security boundary
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/datanika/datanika/internal/transform/project"
)

// LockFile is where deps records what it installed, as dbt deps (1.7+) does: every package,
// transitive ones included, at the exact hub version or git commit. The next deps installs
// exactly that while packages.yml still asks for it, so a project builds with the same code
// everywhere until someone upgrades (Options.Upgrade, --upgrade).
const LockFile = "package-lock.yml"

type lockFile struct {
	Packages []lockEntry `yaml:"packages"`
	SHA1     string      `yaml:"sha1_hash,omitempty"`
}

type lockEntry struct {
	Package      string `yaml:"package,omitempty" json:"package,omitempty"`
	Version      string `yaml:"version,omitempty" json:"version,omitempty"`
	Git          string `yaml:"git,omitempty" json:"git,omitempty"`
	Revision     string `yaml:"revision,omitempty" json:"revision,omitempty"`
	Subdirectory string `yaml:"subdirectory,omitempty" json:"subdirectory,omitempty"`
	Local        string `yaml:"local,omitempty" json:"local,omitempty"`
	Tarball      string `yaml:"tarball,omitempty" json:"tarball,omitempty"`
	Name         string `yaml:"name,omitempty" json:"name,omitempty"`
}

// keepTemplates renders env_var() in packages.yml as itself, so the lock file keeps a private
// repository's URL as written ({{ env_var('…') }}) and never the credentials it gives.
func keepTemplates(name string) (string, bool) {
	return "{{ env_var('" + name + "') }}", true
}

// readLock gives the dependencies the lock pins when it still answers every entry of
// packages.yml (each hub package at a version its range accepts, each git and local package
// listed as declared); ok is false when there is no lock or it is stale.
func readLock(projectDir string, declared []project.Dependency, lookup func(string) (string, bool)) ([]project.Dependency, bool, error) {
	raw, err := os.ReadFile(filepath.Join(projectDir, LockFile)) //nolint:gosec // the operator's project
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var lf lockFile
	if err := yaml.Unmarshal(raw, &lf); err != nil {
		return nil, false, fmt.Errorf("%s: %w", LockFile, err)
	}
	pinned := make([]project.Dependency, 0, len(lf.Packages))
	for _, e := range lf.Packages {
		d := project.Dependency{Package: e.Package, Git: e.Git, Revision: e.Revision, Subdirectory: e.Subdirectory,
			Local: e.Local, Tarball: e.Tarball, Name: e.Name}
		if e.Version != "" {
			d.Version = []string{e.Version}
		}
		if d.Git != "" {
			// The lock keeps env_var() as written; render it as packages.yml is.
			if d.Git, err = renderEnv(d.Git, lookup); err != nil {
				return nil, false, err
			}
		}
		pinned = append(pinned, d)
	}
	for _, want := range declared {
		if !lockAnswers(pinned, want) {
			return nil, false, nil
		}
	}
	return pinned, true, nil
}

func renderEnv(s string, lookup func(string) (string, bool)) (string, error) {
	return project.RenderEnvVars(LockFile, s, lookup)
}

// satisfies says version v is allowed by every range.
func satisfies(v string, ranges []string) (bool, error) {
	canon := "v" + strings.TrimPrefix(v, "v")
	for _, r := range ranges {
		c, err := parseConstraint(r)
		if err != nil {
			return false, err
		}
		if !c.allows(canon) {
			return false, nil
		}
	}
	return true, nil
}

// lockAnswers says the pinned set holds the declared dependency.
func lockAnswers(pinned []project.Dependency, want project.Dependency) bool {
	for _, p := range pinned {
		switch {
		case want.Package != "" && p.Package == want.Package && len(p.Version) == 1:
			if ok, err := satisfies(p.Version[0], want.Version); err == nil && ok {
				return true
			}
		case want.Git != "" && p.Git == want.Git && p.Subdirectory == want.Subdirectory:
			if want.Revision == "" || !commitSHA.MatchString(want.Revision) || strings.EqualFold(want.Revision, p.Revision) {
				return true
			}
		case want.Local != "" && p.Local == want.Local:
			return true
		case want.Tarball != "" && p.Tarball == want.Tarball:
			return true
		}
	}
	return false
}

// writeLock records what was installed. Transitive local: packages (inside another package's
// files) cannot be pinned by path, so a resolution that has one writes no lock.
func writeLock(projectDir string, declaredAsWritten []project.Dependency, resolved []source, asWritten map[string]string) error {
	var lf lockFile
	for _, s := range resolved {
		name, _, err := packageName(s.dir)
		if err != nil {
			return err
		}
		e := lockEntry{Name: name}
		switch d := s.dep; {
		case d.Package != "":
			e.Package, e.Version = d.Package, s.version
		case d.Git != "":
			e.Git, e.Revision, e.Subdirectory = d.Git, s.commit, d.Subdirectory
			if w, ok := asWritten[d.Git]; ok {
				e.Git = w
			}
		case d.Local != "":
			if filepath.IsAbs(d.Local) {
				return nil
			}
			e.Local = filepath.ToSlash(d.Local)
		case d.Tarball != "":
			e.Tarball = d.Tarball
		}
		lf.Packages = append(lf.Packages, e)
	}
	sort.SliceStable(lf.Packages, func(i, j int) bool { return lf.Packages[i].Name < lf.Packages[j].Name })
	lf.SHA1 = packagesHash(declaredAsWritten)
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2) // as dbt writes it
	if err := enc.Encode(lf); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(projectDir, LockFile), out.Bytes(), 0o644) //nolint:gosec // a project file, read by dbt too
}

// packagesHash is dbt's sha1_hash of the declared packages: each entry as sorted-key JSON,
// the lines sorted, joined by newlines. A lock whose hash differs from what dbt computes only
// makes dbt resolve again; we judge a lock by its entries (readLock).
func packagesHash(declared []project.Dependency) string {
	lines := make([]string, 0, len(declared))
	for _, d := range declared {
		m := map[string]any{}
		switch {
		case d.Package != "":
			m["package"] = d.Package
			if len(d.Version) == 1 {
				m["version"] = d.Version[0]
			} else {
				m["version"] = d.Version
			}
		case d.Git != "":
			m["git"] = d.Git
			if d.Revision != "" {
				m["revision"] = d.Revision
			}
			if d.Subdirectory != "" {
				m["subdirectory"] = d.Subdirectory
			}
		case d.Local != "":
			m["local"] = d.Local
		case d.Tarball != "":
			m["tarball"] = d.Tarball
		}
		b, _ := json.Marshal(m) // encoding/json sorts map keys
		lines = append(lines, string(b))
	}
	sort.Strings(lines)
	sum := sha1.Sum([]byte(strings.Join(lines, "\n"))) //nolint:gosec // see above
	return hex.EncodeToString(sum[:])
}
