package database

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/auth"
)

// AppRole is the non-owner role the server's queries run as, so row-level security applies to
// them (see db/migrations/000002_identity.up.sql).
const AppRole = "datanika_app"

// AsAppRole makes every connection of a pool switch to AppRole when it opens.
func AsAppRole(cfg *pgxpool.Config) {
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "SET ROLE "+AppRole)
		return err
	}
}

// Scope is the tenant context of a transaction: the org whose rows it may see, and the user
// (whose own memberships and sessions it may see across orgs). Zero means unset.
type Scope struct {
	OrgID  int64
	UserID int64
}

// Beginner opens a transaction: a *pgxpool.Pool in the program; a pgx.Tx in the fast test tier,
// where Begin opens a savepoint (the scope set by SetScope stays local to the outer
// transaction, and every call sets it afresh).
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// DB is what the services run on: transactions (Begin) and the few lookups made outside one
// (dbgen.DBTX). *pgxpool.Pool and pgx.Tx both satisfy it.
type DB interface {
	Beginner
	dbgen.DBTX
}

// InTx runs fn in a transaction scoped for row-level security, committing when fn returns nil.
func InTx(ctx context.Context, db Beginner, scope Scope, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if err := SetScope(ctx, tx, scope); err != nil {
			return err
		}
		return fn(tx)
	})
}

// SetScope sets (or changes) the tenant context of the current transaction.
func SetScope(ctx context.Context, tx pgx.Tx, scope Scope) error {
	str := func(id int64) string {
		if id == 0 {
			return ""
		}
		return strconv.FormatInt(id, 10)
	}
	_, err := tx.Exec(ctx, "SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true)",
		str(scope.OrgID), str(scope.UserID))
	return err
}

// InOrg runs fn in a transaction scoped to the principal's org and user, with the queries on
// it: the one way services read and write org-scoped rows.
func InOrg(ctx context.Context, db Beginner, p auth.Principal, fn func(q *dbgen.Queries, tx pgx.Tx) error) error {
	return InTx(ctx, db, Scope{OrgID: p.OrgID, UserID: p.UserID}, func(tx pgx.Tx) error {
		return fn(dbgen.New(tx), tx)
	})
}
