package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load/pgload"
	"github.com/datanika/datanika/internal/testutil"
)

// The crash tests kill `datanika load` with SIGKILL while it is copying, then check that the
// destination is exactly as it was before the run (rows, staging, state), rerun it, and check
// that the result equals the source: no rows lost, none twice. The same scenarios run with the
// staging/publish protection switched off and there the checks must find the damage, which
// shows they can fail. The unprotected loader (internal/load/pgload/unsafe_direct.go) needs
// DATANIKA_LOAD_UNSAFE_DIRECT=1 and a test-only hook: this test binary, re-executed as the
// datanika command (crashLoaderEnv), calls the hook; the real binary never does, and the
// protected cases set DATANIKA_LOAD_UNSAFE_DIRECT=1 too, to show it alone changes nothing.

// crashLoaderEnv makes this test binary run as `datanika` with the unprotected loader allowed.
const crashLoaderEnv = "DATANIKA_CRASH_TEST_LOADER"

func init() {
	if os.Getenv(crashLoaderEnv) == "1" {
		pgload.EnableUnsafeDirectForTests()
		os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
}

const (
	crashInitialRows = 1000    // loaded by a first, clean run: the "before" the kill must keep
	crashNewRows     = 200_000 // what the killed run is copying: enough that the copy outlasts the test noticing the kill point
	crashKillAt      = 10_000  // rows read when the kill is sent: well inside the copy
	crashBatchSize   = 5000
)

type crashCase struct {
	name   string
	source string // "postgres" or "mysql"
	mode   string // append, replace or merge
}

// crashProblem is one thing the checks found; kind is what the unprotected runs are expected to
// show (changed, duplicates).
type crashProblem struct{ kind, detail string }

func TestLoadCrash_KilledDuringCopyChangesNothingAndRerunCompletes(t *testing.T) {
	t.Parallel()
	cases := []crashCase{
		{"postgres append", "postgres", "append"},
		{"postgres replace", "postgres", "replace"},
		{"postgres merge", "postgres", "merge"},
		{"mariadb append", "mysql", "append"},
		{"mariadb merge", "mysql", "merge"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			problems := runCrashScenario(t, c, binary, false)
			for _, p := range problems {
				t.Errorf("%s: %s", p.kind, p.detail)
			}
		})
	}
	// The same kill without staging/publish: the checks must report a partial or duplicated
	// result, or they prove nothing.
	for _, c := range cases {
		if c.source == "mysql" {
			continue // the unprotected loader is the destination's: the PostgreSQL sources show it
		}
		t.Run("unprotected "+c.name, func(t *testing.T) {
			t.Parallel()
			problems := runCrashScenario(t, c, os.Args[0], true)
			kinds := map[string]bool{}
			for _, p := range problems {
				t.Logf("detected as it should be — %s: %s", p.kind, p.detail)
				kinds[p.kind] = true
			}
			require.True(t, kinds["changed"], "the kill left the destination as it was although nothing protected it: the check cannot fail")
			if c.mode == "append" {
				require.True(t, kinds["duplicates"], "the rerun after an unprotected kill must append the copied rows twice, and the check must see it")
			}
		})
	}
}

// crashEnv is one scenario's databases.
type crashEnv struct {
	c       crashCase
	srcURL  string
	pgSrc   *pgx.Conn // postgres source
	mySrc   *sql.DB   // mysql source
	myDB    string
	dstURL  string
	dstName string
	dst     *pgx.Conn
}

func newCrashEnv(t *testing.T, c crashCase) *crashEnv {
	t.Helper()
	ctx := context.Background()
	e := &crashEnv{c: c}
	e.dstURL = testutil.EmptyDatabase(t)
	e.dst = crashConnect(t, e.dstURL)
	u, err := url.Parse(e.dstURL)
	require.NoError(t, err)
	e.dstName = strings.TrimPrefix(u.Path, "/")
	ts := func(n string) string { return "timestamptz '2024-01-01Z' + " + n + " * interval '1 second'" }
	if c.source == "postgres" {
		// One database: the source in public, the destination in raw.
		e.srcURL, e.pgSrc = e.dstURL, e.dst
		_, err := e.pgSrc.Exec(ctx, `CREATE TABLE public.items (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2), updated_at timestamptz NOT NULL);
			INSERT INTO public.items SELECT g, 'item ' || g, g / 7.0, `+ts("g")+` FROM generate_series(1, `+strconv.Itoa(crashInitialRows)+`) g`)
		require.NoError(t, err)
		return e
	}
	e.mySrc, e.myDB, e.srcURL = crashMySQL(t)
	_, err = e.mySrc.ExecContext(ctx, "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, amount DECIMAL(12,2),"+
		" updated_at DATETIME NOT NULL); INSERT INTO items SELECT seq, CONCAT('item ', seq), seq / 7, '2024-01-01' + INTERVAL seq SECOND"+
		" FROM seq_1_to_"+strconv.Itoa(crashInitialRows))
	require.NoError(t, err)
	return e
}

