// Package testutil gives tests real databases: a migrated PostgreSQL database cloned from a
// template for each test that commits, a rolled-back transaction on a shared migrated database
// for each test that does not, and the local MariaDB for connector tests.
package testutil

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/db"
	"github.com/datanika/datanika/internal/database"
)

// DefaultAdminURL is used when TEST_DATABASE_URL is not set: the local server, as postgres.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AdminURL is a URL of a PostgreSQL server where tests may create and drop databases.
func AdminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultAdminURL
}

// URLFor returns AdminURL pointed at another database on the same server.
func URLFor(t testing.TB, dbName string) string {
	t.Helper()
	u, err := url.Parse(AdminURL())
	require.NoError(t, err, "TEST_DATABASE_URL must be a postgres:// URL")
	u.Path = "/" + dbName
	return u.String()
}

// Logger is a quiet logger for code under test.
func Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// EmptyDatabase creates a database with no schema at all, dropped after the test, and returns
// its URL.
func EmptyDatabase(t testing.TB) string {
	t.Helper()
	name := "dnk_test_" + randomSuffix()
	admin := adminConn(t)
	_, err := admin.Exec(context.Background(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	require.NoError(t, err)
	t.Cleanup(func() { dropDatabase(t, name) })
	return URLFor(t, name)
}

// NewDatabase creates a fresh database, migrated like production (ours and River's), cloned from
// a template so it costs a file copy rather than a migration run. It is dropped after the test.
// Use it where the code under test commits, listens, or runs River; otherwise prefer Tx.
func NewDatabase(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	tmpl := ensureTemplate(t)
	name := "dnk_test_" + randomSuffix()
	admin := adminConn(t)
	_, err := admin.Exec(context.Background(), fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{tmpl}.Sanitize()))
	require.NoError(t, err)
	t.Cleanup(func() { dropDatabase(t, name) })
	u := URLFor(t, name)
	pool, err := pgxpool.New(context.Background(), u)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool, u
}

var shared struct {
	once sync.Once
	pool *pgxpool.Pool
	err  error
}

// Tx returns a transaction on a shared migrated database, as the server's app role (row-level
// security applies), rolled back when the test ends: the fast tier. Services given it open a
// savepoint per call (database.DB). Tests see a clean schema, leave nothing behind, and cost a
// BEGIN instead of a database cloned from the template; a test that must observe a commit, or
// needs River working jobs, uses NewDatabase instead. Rows of other tests are invisible (they
// never commit); a unique value two parallel tests both insert makes the second wait for the
// first to end, so fixtures use unique names (uniqueEmail…).
func Tx(t testing.TB) pgx.Tx {
	t.Helper()
	pool := SharedPool(t)
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	_, err = tx.Exec(ctx, "SET LOCAL ROLE "+database.AppRole)
	require.NoError(t, err)
	return tx
}

// SharedPool is the pool of the fast tier's shared database (see Tx). Nothing may be committed
// to it: it is for what a Tx test needs beside its transaction (an insert-only River client).
func SharedPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	shared.once.Do(func() {
		// The shared database is named after the schema hash and never dropped: nothing is ever
		// committed to it, so any number of test processes can use it at once and reuse it.
		tmpl := ensureTemplate(t)
		name := "dnk_shared_" + schemaHash()[:12]
		admin := adminConn(t)
		ctx := context.Background()
		withLock(t, admin, name, func() {
			var exists bool
			if shared.err = admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); shared.err != nil || exists {
				return
			}
			_, shared.err = admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
				pgx.Identifier{name}.Sanitize(), pgx.Identifier{tmpl}.Sanitize()))
		})
		if shared.err == nil {
			var cfg *pgxpool.Config
			if cfg, shared.err = pgxpool.ParseConfig(URLFor(t, name)); shared.err == nil {
				cfg.MaxConns = 24 // one per parallel test holding its transaction
				shared.pool, shared.err = pgxpool.NewWithConfig(ctx, cfg)
			}
		}
	})
	require.NoError(t, shared.err, "shared test database")
	return shared.pool
}

