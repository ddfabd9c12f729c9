package deps

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1" //nolint:gosec // the hub's checksum
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/egress"
	"github.com/datanika/datanika/internal/transform/project"
)

func TestPickVersion_RangesAndPrereleases(t *testing.T) {
	t.Parallel()
	available := []string{"0.9.0", "1.0.0", "1.1.1", "1.2.0-rc1", "2.0.0"}
	for _, c := range []struct {
		ranges     []string
		prerelease bool
		want, err  string
	}{
		{ranges: []string{">=1.0.0", "<2.0.0"}, want: "1.1.1"},
		{ranges: []string{">=1.0.0", "<2.0.0"}, prerelease: true, want: "1.2.0-rc1"},
		{ranges: []string{"1.0.0"}, want: "1.0.0"},
		{ranges: []string{"=1.2.0-rc1"}, want: "1.2.0-rc1"},
		{ranges: []string{">0.9", "<=1.0"}, want: "1.0.0"},
		{ranges: []string{">=3.0.0"}, err: "no version satisfies >=3.0.0"},
		{ranges: []string{"latest"}, err: `"latest" is not a version`},
	} {
		got, err := pickVersion(available, c.ranges, c.prerelease)
		if c.err != "" {
			require.ErrorContains(t, err, c.err, c.ranges)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, c.want, got, c.ranges)
	}
}

// tarball builds a .tar.gz of files under one top folder, as GitHub's codeload serves them.
func tarball(t *testing.T, top string, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, text := range files {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: top + "/" + name, Mode: 0o644, Size: int64(len(text)), Typeflag: tar.TypeReg}))
		_, err := tw.Write([]byte(text))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	return buf.Bytes()
}

// fakeHub serves /api/v1/{org}/{name}.json and the tarballs it lists; it counts downloads.
type fakeHub struct {
	*httptest.Server
	mu        sync.Mutex
	packages  map[string]map[string][]byte // org/name → version → tarball
	downloads int
	badSum    bool
}

func newHub(t *testing.T) *fakeHub {
	t.Helper()
	h := &fakeHub{packages: map[string]map[string][]byte{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if key, ok := strings.CutPrefix(r.URL.Path, "/api/v1/"); ok {
			versions, ok := h.packages[strings.TrimSuffix(key, ".json")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			out := map[string]any{}
			for v, tgz := range versions {
				sum := sha1.Sum(tgz) //nolint:gosec // the hub's checksum
				s := hex.EncodeToString(sum[:])
				if h.badSum {
					s = strings.Repeat("0", 40)
				}
				out[v] = map[string]any{"downloads": map[string]any{"tarball": h.URL + "/tarballs/" + strings.TrimSuffix(key, ".json") + "/" + v + ".tar.gz", "sha1": s}}
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"versions": out})
			return
		}
		if rest, ok := strings.CutPrefix(r.URL.Path, "/tarballs/"); ok {
			i := strings.LastIndex(rest, "/")
			tgz, ok := h.packages[rest[:i]][strings.TrimSuffix(rest[i+1:], ".tar.gz")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			h.downloads++
			_, _ = w.Write(tgz)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *fakeHub) add(t *testing.T, pkg, version string, files map[string]string) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.packages[pkg] == nil {
		h.packages[pkg] = map[string][]byte{}
	}
	h.packages[pkg][version] = tarball(t, strings.ReplaceAll(pkg[strings.Index(pkg, "/")+1:], "_", "-")+"-"+version, files)
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		full := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o750))
		require.NoError(t, os.WriteFile(full, []byte(text), 0o600))
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return strings.TrimSpace(string(out))
}

// gitRepo makes a repository whose tag v1 holds pkg/dbt_project.yml naming git_pkg and whose
// later commit on the default branch changes its macro.
func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("SKIPPED — the git program is not installed")
	}
	dir := t.TempDir()
	git(t, dir, "init", "--quiet", "--initial-branch=main")
	writeFiles(t, dir, map[string]string{
		"README.md":               "a repository with a package in a subdirectory",
		"pkg/dbt_project.yml":     "name: git_pkg\nversion: 1.0.0\n",
		"pkg/macros/which.sql":    "{% macro which() %}'v1'{% endmacro %}",
		"pkg/models/from_git.sql": "select {{ which() }} as which",
	})
	git(t, dir, "add", ".")
	git(t, dir, "commit", "--quiet", "-m", "v1")
	git(t, dir, "tag", "v1")
	writeFiles(t, dir, map[string]string{"pkg/macros/which.sql": "{% macro which() %}'main'{% endmacro %}"})
	git(t, dir, "commit", "--quiet", "-am", "later")
	return dir
}