func crashConnect(t *testing.T, u string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), u)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	_, err = conn.Exec(context.Background(), "SET TimeZone = 'UTC'")
	require.NoError(t, err)
	return conn
}

// crashMySQL makes a MariaDB database for one scenario and returns it with its URL.
func crashMySQL(t *testing.T) (*sql.DB, string, string) {
	t.Helper()
	dsn := testutil.MySQLDSN(t)
	admin, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "dnk_crash_" + hex.EncodeToString(suffix)
	ctx := context.Background()
	_, err = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`")
	require.NoError(t, err)
	_, err = admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4")
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`") })
	db, err := sql.Open("mysql", strings.TrimSuffix(dsn, "/")+"/"+name+"?multiStatements=true")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	userPart, hostPart, _ := strings.Cut(strings.TrimSuffix(dsn, "/"), "@tcp(")
	u := url.URL{Scheme: "mysql", Host: strings.TrimSuffix(hostPart, ")"), Path: "/" + name}
	if user, pass, ok := strings.Cut(userPart, ":"); ok {
		u.User = url.UserPassword(user, pass)
	} else {
		u.User = url.User(userPart)
	}
	return db, name, u.String()
}

func (e *crashEnv) config() string {
	table := "public.items"
	if e.c.source == "mysql" {
		table = e.myDB + ".items"
	}
	base := fmt.Sprintf(`"mode": "single_table", "table": %q, "batch_size": %d, "write_disposition": %q`, table, crashBatchSize, e.c.mode)
	switch e.c.mode {
	case "append":
		return `{` + base + `, "incremental": {"cursor_path": "id"}}`
	case "merge":
		return `{` + base + `, "primary_key": "id", "incremental": {"cursor_path": "updated_at"}}`
	default:
		return `{` + base + `}`
	}
}

func (e *crashEnv) args() []string {
	return []string{"load", "--source", e.srcURL, "--destination", e.dstURL, "--name", "crash", "--config", e.config(), "--progress"}
}

// change gives the next run its work: many new rows, and for replace and merge changed and
// deleted ones too.
func (e *crashEnv) change(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	from, to := strconv.Itoa(crashInitialRows+1), strconv.Itoa(crashInitialRows+crashNewRows)
	var stmts []string
	if e.c.source == "postgres" {
		stmts = append(stmts, `INSERT INTO public.items SELECT g, 'item ' || g, g / 7.0, timestamptz '2024-06-01Z' + g * interval '1 second'
			FROM generate_series(`+from+`, `+to+`) g`)
		if e.c.mode != "append" {
			stmts = append(stmts, `UPDATE public.items SET name = 'changed ' || id, amount = amount + 1,
				updated_at = timestamptz '2025-01-01Z' + id * interval '1 second' WHERE id <= 300`)
		}
		if e.c.mode == "replace" {
			stmts = append(stmts, `DELETE FROM public.items WHERE id BETWEEN 301 AND 400`)
		}
		for _, s := range stmts {
			_, err := e.pgSrc.Exec(ctx, s)
			require.NoError(t, err)
		}
		return
	}
	stmts = append(stmts, "INSERT INTO items SELECT seq, CONCAT('item ', seq), seq / 7, '2024-06-01' + INTERVAL seq SECOND FROM seq_"+from+"_to_"+to)
	if e.c.mode != "append" {
		stmts = append(stmts, "UPDATE items SET name = CONCAT('changed ', id), amount = amount + 1,"+
			" updated_at = '2025-01-01' + INTERVAL id SECOND WHERE id <= 300")
	}
	for _, s := range stmts {
		_, err := e.mySrc.ExecContext(ctx, s)
		require.NoError(t, err)
	}
}

// snapshot is what "the destination as it was" means: the target's rows (every column,
// order-independent), the loader's tables, the state rows.
type snapshot struct {
	rows       int64
	digest     string
	tables     []string
	state      []string
	stagingLft []string
}

// rowDigest is an order-independent digest of the text of whole rows: the sum of a 60-bit
// prefix of each row's md5, exact in numeric.
const rowDigest = `coalesce(sum(('x' || substr(md5(%s), 1, 15))::bit(60)::bigint), 0)::text`

