package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/testutil"
)

// These tests drive the real binary, as operators and the acceptance checks do.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "datanika-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "datanika")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the binary:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// baseEnv is a clean environment: nothing of the developer's shell leaks into the process.
func baseEnv(extra ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "LOG_FORMAT=text"}, extra...)
}

type result struct {
	code     int
	stdout   string
	stderr   string
	duration time.Duration
}

func runBinary(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String(), duration: time.Since(start)}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("run %v: %v", args, err)
	}
	return res
}

func nonEmptyLines(s string) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func TestServe_UnparsableDatabaseURLFailsWithOneLine(t *testing.T) {
	t.Parallel()
	res := runBinary(t, baseEnv("DATABASE_URL=postgres://admin:hunter2secret@db:notaport/x"), "serve")
	require.Equal(t, exitUsage, res.code)
	lines := nonEmptyLines(res.stderr)
	require.Len(t, lines, 1, res.stderr)
	require.Contains(t, lines[0], "DATABASE_URL")
	require.NotContains(t, res.stderr, "hunter2secret", "the password must never be printed")
}

func TestServe_UnreachableDatabaseFailsAfterBoundedRetry(t *testing.T) {
	t.Parallel()
	res := runBinary(t, baseEnv(
		"DATABASE_URL=postgres://postgres@127.0.0.1:1/datanika?sslmode=disable",
		"DATABASE_CONNECT_TIMEOUT=2s", "HTTP_ADDR=127.0.0.1:0",
	), "serve")
	require.Equal(t, exitFailure, res.code)
	lines := nonEmptyLines(res.stderr)
	require.Len(t, lines, 1, res.stderr)
	require.Contains(t, lines[0], "cannot reach the database at 127.0.0.1:1")
	require.Less(t, res.duration, 10*time.Second)
}

func TestServe_ProductionRefusesMissingSecrets(t *testing.T) {
	t.Parallel()
	res := runBinary(t, baseEnv(
		"DATANIKA_ENV=production",
		"DATABASE_URL=postgres://postgres@127.0.0.1:5432/datanika?sslmode=disable",
	), "serve")
	require.Equal(t, exitUsage, res.code)
	lines := nonEmptyLines(res.stderr)
	require.Len(t, lines, 1, res.stderr)
	require.Contains(t, lines[0], "SECRET_KEY")
	require.Contains(t, lines[0], "ENCRYPTION_KEYS")

	res = runBinary(t, baseEnv(
		"DATANIKA_ENV=production",
		"DATABASE_URL=postgres://postgres@127.0.0.1:5432/datanika?sslmode=disable",
		"SECRET_KEY=datanika-development-secret-key-not-for-production",
		"ENCRYPTION_KEYS=dev:ZGF0YW5pa2EtZGV2LWtleS1ub3QtZm9yLXByb2R1Y3Q=",
	), "serve")
	require.Equal(t, exitUsage, res.code, "the public default secrets are refused too")
}

func TestCommands_UsageAndVersion(t *testing.T) {
	t.Parallel()
	res := runBinary(t, baseEnv(), "version")
	require.Equal(t, exitOK, res.code)
	require.Regexp(t, `^datanika \S+ \(commit \S+, go[\d.]+\)\n$`, res.stdout)

	res = runBinary(t, baseEnv(), "frobnicate")
	require.Equal(t, exitUsage, res.code)
	require.Contains(t, res.stderr, `unknown command "frobnicate"`)

	res = runBinary(t, baseEnv())
	require.Equal(t, exitUsage, res.code)

	res = runBinary(t, baseEnv("DATABASE_URL=postgres://x@127.0.0.1/db"), "serve", "--role", "cook")
	require.Equal(t, exitUsage, res.code)
	require.Contains(t, res.stderr, "--role must be all, api or worker")
}

func TestMigrate_CreatesAndMigratesTheDatabase(t *testing.T) {
	t.Parallel()
	name := fmt.Sprintf("dnk_test_create_%d", time.Now().UnixNano())
	url := testutil.URLFor(t, name)
	t.Cleanup(func() { dropDatabase(t, name) })

	res := runBinary(t, baseEnv("DATABASE_URL="+url), "migrate", "--create-database")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Contains(t, res.stdout, fmt.Sprintf("migrated the schema from version 0 to %d", database.ExpectedVersion()))

	res = runBinary(t, baseEnv("DATABASE_URL="+url), "migrate")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Contains(t, res.stdout, "up to date")
}

