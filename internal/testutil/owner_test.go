package testutil

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/database"
)

var ownerSeq atomic.Int64

// role is the role the transaction's next statement runs as.
func role(t *testing.T, tx pgx.Tx) string {
	t.Helper()
	var r string
	require.NoError(t, tx.QueryRow(context.Background(), "SELECT current_user").Scan(&r))
	return r
}

// twoOrgs inserts, as the owner, two orgs with a connection each, and returns their ids.
func twoOrgs(t *testing.T, o *Owner) (int64, int64) {
	t.Helper()
	ctx := context.Background()
	var ids [2]int64
	for i := range ids {
		slug := fmt.Sprintf("owner-test-%d-%d", ownerSeq.Add(1), i)
		require.NoError(t, o.QueryRow(ctx, `INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id`, slug).Scan(&ids[i]))
		_, err := o.Exec(ctx, `INSERT INTO connections (org_id, name, type, direction, config_sealed) VALUES ($1, 'c', 'postgres', 'both', '\x00')`, ids[i])
		require.NoError(t, err)
	}
	return ids[0], ids[1]
}

// countScoped counts the connections a transaction scoped to org sees, as a service would.
func countScoped(t *testing.T, tx pgx.Tx, org int64) int {
	t.Helper()
	var n int
	require.NoError(t, database.InTx(context.Background(), tx, database.Scope{OrgID: org}, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), "SELECT count(*) FROM connections").Scan(&n)
	}))
	return n
}

func TestAsOwner_EachStatementPassesRowLevelSecurityAndTheNextServiceCallDoesNot(t *testing.T) {
	t.Parallel()
	tx := Tx(t)
	o, ctx := AsOwner(t, tx), context.Background()
	require.Equal(t, database.AppRole, role(t, tx))

	a, b := twoOrgs(t, o)
	require.Equal(t, database.AppRole, role(t, tx), "Exec and QueryRow switch back")
	var n int
	require.NoError(t, tx.QueryRow(ctx, "SELECT count(*) FROM connections WHERE org_id IN ($1, $2)", a, b).Scan(&n))
	require.Zero(t, n, "without a scope the app role sees nothing")
	require.Equal(t, 1, countScoped(t, tx, a), "a call scoped to one org sees only its row")
	require.Equal(t, 1, countScoped(t, tx, b))

	require.NoError(t, o.QueryRow(ctx, "SELECT count(*) FROM connections WHERE org_id IN ($1, $2)", a, b).Scan(&n))
	require.Equal(t, 2, n, "the owner sees both orgs' rows")
	require.Equal(t, 1, countScoped(t, tx, a), "and the next call is under row-level security again")
}

func TestAsOwner_QueryRowAndQueryRunAsTheOwnerUntilScannedOrClosed(t *testing.T) {
	t.Parallel()
	tx := Tx(t)
	o, ctx := AsOwner(t, tx), context.Background()
	var session string
	require.NoError(t, tx.QueryRow(ctx, "SELECT session_user").Scan(&session))
	require.NotEqual(t, database.AppRole, session)

	var r string
	require.NoError(t, o.QueryRow(ctx, "SELECT current_user").Scan(&r))
	require.Equal(t, session, r)
	require.Equal(t, database.AppRole, role(t, tx))

	rows, err := o.Query(ctx, "SELECT current_user FROM generate_series(1, 3)")
	require.NoError(t, err)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{session, session, session}, got, "every row is read as the owner")
	require.Equal(t, database.AppRole, role(t, tx), "closing the rows switches back")

	// Rows read part-way and closed also switch back.
	rows, err = o.Query(ctx, "SELECT g FROM generate_series(1, 3) g")
	require.NoError(t, err)
	require.True(t, rows.Next())
	rows.Close()
	require.NoError(t, rows.Err())
	require.Equal(t, database.AppRole, role(t, tx))
}

func TestAsOwner_AFailedStatementLeavesTheTransactionUsableOnTheAppRole(t *testing.T) {
	t.Parallel()
	tx := Tx(t)
	o, ctx := AsOwner(t, tx), context.Background()
	a, _ := twoOrgs(t, o)

	_, err := o.Exec(ctx, "INSERT INTO no_such_table VALUES (1)")
	require.Error(t, err)
	require.Equal(t, database.AppRole, role(t, tx))

	var n int
	require.Error(t, o.QueryRow(ctx, "SELECT 1/0").Scan(&n))
	require.Equal(t, database.AppRole, role(t, tx))

	require.ErrorIs(t, o.QueryRow(ctx, "SELECT 1 WHERE false").Scan(&n), pgx.ErrNoRows)
	require.Equal(t, database.AppRole, role(t, tx))

	rows, err := o.Query(ctx, "SELECT 1/(g-2) FROM generate_series(1, 3) g")
	require.NoError(t, err)
	for rows.Next() {
	}
	require.Error(t, rows.Err())
	require.Equal(t, database.AppRole, role(t, tx))

	require.Equal(t, 1, countScoped(t, tx, a), "the rows written before the failures are still there")
}
