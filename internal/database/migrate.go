package database

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/datanika/datanika/db"
)

// migrateLockKey is the session advisory lock that serialises every migrating process, so two
// processes started together on an empty database migrate it once.
const migrateLockKey int64 = 0x646e6b5f6d6967 // "dnk_mig"

// MigrationsTable is where golang-migrate records our schema version.
const MigrationsTable = "schema_migrations"

// MigrateResult says what one Migrate call changed.
type MigrateResult struct {
	FromVersion  int64
	ToVersion    int64
	RiverApplied []int // River migration versions applied by this call
}

// Changed reports whether anything was applied.
func (r MigrateResult) Changed() bool {
	return r.FromVersion != r.ToVersion || len(r.RiverApplied) > 0
}

// Migrate applies our embedded migrations and then River's, both under one advisory lock.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) (MigrateResult, error) {
	var res MigrateResult
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return res, fmt.Errorf("acquire connection for migrations: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLockKey); err != nil {
		return res, fmt.Errorf("take migration lock: %w", err)
	}
	defer func() {
		// A fresh context: the lock must be released even when ctx was cancelled. If this fails
		// the lock goes with the session, so the connection is not returned to the pool.
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockKey); err != nil {
			_ = conn.Hijack().Close(context.WithoutCancel(ctx))
		}
	}()

	before, err := readSchemaVersion(ctx, pool)
	if err != nil {
		return res, err
	}
	res.FromVersion = before.Version
	if before.Dirty {
		return res, fmt.Errorf("the database schema is dirty at version %d: a migration failed half way and needs an operator", before.Version)
	}

	if err := migrateOurs(pool); err != nil {
		return res, err
	}
	after, err := readSchemaVersion(ctx, pool)
	if err != nil {
		return res, err
	}
	res.ToVersion = after.Version

	// River logs a line per migration at info level; our own summary line says it once.
	quiet := slog.New(minLevel{Handler: logger.Handler(), min: slog.LevelWarn})
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: quiet})
	if err != nil {
		return res, fmt.Errorf("river migrator: %w", err)
	}
	riverRes, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return res, fmt.Errorf("river migrations: %w", err)
	}
	for _, v := range riverRes.Versions {
		res.RiverApplied = append(res.RiverApplied, v.Version)
	}
	return res, nil
}

func migrateOurs(pool *pgxpool.Pool) error {
	src, err := iofs.New(db.Migrations, "migrations")
	if err != nil {
		return fmt.Errorf("read embedded migrations: %w", err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool) // closing it leaves the pool open
	driver, err := migratepgx.WithInstance(sqlDB, &migratepgx.Config{MigrationsTable: MigrationsTable})
	if err != nil {
		_ = sqlDB.Close()
		return fmt.Errorf("migration driver: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", driver)
	if err != nil {
		_ = sqlDB.Close()
		return fmt.Errorf("migrator: %w", err)
	}
	defer func() { _, _ = m.Close() }()
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// SchemaVersion is the state golang-migrate records.
type SchemaVersion struct {
	Version int64
	Dirty   bool
}

func readSchemaVersion(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}) (SchemaVersion, error) {
	var v SchemaVersion
	err := q.QueryRow(ctx, "SELECT version, dirty FROM "+MigrationsTable+" LIMIT 1").Scan(&v.Version, &v.Dirty)
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return SchemaVersion{}, nil
	case errors.As(err, &pgErr) && pgErr.Code == "42P01": // undefined_table: never migrated
		return SchemaVersion{}, nil
	case err != nil:
		return v, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// ExpectedVersion is the newest migration version embedded in this binary.
func ExpectedVersion() int64 {
	entries, err := fs.ReadDir(db.Migrations, "migrations")
	if err != nil {
		return 0
	}
	var newest int64
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		if !ok {
			continue
		}
		if v, err := strconv.ParseInt(prefix, 10, 64); err == nil && v > newest {
			newest = v
		}
	}
	return newest
}

// minLevel drops records below min.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