// process is a running `datanika serve`.
type process struct {
	cmd  *exec.Cmd
	url  string
	mu   sync.Mutex
	logs bytes.Buffer
	done chan error
}

var upLine = regexp.MustCompile(`msg="datanika is up" url=(http://\S+)`)

func startServer(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve"}, args...)...) //nolint:gosec // our own binary
	cmd.Env = env
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	require.NoError(t, cmd.Start())
	s := &process{cmd: cmd, done: make(chan error, 1)}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.mu.Lock()
			s.logs.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := upLine.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	go func() { s.done <- cmd.Wait(); _ = pw.Close() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	select {
	case s.url = <-urls:
	case err := <-s.done:
		t.Fatalf("the server exited before it was up (%v):\n%s", err, s.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("the server did not come up in 60s:\n%s", s.log())
	}
	return s
}

func (s *process) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

func (s *process) get(t *testing.T, path string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, s.url+path, nil)
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_ = res.Body.Close()
	return res.StatusCode
}

func (s *process) stop(t *testing.T, within time.Duration) {
	t.Helper()
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-s.done:
		require.NoError(t, err, "SIGTERM must end the process with exit code 0:\n%s", s.log())
	case <-time.After(within):
		t.Fatalf("the server did not stop within %s of SIGTERM:\n%s", within, s.log())
	}
}

func TestServe_TwoProcessesOnEmptyDatabaseMigrateOnceAndBothBecomeReady(t *testing.T) {
	t.Parallel()
	url := testutil.EmptyDatabase(t)
	env := baseEnv("DATABASE_URL="+url, "HTTP_ADDR=127.0.0.1:0", "SHUTDOWN_TIMEOUT=10s")

	var servers [2]*process
	var wg sync.WaitGroup
	for i := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			servers[i] = startServer(t, env)
		}()
	}
	wg.Wait()
	for _, s := range servers {
		require.NotNil(t, s)
		require.Eventually(t, func() bool { return s.get(t, "/readyz") == http.StatusOK }, 20*time.Second, 100*time.Millisecond)
		require.Equal(t, http.StatusOK, s.get(t, "/healthz"))
		require.Equal(t, http.StatusOK, s.get(t, "/api/v1/version"))
		require.Equal(t, http.StatusOK, s.get(t, "/pipelines"), "deep links serve the app")
		require.Equal(t, http.StatusNotFound, s.get(t, "/api/v1/nope"))
	}
	applied := strings.Count(servers[0].log(), `msg="migrations applied"`) + strings.Count(servers[1].log(), `msg="migrations applied"`)
	upToDate := strings.Count(servers[0].log(), `msg="database schema up to date"`) + strings.Count(servers[1].log(), `msg="database schema up to date"`)
	require.Equal(t, 1, applied, "exactly one process applies the migrations")
	require.Equal(t, 1, upToDate, "the other finds them applied")

	for _, s := range servers {
		start := time.Now()
		s.stop(t, 10*time.Second)
		require.Less(t, time.Since(start), 10*time.Second)
		require.Contains(t, s.log(), `msg=stopped`)
	}
}

func TestServe_WorkerRoleServesOnlyOperationsEndpoints(t *testing.T) {
	t.Parallel()
	_, url := testutil.NewDatabase(t)
	s := startServer(t, baseEnv("DATABASE_URL="+url, "HTTP_ADDR=127.0.0.1:0"), "--role", "worker")
	require.Equal(t, http.StatusOK, s.get(t, "/healthz"))
	require.Equal(t, http.StatusOK, s.get(t, "/readyz"))
	require.Equal(t, http.StatusNotFound, s.get(t, "/api/v1/version"))
	require.Equal(t, http.StatusNotFound, s.get(t, "/"))
	s.stop(t, 30*time.Second)
}

func TestServe_PortInUseFailsWithOneLine(t *testing.T) {
	t.Parallel()
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = ln.Close() }()
	_, url := testutil.NewDatabase(t)
	res := runBinary(t, baseEnv("DATABASE_URL="+url, "HTTP_ADDR="+ln.Addr().String()), "serve")
	require.Equal(t, exitFailure, res.code)
	lines := nonEmptyLines(res.stderr)
	require.Len(t, lines, 1, res.stderr)
	require.Contains(t, lines[0], "listen on "+ln.Addr().String())
}

func dropDatabase(t *testing.T, name string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testutil.AdminURL())
	if err != nil {
		t.Logf("drop %s: %v", name, err)
		return
	}
	defer func() { _ = conn.Close(ctx) }()
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}
