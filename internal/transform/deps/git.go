package deps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/datanika/datanika/internal/transform/project"
)

var commitSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)

// fetchGit clones a git package at its revision with the git program and returns the folder
// of the package (its subdirectory when it names one). A full commit SHA is cached; a branch
// or tag is fetched again each time, as it may move.
func (f *fetcher) fetchGit(ctx context.Context, d project.Dependency) (string, string, error) {
	dir, sha, err := f.fetchGitAt(ctx, d)
	if err != nil {
		return "", "", scrubCredentials(err, d.Git)
	}
	return dir, sha, nil
}

// scrubCredentials takes a git URL's credentials out of an error (git's own messages may
// quote the URL it was given).
func scrubCredentials(err error, rawURL string) error {
	u, perr := url.Parse(rawURL)
	if perr != nil || u.User == nil {
		return err
	}
	msg := err.Error()
	secrets := []string{u.User.String()}
	if p, ok := u.User.Password(); ok && p != "" {
		secrets = append(secrets, p, url.QueryEscape(p))
	}
	if name := u.User.Username(); name != "" {
		secrets = append(secrets, name)
	}
	clean := msg
	for _, s := range secrets {
		if s != "" {
			clean = strings.ReplaceAll(clean, s, "***")
		}
	}
	if clean == msg {
		return err
	}
	return errors.New(clean)
}

// fetchGitAt also gives the commit it checked out (what package-lock.yml pins).
func (f *fetcher) fetchGitAt(ctx context.Context, d project.Dependency) (string, string, error) {
	repo, local, err := f.gitURL(d.Git)
	if err != nil {
		return "", "", err
	}
	if strings.HasPrefix(d.Revision, "-") {
		return "", "", fmt.Errorf("revision %q is not a git revision", d.Revision)
	}
	sub := filepath.FromSlash(d.Subdirectory)
	if d.Subdirectory != "" && (filepath.IsAbs(sub) || !filepath.IsLocal(sub)) {
		return "", "", fmt.Errorf("subdirectory %q must be a folder inside the repository", d.Subdirectory)
	}
	dir := filepath.Join(f.opts.CacheDir, "git", cacheKey(d.Git, d.Revision))
	if commitSHA.MatchString(d.Revision) {
		if _, err := os.Stat(filepath.Join(dir, sub, "dbt_project.yml")); err == nil {
			return filepath.Join(dir, sub), strings.ToLower(d.Revision), nil
		}
	}
	if d.Revision == "" {
		f.opts.Logger.Warn("a git package without a revision follows its default branch; pin one for repeatable builds", "git", project.RedactURL(d.Git))
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o750); err != nil {
		return "", "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".clone-")
	if err != nil {
		return "", "", err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	g, err := f.newGit(ctx, local)
	if err != nil {
		return "", "", err
	}
	defer g.close()
	checkout := filepath.Join(tmp, "repo")
	if _, err := g.run(ctx, "", "clone", "--quiet", "--no-checkout", "--", repo, checkout); err != nil {
		return "", "", err
	}
	rev := "HEAD"
	if d.Revision != "" {
		rev = d.Revision
	}
	sha := ""
	for _, candidate := range []string{rev, "origin/" + rev} {
		out, err := g.run(ctx, checkout, "rev-parse", "--verify", "--quiet", "--end-of-options", candidate+"^{commit}")
		if err == nil {
			sha = strings.TrimSpace(out)
			break
		}
	}
	if sha == "" {
		return "", "", fmt.Errorf("revision %q is not a commit, tag or branch of %s", d.Revision, project.RedactURL(d.Git))
	}
	if _, err := g.run(ctx, checkout, "checkout", "--quiet", "--detach", sha); err != nil {
		return "", "", err
	}
	if _, err := os.Stat(filepath.Join(checkout, sub, "dbt_project.yml")); err != nil {
		where := "the repository"
		if d.Subdirectory != "" {
			where = "subdirectory " + d.Subdirectory
		}
		return "", "", fmt.Errorf("%s at %s holds no dbt_project.yml", where, rev)
	}
	_ = os.RemoveAll(filepath.Join(checkout, ".git"))
	_ = os.RemoveAll(dir)
	if err := os.Rename(checkout, dir); err != nil {
		return "", "", err
	}
	return filepath.Join(dir, sub), sha, nil
}

// gitURL checks a repository's address: http(s) always (dialed through the egress policy),
// a path or file:// URL only when local repositories are allowed. ssh and git:// would dial
// outside the policy's sight and are refused.
func (f *fetcher) gitURL(raw string) (string, bool, error) {
	if raw == "" || strings.HasPrefix(raw, "-") {
		return "", false, fmt.Errorf("%q is not a git URL", raw)
	}
	if u, err := url.Parse(raw); err == nil && u.Scheme != "" && len(u.Scheme) > 1 {
		switch u.Scheme {
		case "https", "http":
			return raw, false, nil
		case "file":
			if !f.opts.AllowLocalGit {
				return "", false, errors.New("a git repository on this machine's disk is not allowed here")
			}
			return raw, true, nil
		}
		return "", false, fmt.Errorf("git over %s is not supported (it would dial outside the egress policy); use an https URL", u.Scheme)
	}
	if strings.Contains(raw, "@") && strings.Contains(raw, ":") {
		return "", false, errors.New("git over ssh is not supported (it would dial outside the egress policy); use an https URL")
	}
	if !f.opts.AllowLocalGit {
		return "", false, errors.New("a git repository on this machine's disk is not allowed here")
	}
	abs, err := filepath.Abs(raw)
	if err != nil {
		return "", false, err
	}
	return abs, true, nil
}

// gitRunner runs the git program with a clean environment and only the protocols allowed.
type gitRunner struct {
	args  []string
	env   []string
	home  string
	proxy *http.Server
	// denied is the last connection the proxy could not open: git itself only reports
	// an HTTP status.
	denied *lastError
}

type lastError struct {
	mu  sync.Mutex
	err error
}

func (l *lastError) set(err error) { l.mu.Lock(); l.err = err; l.mu.Unlock() }

func (l *lastError) get() error { l.mu.Lock(); defer l.mu.Unlock(); return l.err }

func (f *fetcher) newGit(_ context.Context, local bool) (*gitRunner, error) {
	bin, err := exec.LookPath("git")
	if err != nil {
		return nil, errors.New("git packages need the git program, which is not installed")
	}
	home, err := os.MkdirTemp("", "datanika-git-home-")
	if err != nil {
		return nil, err
	}
	g := &gitRunner{home: home, args: []string{bin,
		"-c", "protocol.allow=never", "-c", "protocol.https.allow=always", "-c", "protocol.http.allow=always",
		"-c", "core.hooksPath=" + os.DevNull, "-c", "submodule.recurse=false", "-c", "credential.helper="}}
	if local {
		g.args = append(g.args, "-c", "protocol.file.allow=always")
	}
	g.env = []string{"HOME=" + home, "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull,
		"GIT_ASKPASS=", "SSH_ASKPASS=", "LANG=C", "LC_ALL=C"}
	if p := os.Getenv("PATH"); p != "" {
		g.env = append(g.env, "PATH="+p)
	}
	if f.opts.Dial != nil {
		g.denied = &lastError{}
		dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := f.opts.Dial(ctx, network, addr)
			if err != nil {
				g.denied.set(err)
			}
			return c, err
		}
		addr, srv, err := startProxy(dial)
		if err != nil {
			g.close()
			return nil, err
		}
		g.proxy = srv
		g.args = append(g.args, "-c", "http.proxy=http://"+addr)
	}
	return g, nil
}

func (g *gitRunner) close() {
	if g.proxy != nil {
		_ = g.proxy.Close()
	}
	_ = os.RemoveAll(g.home)
}

func (g *gitRunner) run(ctx context.Context, dir string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	full := append(append([]string(nil), g.args[1:]...), args...)
	cmd := exec.CommandContext(ctx, g.args[0], full...) //nolint:gosec // our own git invocation, arguments checked
	cmd.Env = g.env
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		if g.denied != nil {
			if derr := g.denied.get(); derr != nil {
				return "", fmt.Errorf("git %s: %s: %w", args[0], msg, derr)
			}
		}
		return "", fmt.Errorf("git %s: %s", args[0], msg)
	}
	return stdout.String(), nil
}