var template struct {
	mu   sync.Mutex
	name string
}

// ensureTemplate builds the migrated template database once per schema version, across
// processes: it is built under another name and renamed when complete, under an advisory lock.
func ensureTemplate(t testing.TB) string {
	t.Helper()
	template.mu.Lock()
	defer template.mu.Unlock()
	if template.name != "" {
		return template.name
	}
	name := "dnk_tmpl_" + schemaHash()[:12]
	admin := adminConn(t)
	ctx := context.Background()
	withLock(t, admin, name, func() {
		var exists bool
		require.NoError(t, admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists))
		if exists {
			return
		}
		build := name + "_build_" + randomSuffix()
		_, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{build}.Sanitize())
		require.NoError(t, err)
		pool, err := pgxpool.New(ctx, URLFor(t, build))
		require.NoError(t, err)
		_, err = database.Migrate(ctx, pool, Logger())
		pool.Close()
		if err != nil {
			dropDatabase(t, build)
		}
		require.NoError(t, err, "migrate template database")
		_, err = admin.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s",
			pgx.Identifier{build}.Sanitize(), pgx.Identifier{name}.Sanitize()))
		require.NoError(t, err)
	})
	template.name = name
	return name
}

// schemaHash identifies the schema a template holds: our migration files and River's.
func schemaHash() string {
	h := sha256.New()
	var names []string
	_ = fs.WalkDir(db.Migrations, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, path)
		}
		return nil
	})
	sort.Strings(names)
	for _, n := range names {
		b, _ := fs.ReadFile(db.Migrations, n)
		h.Write([]byte(n))
		h.Write(b)
	}
	if m, err := rivermigrate.New(riverpgxv5.New(nil), nil); err == nil {
		for _, v := range m.AllVersions() {
			fmt.Fprintf(h, "river:%d:%s", v.Version, v.SQLUp)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func adminConn(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, AdminURL())
	require.NoError(t, err, "connect to the test PostgreSQL server (set TEST_DATABASE_URL)")
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func withLock(t testing.TB, conn *pgx.Conn, name string, fn func()) {
	t.Helper()
	ctx := context.Background()
	_, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtext($1))", name)
	require.NoError(t, err)
	defer func() { _, _ = conn.Exec(ctx, "SELECT pg_advisory_unlock(hashtext($1))", name) }()
	fn()
}

func dropDatabase(t testing.TB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Logf("drop database %s: %v", name, err)
		return
	}
	defer func() { _ = conn.Close(ctx) }()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Logf("drop database %s: %v", name, err)
	}
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// AppPool connects to the database at url as the server does: every connection switches to the
// non-owner app role, so row-level security applies.
func AppPool(t testing.TB, dbURL string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dbURL)
	require.NoError(t, err)
	database.AsAppRole(cfg)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// OwnerPool connects to the same database as pool, as the connecting user itself (no SET ROLE),
// so a test can look at rows outside row-level security.
func OwnerPool(t testing.TB, pool *pgxpool.Pool) *pgxpool.Pool {
	t.Helper()
	// One owner pool per test and pool: fixtures that ask for it on every call (the RBAC walk
	// builds hundreds) would otherwise exhaust the server's connections.
	key := ownerKey{t, pool}
	ownerPoolsMu.Lock()
	defer ownerPoolsMu.Unlock()
	if owner, ok := ownerPools[key]; ok {
		return owner
	}
	cfg := pool.Config().ConnConfig.Copy()
	owner, err := pgxpool.New(context.Background(), cfg.ConnString())
	require.NoError(t, err)
	ownerPools[key] = owner
	t.Cleanup(func() {
		ownerPoolsMu.Lock()
		delete(ownerPools, key)
		ownerPoolsMu.Unlock()
		owner.Close()
	})
	return owner
}

type ownerKey struct {
	t    testing.TB
	pool *pgxpool.Pool
}

var (
	ownerPoolsMu sync.Mutex
	ownerPools   = map[ownerKey]*pgxpool.Pool{}
)
