package pgload

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/datanika/datanika/internal/load"

	"github.com/jackc/pgx/v5"
)

// A loader without protection, for the crash tests only (cmd/datanika/crash_test.go): it
// writes each batch straight into the target and commits it — replace truncates first, merge
// deletes and inserts batch by batch — with no staging, no verify and no publishing
// transaction, so a killed run leaves a partial table and a rerun appends again. The crash
// tests run it to show that their checks see that damage.
//
// It is used only when DATANIKA_LOAD_UNSAFE_DIRECT=1 in a process where
// EnableUnsafeDirectForTests was called, and only a test calls that: no environment, flag or
// config of the product can switch the protection off.

// UnsafeDirectEnv switches the unprotected loader on, once the test hook allows it.
const UnsafeDirectEnv = "DATANIKA_LOAD_UNSAFE_DIRECT"

var unsafeDirectAllowed atomic.Bool

// EnableUnsafeDirectForTests lets UnsafeDirectEnv take effect in this process. Tests only.
func EnableUnsafeDirectForTests() { unsafeDirectAllowed.Store(true) }

func (d *postgresDestination) beginUnsafe(ctx context.Context, plan *load.TablePlan) (load.TableLoad, bool, error) {
	if !unsafeDirectAllowed.Load() || os.Getenv(UnsafeDirectEnv) != "1" {
		return nil, false, nil
	}
	l := &pgDirectLoad{d: d, plan: plan, loadedAt: time.Now().UTC()}
	return l, true, l.begin(ctx)
}

type pgDirectLoad struct {
	d        *postgresDestination
	plan     *load.TablePlan
	loadedAt time.Time
}

func (l *pgDirectLoad) begin(ctx context.Context) error {
	d, plan := l.d, l.plan
	cols := make([]string, 0, len(plan.Columns)+2)
	for i, c := range plan.Source.Columns {
		cols = append(cols, pgIdent(plan.Columns[i])+" "+load.PostgresColumnType(c.Type))
	}
	cols = append(cols, pgIdent(load.LoadedAtColumn)+" timestamptz NOT NULL", pgIdent(load.RunIDColumn)+" text NOT NULL")
	stmts := []string{"CREATE SCHEMA IF NOT EXISTS " + pgIdent(d.schema),
		"CREATE TABLE IF NOT EXISTS " + d.qualified(plan.Name) + " (" + strings.Join(cols, ", ") + ")"}
	if plan.Disposition == load.Replace {
		stmts = append(stmts, "TRUNCATE "+d.qualified(plan.Name))
	}
	if plan.Disposition == load.Merge {
		stmts = append(stmts, "CREATE TEMPORARY TABLE IF NOT EXISTS _dnk_direct (LIKE "+d.qualified(plan.Name)+")")
	}
	for _, s := range stmts {
		if _, err := d.conn.Exec(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// Copy commits every batch on its own.
func (l *pgDirectLoad) Copy(ctx context.Context, next func() (*load.Batch, error)) (int64, error) {
	d, plan := l.d, l.plan
	cols := append(append([]string{}, plan.Columns...), load.LoadedAtColumn, load.RunIDColumn)
	into := pgx.Identifier{d.schema, plan.Name}
	if plan.Disposition == load.Merge {
		into = pgx.Identifier{"_dnk_direct"}
	}
	var n int64
	for {
		b, err := next()
		if err != nil || b == nil {
			return n, err
		}
		if plan.Disposition == load.Merge {
			if _, err := d.conn.Exec(ctx, "TRUNCATE pg_temp._dnk_direct"); err != nil {
				return n, err
			}
		}
		row := make([]any, len(cols))
		if _, err := d.conn.CopyFrom(ctx, into, cols, pgx.CopyFromSlice(b.Len(), func(i int) ([]any, error) {
			copy(row, b.Row(i))
			row[len(cols)-2], row[len(cols)-1] = l.loadedAt, plan.RunID
			return row, nil
		})); err != nil {
			return n, err
		}
		if plan.Disposition == load.Merge {
			target := d.qualified(plan.Name)
			if _, err := d.conn.Exec(ctx, "DELETE FROM "+target+" t USING pg_temp._dnk_direct s WHERE "+keyJoin(plan.Keys, "t", "s")); err != nil {
				return n, err
			}
			if _, err := d.conn.Exec(ctx, "INSERT INTO "+target+" SELECT * FROM pg_temp._dnk_direct"); err != nil {
				return n, err
			}
		}
		n += int64(b.Len())
	}
}

// Publish only writes the state: the rows are already there.
func (l *pgDirectLoad) Publish(ctx context.Context, p load.Publication) (load.Published, error) {
	out := load.Published{RowsWritten: p.Staged}
	if p.State == nil {
		return out, nil
	}
	tx, err := l.d.conn.Begin(ctx)
	if err != nil {
		return out, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := l.d.writeState(ctx, tx, p.State); err != nil {
		return out, err
	}
	return out, tx.Commit(ctx)
}

// Abort leaves what was written: that is the point.
func (l *pgDirectLoad) Abort() {}