// startProxy serves an HTTP proxy on loopback for git: every connection it opens for git —
// CONNECT tunnels for https, requests for http — is dialed with dial, the egress policy's.
func startProxy(dial func(ctx context.Context, network, addr string) (net.Conn, error)) (string, *http.Server, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	transport := &http.Transport{DialContext: dial, Proxy: nil, ForceAttemptHTTP2: false, ResponseHeaderTimeout: time.Minute}
	forward := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.Out.URL = r.In.URL; r.Out.Host = r.In.Host },
		Transport: transport,
	}
	srv := &http.Server{ReadHeaderTimeout: 30 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			if !r.URL.IsAbs() {
				http.Error(w, "a proxy request needs an absolute URL", http.StatusBadRequest)
				return
			}
			forward.ServeHTTP(w, r)
			return
		}
		upstream, err := dial(r.Context(), "tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		hj, ok := w.(http.Hijacker)
		if !ok {
			_ = upstream.Close()
			http.Error(w, "cannot tunnel", http.StatusInternalServerError)
			return
		}
		client, buf, err := hj.Hijack()
		if err != nil {
			_ = upstream.Close()
			return
		}
		_, _ = client.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, _ = io.Copy(upstream, buf)
			if c, ok := upstream.(interface{ CloseWrite() error }); ok {
				_ = c.CloseWrite()
			}
		}()
		go func() {
			defer wg.Done()
			_, _ = io.Copy(client, upstream)
			if c, ok := client.(interface{ CloseWrite() error }); ok {
				_ = c.CloseWrite()
			}
		}()
		wg.Wait()
		_ = upstream.Close()
		_ = client.Close()
	})}
	go func() { _ = srv.Serve(ln) }()
	return ln.Addr().String(), srv, nil
}