func policyClient(t *testing.T, allowlist string) (*http.Client, *egress.Policy) {
	t.Helper()
	p, err := egress.New(false, allowlist)
	require.NoError(t, err)
	return p.HTTPClient(30 * time.Second), p
}

func TestInstall_HubGitAndLocalPackagesWithTheirDependencies(t *testing.T) {
	t.Parallel()
	hub := newHub(t)
	utils := map[string]string{
		"dbt_project.yml": "name: fake_utils\nversion: 0.3.1\n",
		"macros/m.sql":    "{% macro hello() %}'hello'{% endmacro %}",
		// A package's own dependencies are installed too; the ranges add up with the root's.
		"packages.yml": "packages:\n  - package: fake-org/base_pkg\n    version: [\">=1.0.0\", \"<2.0.0\"]\n",
	}
	hub.add(t, "fake-org/fake_utils", "0.3.1", utils)
	hub.add(t, "fake-org/fake_utils", "0.2.0", map[string]string{"dbt_project.yml": "name: fake_utils\n"})
	hub.add(t, "fake-org/fake_utils", "0.4.0-rc1", map[string]string{"dbt_project.yml": "name: fake_utils\n"})
	for _, v := range []string{"1.0.0", "1.4.0", "1.6.0"} {
		hub.add(t, "fake-org/base_pkg", v, map[string]string{"dbt_project.yml": "name: base_pkg\nversion: " + v + "\n"})
	}
	repo := gitRepo(t)

	root := t.TempDir()
	proj := filepath.Join(root, "proj")
	writeFiles(t, root, map[string]string{
		"shared/dbt_project.yml": "name: shared_pkg\n",
		"shared/macros/s.sql":    "{% macro s() %}1{% endmacro %}",
		"proj/dbt_project.yml":   "name: proj\n",
		"proj/packages.yml": "packages:\n" +
			"  - package: fake-org/fake_utils\n    version: [\">=0.3.0\", \"<1.0.0\"]\n" +
			"  - package: fake-org/base_pkg\n    version: \"<1.5.0\"\n" +
			"  - git: \"file://" + filepath.ToSlash(repo) + "\"\n    revision: v1\n    subdirectory: pkg\n" +
			"  - local: ../shared\n",
		// An older install is replaced.
		"proj/dbt_packages/fake_utils/dbt_project.yml": "name: fake_utils\nversion: 0.0.1\n",
		"proj/dbt_packages/fake_utils/stale.sql":       "stale",
	})
	client, policy := policyClient(t, "127.0.0.1")
	opts := Options{HubURL: hub.URL, CacheDir: filepath.Join(root, "cache"), HTTP: client,
		Dial: policy.Dialer(10 * time.Second).DialContext, AllowLocalGit: true}
	got, err := Install(context.Background(), proj, opts)
	require.NoError(t, err)
	require.Equal(t, []Installed{
		{Name: "base_pkg", Version: "1.4.0", Source: "fake-org/base_pkg", Dir: "dbt_packages/base_pkg"},
		{Name: "fake_utils", Version: "0.3.1", Source: "fake-org/fake_utils", Dir: "dbt_packages/fake_utils"},
		{Name: "git_pkg", Version: "1.0.0", Source: "file://" + filepath.ToSlash(repo) + "@v1/pkg", Dir: "dbt_packages/git_pkg"},
		{Name: "shared_pkg", Source: "local:../shared", Dir: "dbt_packages/shared_pkg"},
	}, got)
	which, err := os.ReadFile(filepath.Join(proj, "dbt_packages", "git_pkg", "macros", "which.sql"))
	require.NoError(t, err)
	require.Contains(t, string(which), "'v1'", "the tag's content, not the branch's")
	require.NoFileExists(t, filepath.Join(proj, "dbt_packages", "fake_utils", "stale.sql"))
	require.NoDirExists(t, filepath.Join(proj, "dbt_packages", "git_pkg", ".git"))

	p, err := project.LoadDir(proj)
	require.NoError(t, err)
	require.Empty(t, p.Warnings)
	require.Len(t, p.Packages, 4)
	require.Contains(t, p.Nodes, "model.git_pkg.from_git")

	// Hub versions are cached: a second install downloads nothing.
	downloads := hub.downloads
	_, err = Install(context.Background(), proj, opts)
	require.NoError(t, err)
	require.Equal(t, downloads, hub.downloads)
}

