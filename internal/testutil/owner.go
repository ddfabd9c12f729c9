package testutil

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/database"
)

// Owner runs statements inside a fast-tier transaction (Tx) as the connecting user, outside
// row-level security, so a test can arrange and inspect rows as OwnerPool does on a database of
// its own. Each statement runs in a savepoint after RESET ROLE; once it is done (Exec returned,
// the row scanned, the rows closed) the transaction is back on the app role, so the next
// service call is under row-level security again. A failed statement rolls its savepoint back
// and leaves the transaction usable.
type Owner struct {
	tx pgx.Tx
}

var _ dbgen.DBTX = (*Owner)(nil)

// AsOwner returns the owner's view of tx, a transaction from Tx.
func AsOwner(t testing.TB, tx pgx.Tx) *Owner {
	t.Helper()
	return &Owner{tx: tx}
}

// begin opens the savepoint a statement runs in, as the connecting user.
func (o *Owner) begin(ctx context.Context) (pgx.Tx, error) {
	sp, err := o.tx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := sp.Exec(ctx, "RESET ROLE"); err != nil {
		_ = sp.Rollback(ctx)
		return nil, err
	}
	return sp, nil
}

// end switches back to the app role and releases the savepoint, or rolls it back (with the
// role change in it) when the statement failed.
func end(ctx context.Context, sp pgx.Tx, failed error) error {
	if failed != nil {
		if err := sp.Rollback(ctx); err != nil {
			return errors.Join(failed, fmt.Errorf("rolling back: %w", err))
		}
		return failed
	}
	if _, err := sp.Exec(ctx, "SET LOCAL ROLE "+database.AppRole); err != nil {
		_ = sp.Rollback(ctx)
		return err
	}
	return sp.Commit(ctx)
}

// Exec runs sql as the owner.
func (o *Owner) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	sp, err := o.begin(ctx)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := sp.Exec(ctx, sql, args...)
	return tag, end(ctx, sp, err)
}

// Query runs sql as the owner; the app role is back once the rows are closed (Close, or Next
// returning false).
func (o *Owner) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	sp, err := o.begin(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := sp.Query(ctx, sql, args...)
	if err != nil {
		return nil, end(ctx, sp, err)
	}
	return &ownerRows{Rows: rows, ctx: ctx, sp: sp}, nil
}

// QueryRow runs sql as the owner when the row is scanned (unlike pgx, not before: a row never
// scanned runs nothing), and switches back to the app role after it.
func (o *Owner) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return ownerRow{o: o, ctx: ctx, sql: sql, args: args}
}

type ownerRow struct {
	o    *Owner
	ctx  context.Context
	sql  string
	args []any
}

func (r ownerRow) Scan(dest ...any) error {
	sp, err := r.o.begin(r.ctx)
	if err != nil {
		return err
	}
	err = sp.QueryRow(r.ctx, r.sql, r.args...).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		// No row is a result, not a failure of the statement: keep pgx's error, and the
		// transaction as it was.
		if endErr := end(r.ctx, sp, nil); endErr != nil {
			return endErr
		}
		return err
	}
	return end(r.ctx, sp, err)
}

// ownerRows switches back to the app role when the rows close.
type ownerRows struct {
	pgx.Rows
	ctx    context.Context
	sp     pgx.Tx
	closed bool
	err    error
}

func (r *ownerRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *ownerRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	r.err = end(r.ctx, r.sp, r.Rows.Err())
}

func (r *ownerRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.Rows.Err()
}
