package notify

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/dag"
	"github.com/datanika/datanika/internal/testutil"
)

// Wired as cmd/datanika wires it: the dispatcher of the run_events outbox calls OnRunEnded. A
// run's ending not yet committed has no event, so nobody hears of it; once committed, its
// channel does, signed.
func TestDispatcher_NotifiesOnlyOnceTheRunsEndingIsCommitted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := newReceiver(t)
	n := e.channel(t, "webhook", r.URL, nil, e.pipeA)
	r.secret = n.Secret
	d := dag.NewDispatcher(e.app, nil, testutil.Logger())
	d.Handle(func(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, ev dag.Event, run dbgen.Run) error {
		return e.svc.OnRunEnded(ctx, q, tx, RunEnded(ev), run)
	})
	ctx := context.Background()
	runID := e.id(t, `INSERT INTO runs (org_id, target_type, target_id, status, trigger, started_at) VALUES ($1, 'pipeline', $2, 'running', 'manual', now()) RETURNING id`, e.p.OrgID, e.pipeA)

	ending, err := e.owner.Begin(ctx)
	require.NoError(t, err)
	_, err = ending.Exec(ctx, `UPDATE runs SET status = 'failed', error = 'boom', finished_at = now() WHERE id = $1`, runID)
	require.NoError(t, err)
	handled, err := d.DispatchOnce(ctx)
	require.NoError(t, err)
	require.Zero(t, handled, "the ending is not committed: no event yet")
	require.Empty(t, e.deliveries(t, n.ID))

	require.NoError(t, ending.Commit(ctx))
	handled, err = d.DispatchOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, handled)
	rows := e.waitSettled(t, n.ID, 20*time.Second)
	require.Len(t, rows, 1)
	require.Equal(t, stateDelivered, rows[0].State)
	got := r.requests()
	require.Len(t, got, 1)
	require.True(t, got[0].valid)
	handled, err = d.DispatchOnce(ctx)
	require.NoError(t, err)
	require.Zero(t, handled, "dispatched once")
}