func (e *crashEnv) snapshot(t *testing.T) snapshot {
	t.Helper()
	ctx := context.Background()
	var s snapshot
	var err error
	s.tables, err = pgStrings(ctx, e.dst, `SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)
	require.NoError(t, err)
	s.stagingLft, err = pgStrings(ctx, e.dst, `SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relname LIKE '\_dnk\_stage\_%' OR c.relname LIKE '\_dnk\_new\_%' OR c.relname = '_dnk_direct' ORDER BY 1`)
	require.NoError(t, err)
	var exists bool
	require.NoError(t, e.dst.QueryRow(ctx, `SELECT to_regclass('raw.items') IS NOT NULL`).Scan(&exists))
	if exists {
		require.NoError(t, e.dst.QueryRow(ctx, `SELECT count(*), `+fmt.Sprintf(rowDigest, "t::text")+` FROM raw.items t`).Scan(&s.rows, &s.digest))
	}
	require.NoError(t, e.dst.QueryRow(ctx, `SELECT to_regclass('raw._dnk_state') IS NOT NULL`).Scan(&exists))
	if exists {
		s.state, err = pgStrings(ctx, e.dst, `SELECT s::text FROM raw._dnk_state s ORDER BY pipeline, table_name`)
		require.NoError(t, err)
	}
	return s
}

func pgStrings(ctx context.Context, conn *pgx.Conn, q string) ([]string, error) {
	rows, err := conn.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// content is the data of the table, compared between source and destination.
type content struct {
	rows, distinct int64
	digest         string
	maxCursor      string
}

const contentDigestPG = `SELECT count(*), count(DISTINCT id), ` +
	`coalesce(sum(('x' || substr(md5(concat_ws('|', id, name, amount, to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS'))), 1, 15))::bit(60)::bigint), 0)::text, ` +
	`coalesce(max(id)::text, '') || '/' || coalesce(to_char(max(updated_at), 'YYYY-MM-DD HH24:MI:SS'), '') FROM `

func (e *crashEnv) sourceContent(t *testing.T) content {
	t.Helper()
	ctx := context.Background()
	var c content
	if e.c.source == "postgres" {
		require.NoError(t, e.pgSrc.QueryRow(ctx, contentDigestPG+"public.items").Scan(&c.rows, &c.distinct, &c.digest, &c.maxCursor))
		return c
	}
	require.NoError(t, e.mySrc.QueryRowContext(ctx, "SELECT COUNT(*), COUNT(DISTINCT id), CAST(COALESCE(SUM(CAST(CONV(SUBSTR(MD5(CONCAT_WS('|', id, name, amount,"+
		" DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s'))), 1, 15), 16, 10) AS UNSIGNED)), 0) AS CHAR),"+
		" CONCAT(COALESCE(MAX(id), ''), '/', COALESCE(DATE_FORMAT(MAX(updated_at), '%Y-%m-%d %H:%i:%s'), '')) FROM items").
		Scan(&c.rows, &c.distinct, &c.digest, &c.maxCursor))
	return c
}

func (e *crashEnv) destinationContent(t *testing.T) content {
	t.Helper()
	var c content
	require.NoError(t, e.dst.QueryRow(context.Background(), contentDigestPG+"raw.items").Scan(&c.rows, &c.distinct, &c.digest, &c.maxCursor))
	return c
}

// killDuringCopy starts the load, waits until it reports crashKillAt rows read and its COPY
// into the destination is running, and kills it with SIGKILL. It fails the test if the run
// ended on its own first: then nothing was shown.
func (e *crashEnv) killDuringCopy(t *testing.T, bin string, env []string, requireCopy bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, e.args()...)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	var stdout strings.Builder
	cmd.Stdout = &stdout
	require.NoError(t, cmd.Start())
	reached := make(chan int64, 1)
	var mu sync.Mutex
	var lines []string
	scanDone := make(chan struct{})
	go func() {
		defer close(scanDone)
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			mu.Lock()
			lines = append(lines, sc.Text())
			mu.Unlock()
			f := strings.Fields(sc.Text())
			if len(f) >= 3 && f[0] == "progress" && !sent {
				if n, err := strconv.ParseInt(f[2], 10, 64); err == nil && n >= crashKillAt {
					reached <- n
					sent = true
				}
			}
		}
	}()
	var copying int
	select {
	case n := <-reached:
		// The kill goes in while the destination's COPY FROM is under way: at crashKillAt rows
		// read the writer may be between two batches, so wait (briefly: the copy has most of
		// its rows to go) until the destination shows one.
		for wait := time.Now().Add(3 * time.Second); ; time.Sleep(time.Millisecond) {
			require.NoError(t, e.dst.QueryRow(ctx, `SELECT count(*) FROM pg_stat_progress_copy WHERE datname = $1 AND command = 'COPY FROM'`,
				e.dstName).Scan(&copying))
			if copying > 0 || !requireCopy || time.Now().After(wait) {
				break
			}
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		t.Logf("SIGKILL at %d rows read; COPY FROM running in the destination: %d", n, copying)
	case <-scanDone:
	}
	err = cmd.Wait()
	<-scanDone
	mu.Lock()
	defer mu.Unlock()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || !exitErr.Sys().(syscall.WaitStatus).Signaled() {
		t.Fatalf("the load was not killed during the copy (it ended on its own: %v); stdout %q, stderr:\n%s",
			err, stdout.String(), strings.Join(lines, "\n"))
	}
	if requireCopy && copying == 0 {
		t.Fatalf("no COPY FROM was running in the destination when the kill was sent; stderr:\n%s", strings.Join(lines, "\n"))
	}
	// The server notices the lost client and ends its session (dropping temporary tables);
	// wait for that before looking.
	deadline := time.Now().Add(15 * time.Second)
	for {
		var others int
		require.NoError(t, e.dst.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
			e.dstName).Scan(&others))
		if others == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the killed loader's session is still in the destination after 15s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runCrashScenario loads once cleanly, changes the source, kills a load during its copy,
// checks nothing changed, reruns and checks the result equals the source. It returns what the
// checks found rather than failing, so the unprotected runs can require problems.
func runCrashScenario(t *testing.T, c crashCase, bin string, unprotected bool) []crashProblem {
	t.Helper()
	start := time.Now()
	lap := func(what string) { t.Logf("%.2fs %s", time.Since(start).Seconds(), what) }
	e := newCrashEnv(t, c)
	lap("databases")
	env := baseEnv(pgload.UnsafeDirectEnv + "=1")
	if unprotected {
		env = append(env, crashLoaderEnv+"=1")
	}
	// The "before": a first run, by the production binary.
	res := runBinary(t, baseEnv(), e.args()...)
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Contains(t, res.stderr, fmt.Sprintf("progress raw.items %d rows, done", crashInitialRows))
	lap("first run")
	e.change(t)
	lap("source changed")
	before := e.snapshot(t)
	require.Equal(t, int64(crashInitialRows), before.rows)
	require.Empty(t, before.stagingLft)

	var problems []crashProblem
	report := func(kind, format string, a ...any) {
		problems = append(problems, crashProblem{kind, fmt.Sprintf(format, a...)})
	}

	e.killDuringCopy(t, bin, env, !unprotected)
	lap("killed")
	after := e.snapshot(t)
	if after.rows != before.rows || after.digest != before.digest {
		report("changed", "after the kill raw.items has %d rows (digest %s), before it had %d (digest %s)",
			after.rows, after.digest, before.rows, before.digest)
	}
	if len(after.stagingLft) > 0 {
		report("leftover", "staging left behind by the killed run: %v", after.stagingLft)
	}
	if !slices.Equal(after.tables, before.tables) {
		report("tables", "the destination's tables were %v and are %v after the kill", before.tables, after.tables)
	}
	if !slices.Equal(after.state, before.state) {
		report("state", "the state was %v and is %v after the kill", before.state, after.state)
	}

	res = runBinary(t, env, e.args()...)
	if res.code != exitOK {
		report("rerun", "the rerun failed (exit %d): %s", res.code, res.stderr)
		return problems
	}
	lap("rerun")
	want, got := e.sourceContent(t), e.destinationContent(t)
	if got.distinct != got.rows {
		report("duplicates", "raw.items has %d rows but %d distinct ids after the rerun", got.rows, got.distinct)
	}
	if got.distinct < want.distinct {
		report("gaps", "raw.items has %d distinct ids after the rerun, the source %d", got.distinct, want.distinct)
	}
	if got != want {
		report("content", "after the rerun raw.items is %+v, the source %+v", got, want)
	}
	if c.mode == "append" {
		var runs int
		require.NoError(t, e.dst.QueryRow(context.Background(), `SELECT count(DISTINCT _dnk_run_id) FROM raw.items WHERE id > $1`,
			crashInitialRows).Scan(&runs))
		if runs != 1 {
			report("duplicates", "the new rows were appended by %d runs, not one", runs)
		}
	}
	if c.mode != "replace" {
		var cursor string
		require.NoError(t, e.dst.QueryRow(context.Background(), `SELECT cursor_value FROM raw._dnk_state WHERE pipeline = 'crash'`).Scan(&cursor))
		wantCursor := strconv.Itoa(crashInitialRows + crashNewRows)
		if c.mode == "merge" {
			// The largest updated_at: the rows changed in 2025.
			wantCursor = "2025-01-01T00:05:00"
		}
		if !strings.HasPrefix(cursor, wantCursor) {
			report("state", "the state after the rerun is %q, want %q", cursor, wantCursor)
		}
	}
	if final := e.snapshot(t); len(final.stagingLft) > 0 {
		report("leftover", "staging left behind after the rerun: %v", final.stagingLft)
	}
	return problems
}