func TestInstall_TheEgressPolicyAndTheChecksumAreEnforced(t *testing.T) {
	t.Parallel()
	hub := newHub(t)
	hub.add(t, "fake-org/fake_utils", "1.0.0", map[string]string{"dbt_project.yml": "name: fake_utils\n"})
	proj := t.TempDir()
	writeFiles(t, proj, map[string]string{
		"dbt_project.yml": "name: proj\n",
		"packages.yml":    "packages:\n  - package: fake-org/fake_utils\n    version: 1.0.0\n",
	})
	client, _ := policyClient(t, "")
	_, err := Install(context.Background(), proj, Options{HubURL: hub.URL, CacheDir: t.TempDir(), HTTP: client})
	require.ErrorIs(t, err, egress.ErrDenied)
	require.ErrorContains(t, err, "fake-org/fake_utils: the package hub:")

	hub.badSum = true
	client, _ = policyClient(t, "127.0.0.1")
	_, err = Install(context.Background(), proj, Options{HubURL: hub.URL, CacheDir: t.TempDir(), HTTP: client})
	require.ErrorContains(t, err, "does not match the hub's SHA-1")
	require.NoDirExists(t, filepath.Join(proj, "dbt_packages", "fake_utils"))
}

func TestInstall_GitURLsOutsideThePolicyAreRefused(t *testing.T) {
	t.Parallel()
	client, _ := policyClient(t, "")
	for url, want := range map[string]string{
		"git@github.com:org/repo.git":   "git over ssh is not supported",
		"ssh://github.com/org/repo.git": "git over ssh is not supported",
		"git://example.com/repo.git":    "git over git is not supported",
		"/srv/repos/pkg":                "not allowed here",
		"file:///srv/repos/pkg":         "not allowed here",
		"--upload-pack=touch /tmp/x":    "is not a git URL",
	} {
		proj := t.TempDir()
		writeFiles(t, proj, map[string]string{"dbt_project.yml": "name: proj\n", "packages.yml": "packages:\n  - git: \"" + url + "\"\n"})
		_, err := Install(context.Background(), proj, Options{CacheDir: t.TempDir(), HTTP: client})
		require.ErrorContains(t, err, want, url)
	}
}

func TestInstall_GitOverHTTPGoesThroughThePolicy(t *testing.T) {
	t.Parallel()
	repo := gitRepo(t)
	bare := filepath.Join(t.TempDir(), "pkg.git")
	git(t, filepath.Dir(bare), "clone", "--quiet", "--bare", repo, bare)
	backend := filepath.Join(git(t, repo, "--exec-path"), "git-http-backend")
	srv := httptest.NewServer(&cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + filepath.Dir(bare), "GIT_HTTP_EXPORT_ALL=1"}})
	t.Cleanup(srv.Close)

	proj := t.TempDir()
	writeFiles(t, proj, map[string]string{
		"dbt_project.yml": "name: proj\n",
		"packages.yml":    "packages:\n  - git: \"" + srv.URL + "/pkg.git\"\n    revision: main\n    subdirectory: pkg\n",
	})
	client, policy := policyClient(t, "")
	_, err := Install(context.Background(), proj, Options{CacheDir: t.TempDir(), HTTP: client, Dial: policy.Dialer(5 * time.Second).DialContext})
	require.ErrorIs(t, err, egress.ErrDenied, "the loopback server is private: denied")

	client, policy = policyClient(t, "127.0.0.1")
	got, err := Install(context.Background(), proj, Options{CacheDir: t.TempDir(), HTTP: client, Dial: policy.Dialer(5 * time.Second).DialContext})
	require.NoError(t, err)
	require.Len(t, got, 1)
	which, err := os.ReadFile(filepath.Join(proj, "dbt_packages", "git_pkg", "macros", "which.sql"))
	require.NoError(t, err)
	require.Contains(t, string(which), "'main'")
}

