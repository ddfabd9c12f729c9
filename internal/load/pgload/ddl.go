package pgload

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// createIfMissing runs a CREATE … IF NOT EXISTS in its own savepoint (or transaction, on a bare
// connection). IF NOT EXISTS does not hold against a concurrent transaction creating the same
// object: the one that commits second fails on the catalog's unique index (23505) or finds the
// object already there (42P06 schema, 42P07 relation, 42710 object). Either way the object
// exists, which is all the statement wanted — so several pipelines loading into one new schema at
// once all succeed, and the transaction around the statement stays usable.
func createIfMissing(ctx context.Context, q interface {
	Begin(context.Context) (pgx.Tx, error)
}, sql string) error {
	tx, err := q.Begin(ctx)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, sql); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		var pe *pgconn.PgError
		if errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "42P06" || pe.Code == "42P07" || pe.Code == "42710") {
			return nil
		}
		return err
	}
	return tx.Commit(ctx)
}