func TestInstall_EnvVarCredentialsInAGitURLNeverShow(t *testing.T) {
	t.Parallel()
	repo := gitRepo(t)
	bare := filepath.Join(t.TempDir(), "pkg.git")
	git(t, filepath.Dir(bare), "clone", "--quiet", "--bare", repo, bare)
	backend := filepath.Join(git(t, repo, "--exec-path"), "git-http-backend")
	var sawAuth atomic.Bool
	cgiH := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + filepath.Dir(bare), "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A private repository: git sends the URL's credentials when challenged.
		if u, p, ok := r.BasicAuth(); !ok || u != "ci" || p != "s3cret-token" {
			w.Header().Set("WWW-Authenticate", `Basic realm="pkg"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		sawAuth.Store(true)
		cgiH.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	env := func(name string) (string, bool) {
		if name == "DBT_ENV_SECRET_GIT_CREDENTIAL" {
			return "ci:s3cret-token", true
		}
		return "", false
	}
	write := func(revision string) string {
		proj := t.TempDir()
		writeFiles(t, proj, map[string]string{
			"dbt_project.yml": "name: proj\n",
			"packages.yml": "packages:\n  - git: \"http://{{ env_var('DBT_ENV_SECRET_GIT_CREDENTIAL') }}@" + host +
				"/pkg.git\"\n    revision: " + revision + "\n    subdirectory: pkg\n",
		})
		return proj
	}
	client, policy := policyClient(t, "127.0.0.1")
	var logs bytes.Buffer
	opts := Options{CacheDir: t.TempDir(), HTTP: client, Dial: policy.Dialer(5 * time.Second).DialContext, Env: env,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}

	_, err := Install(context.Background(), write("no-such-branch"), opts)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cret-token")

	proj := write("main")
	got, err := Install(context.Background(), proj, opts)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.True(t, sawAuth.Load(), "the credentials env_var() gave reached the server")
	require.NotContains(t, logs.String(), "s3cret-token")
	require.NotContains(t, fmt.Sprint(got), "s3cret-token")

	// Without the variable, deps says which one is missing.
	opts.Env = func(string) (string, bool) { return "", false }
	_, err = Install(context.Background(), write("main"), opts)
	require.ErrorContains(t, err, "env_var('DBT_ENV_SECRET_GIT_CREDENTIAL') is not set")
}

func TestInstall_PackageLockPinsVersionsUntilUpgraded(t *testing.T) {
	t.Parallel()
	hub := newHub(t)
	hub.add(t, "fake-org/fake_utils", "0.3.1", map[string]string{"dbt_project.yml": "name: fake_utils\nversion: 0.3.1\n",
		"packages.yml": "packages:\n  - package: fake-org/base_pkg\n    version: \">=1.0.0\"\n"})
	hub.add(t, "fake-org/base_pkg", "1.0.0", map[string]string{"dbt_project.yml": "name: base_pkg\nversion: 1.0.0\n"})
	repo := gitRepo(t)
	v1 := strings.TrimSpace(git(t, repo, "rev-parse", "v1^{commit}"))

	proj := t.TempDir()
	packages := func(utilsRange string) {
		writeFiles(t, proj, map[string]string{"dbt_project.yml": "name: proj\n",
			"packages.yml": "packages:\n  - package: fake-org/fake_utils\n    version: \"" + utilsRange + "\"\n" +
				"  - git: \"file://{{ env_var('REPO_PATH') }}\"\n    revision: v1\n    subdirectory: pkg\n"})
	}
	packages(">=0.3.0")
	client, policy := policyClient(t, "127.0.0.1")
	opts := Options{HubURL: hub.URL, CacheDir: t.TempDir(), HTTP: client, Dial: policy.Dialer(10 * time.Second).DialContext,
		AllowLocalGit: true, Env: func(name string) (string, bool) { return filepath.ToSlash(repo), name == "REPO_PATH" }}
	version := func(got []Installed, name string) string {
		for _, i := range got {
			if i.Name == name {
				return i.Version
			}
		}
		return ""
	}

	got, err := Install(context.Background(), proj, opts)
	require.NoError(t, err)
	require.Equal(t, "0.3.1", version(got, "fake_utils"))
	lock, err := os.ReadFile(filepath.Join(proj, LockFile))
	require.NoError(t, err)
	require.Contains(t, string(lock), "package: fake-org/fake_utils\n    version: 0.3.1")
	require.Contains(t, string(lock), "package: fake-org/base_pkg\n    version: 1.0.0", "transitive packages too")
	require.Contains(t, string(lock), "revision: "+v1, "a git package at its commit")
	require.Contains(t, string(lock), "git: file://{{ env_var('REPO_PATH') }}", "the URL as written, not as rendered")
	require.Contains(t, string(lock), "sha1_hash: ")

	// New versions on the hub: the lock still decides.
	hub.add(t, "fake-org/fake_utils", "0.3.5", map[string]string{"dbt_project.yml": "name: fake_utils\nversion: 0.3.5\n"})
	got, err = Install(context.Background(), proj, opts)
	require.NoError(t, err)
	require.Equal(t, "0.3.1", version(got, "fake_utils"))
	require.Equal(t, "1.0.0", version(got, "base_pkg"))

	// --upgrade resolves again and rewrites the lock.
	opts.Upgrade = true
	got, err = Install(context.Background(), proj, opts)
	require.NoError(t, err)
	require.Equal(t, "0.3.5", version(got, "fake_utils"))
	lock, err = os.ReadFile(filepath.Join(proj, LockFile))
	require.NoError(t, err)
	require.Contains(t, string(lock), "version: 0.3.5")
	require.NotContains(t, string(lock), "base_pkg", "0.3.5 has no dependency")

	// A packages.yml the lock no longer answers resolves again.
	opts.Upgrade = false
	hub.add(t, "fake-org/fake_utils", "0.4.0", map[string]string{"dbt_project.yml": "name: fake_utils\nversion: 0.4.0\n"})
	packages(">=0.4.0")
	got, err = Install(context.Background(), proj, opts)
	require.NoError(t, err)
	require.Equal(t, "0.4.0", version(got, "fake_utils"))
}
