package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/egress"
)

func TestDelivery_ReceiverVerifiesEachAttemptAndRetriesKeepTheWebhookID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := newReceiver(t, status(http.StatusInternalServerError), status(http.StatusTooManyRequests, "Retry-After", "1"), status(http.StatusNoContent))
	n := e.channel(t, "webhook", r.URL+"/hooks/datanika", nil, 0)
	require.True(t, strings.HasPrefix(n.Secret, "whsec_"))
	r.secret = n.Secret
	runID := e.end(t, e.pipeA, "failed")

	rows := e.waitSettled(t, n.ID, 30*time.Second)
	got := r.requests()
	require.Len(t, got, 3)
	for _, g := range got {
		require.True(t, g.valid, "the receiver's own verifier accepts attempt %+v", g)
		require.Equal(t, got[0].id, g.id, "one webhook-id across retries")
		require.Equal(t, "application/json", g.contentType)
		ts, err := strconv.ParseInt(g.timestamp, 10, 64)
		require.NoError(t, err)
		require.InDelta(t, time.Now().Unix(), ts, 60)
	}
	require.True(t, strings.HasPrefix(got[0].id, "msg_"))

	require.Len(t, rows, 3)
	require.Equal(t, []int32{1, 2, 3}, []int32{rows[0].Attempt, rows[1].Attempt, rows[2].Attempt})
	require.Equal(t, []string{stateRetrying, stateRetrying, stateDelivered}, []string{rows[0].State, rows[1].State, rows[2].State})
	require.Equal(t, int32(500), *rows[0].StatusCode)
	require.Equal(t, int32(429), *rows[1].StatusCode)
	require.Equal(t, int32(204), *rows[2].StatusCode)
	require.Contains(t, *rows[0].Error, "500")
	require.Nil(t, rows[2].Error)
	for _, d := range rows {
		require.Equal(t, got[0].id, d.MessageID)
		require.Equal(t, EventRunFailed, d.Event)
		require.Equal(t, runID, *d.RunID)
	}
	// Retry-After: 1 was honoured (the test backoff is zero).
	require.GreaterOrEqual(t, rows[1].NextAttemptAt.Time.Sub(rows[1].At.Time), time.Second)
	require.GreaterOrEqual(t, rows[2].At.Time.Sub(rows[1].At.Time), time.Second)

	var p struct {
		Type string `json:"type"`
		Org  struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"org"`
		Run map[string]any `json:"run"`
	}
	require.NoError(t, json.Unmarshal(got[2].body, &p))
	require.Equal(t, "run.failed", p.Type)
	require.Equal(t, e.p.OrgID, p.Org.ID)
	require.Equal(t, "Acme", p.Org.Name)
	require.EqualValues(t, runID, p.Run["id"])
	require.Equal(t, "failed", p.Run["status"])
	require.Equal(t, "manual", p.Run["trigger"])
	require.Equal(t, "pipeline", p.Run["target_type"])
	require.EqualValues(t, e.pipeA, p.Run["target_id"])
	require.Equal(t, "Orders", p.Run["target_name"])
	require.Equal(t, "boom", p.Run["error"])
	require.Contains(t, p.Run, "dag_run_id")
	require.NotEmpty(t, p.Run["started_at"])
	require.NotEmpty(t, p.Run["finished_at"])
	require.Equal(t, "https://datanika.example/runs/"+strconv.FormatInt(runID, 10), p.Run["url"])
}

func TestDelivery_ConnectionRefusedIsRetriedUntilTheReceiverIsUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(s *Sender) {
		s.Backoff = func(int) time.Duration { return 500 * time.Millisecond }
		s.MaxAttempts = 6
	})
	addr := closedAddr(t)
	n := e.channel(t, "webhook", "http://"+addr+"/hook", []string{"failure"}, 0)
	e.end(t, e.pipeA, "failed")
	require.Eventually(t, func() bool {
		rows := e.deliveries(t, n.ID)
		return len(rows) >= 2 && rows[0].State == stateRetrying
	}, 20*time.Second, 50*time.Millisecond)
	first := e.deliveries(t, n.ID)[0]
	require.Equal(t, "connection refused", *first.Error)
	require.Nil(t, first.StatusCode)

	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	r := &receiver{secret: n.Secret}
	r.Server = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	r.Listener = ln
	r.Start()
	t.Cleanup(r.Close)

	rows := e.waitSettled(t, n.ID, 30*time.Second)
	last := rows[len(rows)-1]
	require.Equal(t, stateDelivered, last.State)
	require.Greater(t, last.Attempt, int32(1))
	got := r.requests()
	require.Len(t, got, 1)
	require.True(t, got[0].valid)
	require.Equal(t, first.MessageID, got[0].id, "the retry after a refused connection keeps the webhook-id")
}

func TestDelivery_A400IsFinalAndA503GivesUpAfterTheLastAttempt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	bad := newReceiver(t, status(http.StatusBadRequest))
	down := newReceiver(t, status(http.StatusServiceUnavailable))
	n400 := e.channel(t, "webhook", bad.URL, nil, 0)
	n503 := e.channel(t, "webhook", down.URL, nil, 0)
	e.end(t, e.pipeA, "failed")

	rows := e.waitSettled(t, n400.ID, 20*time.Second)
	require.Len(t, rows, 1)
	require.Equal(t, stateFailed, rows[0].State)
	require.Equal(t, int32(400), *rows[0].StatusCode)

	rows = e.waitSettled(t, n503.ID, 20*time.Second)
	require.Len(t, rows, e.sender.MaxAttempts)
	require.Equal(t, stateFailed, rows[len(rows)-1].State)
	time.Sleep(300 * time.Millisecond)
	require.Len(t, bad.requests(), 1, "no retry after a 400")
	require.Len(t, down.requests(), e.sender.MaxAttempts)
}

func TestOnRunEnded_RecoveredOnceAndNothingForSkippedOrCancelledRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := newReceiver(t)
	recovery := e.channel(t, "webhook", r.URL+"/recovery", []string{"recovery"}, 0)
	both := e.channel(t, "webhook", r.URL+"/both", []string{"success", "recovery"}, 0)
	failure := e.channel(t, "webhook", r.URL+"/failure", []string{"failure", "success", "recovery"}, e.pipeA)

	events := func(id int64) []string {
		var out []string
		for _, d := range e.deliveries(t, id) {
			if d.Attempt == 1 {
				out = append(out, d.Event)
			}
		}
		return out
	}
	e.end(t, e.pipeA, "success")   // nothing before it: a plain success
	e.end(t, e.pipeA, "failed")    // failure
	e.end(t, e.pipeA, "skipped")   // nobody hears of it, and it does not count
	e.end(t, e.pipeA, "cancelled") // likewise
	e.end(t, e.pipeA, "success")   // the recovery
	e.end(t, e.pipeA, "success")   // a plain success again
	e.end(t, e.pipeA, "cancelled")

	require.Equal(t, []string{EventRunRecovered}, events(recovery.ID), "recovery alone: once, for the first success after the failure")
	require.Equal(t, []string{EventRunSucceeded, EventRunRecovered, EventRunSucceeded}, events(both.ID), "one message per run, the recovery as run.recovered")
	require.Equal(t, []string{EventRunSucceeded, EventRunFailed, EventRunRecovered, EventRunSucceeded}, events(failure.ID))

	e.waitSettled(t, failure.ID, 20*time.Second)
	e.waitSettled(t, both.ID, 20*time.Second)
	e.waitSettled(t, recovery.ID, 20*time.Second)
	recovered := 0
	for _, g := range r.requests() {
		var p Payload
		require.NoError(t, json.Unmarshal(g.body, &p))
		require.NotEqual(t, "skipped", p.Run.Status)
		require.NotEqual(t, "cancelled", p.Run.Status)
		if p.Type == EventRunRecovered {
			recovered++
		}
	}
	require.Equal(t, 3, recovered, "the receiver saw run.recovered once per channel subscribed to recovery")
	require.Len(t, r.requests(), 8)
}

func TestOnRunEnded_NodeChannelsHearOnlyOfTheirNodeAndInactiveOnesOfNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := newReceiver(t)
	orgWide := e.channel(t, "webhook", r.URL, nil, 0)
	onA := e.channel(t, "slack", r.URL, nil, e.pipeA)
	onB := e.channel(t, "webhook", r.URL, nil, e.pipeB)
	off := false
	_, err := e.svc.Update(context.Background(), e.p, e.channel(t, "webhook", r.URL, nil, 0).ID, UpdateInput{IsActive: &off})
	require.NoError(t, err)
	e.end(t, e.pipeA, "failed")

	require.Len(t, e.deliveries(t, orgWide.ID), 1)
	require.Len(t, e.deliveries(t, onA.ID), 1)
	require.Empty(t, e.deliveries(t, onB.ID))
	e.waitSettled(t, onA.ID, 20*time.Second)
	e.waitSettled(t, orgWide.ID, 20*time.Second)
	got := r.requests()
	require.Len(t, got, 2, "the org-wide channel and pipeline A's; not B's, not the paused one")
	var slack received
	for _, g := range got {
		if g.id == "" {
			slack = g
		}
	}
	var msg struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	require.NoError(t, json.Unmarshal(slack.body, &msg), "the Slack channel got a Slack message, unsigned")
	require.Contains(t, msg.Text, "pipeline Orders failed")
	require.NotEmpty(t, msg.Blocks)
}

func TestDelivery_EgressRefusesMetadataAddressesAsAFailedAttempt(t *testing.T) {
	t.Parallel()
	policy, err := egress.New(true, "")
	require.NoError(t, err)
	require.NoError(t, policy.Protect(context.Background(), "127.0.0.1", 5432))
	e := newEnv(t, policy)
	cloud := e.channel(t, "webhook", "http://169.254.169.254/latest/meta-data", nil, 0)
	metaDB := e.channel(t, "slack", "http://127.0.0.1:5432/services/T0/B0/SECRETPART", nil, 0)
	e.end(t, e.pipeA, "failed")

	rows := e.waitSettled(t, cloud.ID, 20*time.Second)
	require.Len(t, rows, 1, "a refusal is final")
	require.Equal(t, stateFailed, rows[0].State)
	require.Contains(t, *rows[0].Error, "refused by the egress policy")
	require.Contains(t, *rows[0].Error, "169.254.169.254 is a cloud metadata address")

	rows = e.waitSettled(t, metaDB.ID, 20*time.Second)
	require.Len(t, rows, 1)
	require.Equal(t, stateFailed, rows[0].State)
	require.Contains(t, *rows[0].Error, "metadata database")
	require.NotContains(t, *rows[0].Error, "SECRETPART", "never the Slack URL in an error")
}

func TestScheduleOverdue_WritesAMessageForOverdueSubscribers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := newReceiver(t)
	overdue := e.channel(t, "webhook", r.URL, []string{"overdue"}, e.pipeA)
	r.secret = overdue.Secret
	failureOnly := e.channel(t, "webhook", r.URL, []string{"failure"}, 0)
	due := time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC)
	tx, err := e.app.Begin(context.Background())
	require.NoError(t, err)
	_, err = tx.Exec(context.Background(), "SELECT set_config('app.org_id', $1, true)", strconv.FormatInt(e.p.OrgID, 10))
	require.NoError(t, err)
	require.NoError(t, e.svc.ScheduleOverdue(context.Background(), tx, OverdueSchedule{ID: 77, OrgID: e.p.OrgID, TargetType: "pipeline",
		TargetID: e.pipeA, TargetName: "Orders", Cron: "30 2 * * *", Timezone: "America/New_York", DueAt: due}))
	require.NoError(t, tx.Commit(context.Background()))

	rows := e.waitSettled(t, overdue.ID, 20*time.Second)
	require.Len(t, rows, 1)
	require.Equal(t, EventScheduleOverdue, rows[0].Event)
	require.Equal(t, int64(77), *rows[0].ScheduleID)
	require.Empty(t, e.deliveries(t, failureOnly.ID))
	got := r.requests()
	require.Len(t, got, 1)
	require.True(t, got[0].valid)
	var p struct {
		Type     string         `json:"type"`
		Schedule map[string]any `json:"schedule"`
	}
	require.NoError(t, json.Unmarshal(got[0].body, &p))
	require.Equal(t, "schedule.overdue", p.Type)
	require.Equal(t, "30 2 * * *", p.Schedule["cron"])
	require.Equal(t, "2026-03-08T07:30:00Z", p.Schedule["due_at"])
}

// Commit order: sent, then recorded. A worker that dies in between leaves the attempt pending;
// River hands the job out again and the message is sent again under the same webhook-id (what
// receivers dedupe on), then recorded once.
func TestDelivery_AWorkerDyingBetweenSendAndRecordResendsTheSameMessage(t *testing.T) {
	t.Parallel()
	var died atomic.Bool
	e := newEnvWorker(t, nil, func() error {
		if died.CompareAndSwap(false, true) {
			return errors.New("the process died before recording the attempt")
		}
		return nil
	})
	r := newReceiver(t)
	n := e.channel(t, "webhook", r.URL, nil, 0)
	r.secret = n.Secret
	e.end(t, e.pipeA, "failed")

	rows := e.waitSettled(t, n.ID, 30*time.Second)
	require.Len(t, rows, 1, "one attempt recorded")
	require.Equal(t, stateDelivered, rows[0].State)
	got := r.requests()
	require.Len(t, got, 2, "sent twice: once by the worker that died, once by River's retry")
	require.Equal(t, got[0].id, got[1].id)
	require.Equal(t, rows[0].MessageID, got[0].id)
	require.True(t, got[0].valid && got[1].valid)
}

func TestDelivery_ADeletedChannelsQueuedAttemptSendsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := newReceiver(t)
	n := e.channel(t, "webhook", r.URL, nil, 0)
	runID := e.id(t, `INSERT INTO runs (org_id, target_type, target_id, status, trigger, finished_at) VALUES ($1, 'pipeline', $2, 'failed', 'manual', now()) RETURNING id`, e.p.OrgID, e.pipeA)
	ctx := context.Background()
	// The message and its job are written, then the channel is deleted before any worker sees them.
	require.NoError(t, database.InTx(ctx, e.app, database.Scope{OrgID: e.p.OrgID}, func(tx pgx.Tx) error {
		q := dbgen.New(tx)
		run, err := q.ReadRun(ctx, dbgen.ReadRunParams{OrgID: e.p.OrgID, ID: runID})
		if err != nil {
			return err
		}
		if err := e.svc.OnRunEnded(ctx, q, tx, RunEnded{OrgID: e.p.OrgID, RunID: runID, Status: run.Status}, run); err != nil {
			return err
		}
		_, err = q.DeleteNotification(ctx, dbgen.DeleteNotificationParams{OrgID: e.p.OrgID, ID: n.ID})
		return err
	}))
	var jobs int
	require.NoError(t, e.owner.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'notification_delivery'`).Scan(&jobs))
	require.Equal(t, 1, jobs)
	require.Eventually(t, func() bool {
		var state string
		require.NoError(t, e.owner.QueryRow(ctx, `SELECT state FROM river_job WHERE kind = 'notification_delivery'`).Scan(&state))
		return state == "completed"
	}, 10*time.Second, 50*time.Millisecond, "the job finds nothing to send and completes")
	require.Empty(t, r.requests())
}

// A run River hands back to the queue for an infrastructure fault does not end in between, so
// the run_events outbox holds one event for it, at its real end, and its channels hear once.
// (A stand-in for the dispatcher claims the events and calls OnRunEnded as it does.)
func TestOutbox_ARetriedRunNotifiesOnceAtItsEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := newReceiver(t)
	n := e.channel(t, "webhook", r.URL, []string{"failure", "success"}, 0)
	ctx := context.Background()
	runID := e.id(t, `INSERT INTO runs (org_id, target_type, target_id, trigger) VALUES ($1, 'pipeline', $2, 'manual') RETURNING id`, e.p.OrgID, e.pipeA)
	for _, step := range []string{
		`UPDATE runs SET status = 'running', started_at = now() WHERE id = $1`,
		`UPDATE runs SET status = 'queued', attempt = 2 WHERE id = $1`, // the worker was lost; River retries
		`UPDATE runs SET status = 'running' WHERE id = $1`,
		`UPDATE runs SET status = 'failed', error = 'boom', finished_at = now() WHERE id = $1`,
	} {
		_, err := e.owner.Exec(ctx, step, runID)
		require.NoError(t, err)
	}
	dispatched := 0
	require.NoError(t, database.InTx(ctx, e.app, database.Scope{}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, org_id, run_id, status FROM dnk_claim_run_events(100)`)
		if err != nil {
			return err
		}
		events, err := pgx.CollectRows(rows, pgx.RowToStructByPos[RunEnded])
		if err != nil {
			return err
		}
		for _, ev := range events {
			if err := database.SetScope(ctx, tx, database.Scope{OrgID: ev.OrgID}); err != nil {
				return err
			}
			q := dbgen.New(tx)
			run, err := q.ReadRun(ctx, dbgen.ReadRunParams{OrgID: ev.OrgID, ID: ev.RunID})
			if err != nil {
				return err
			}
			if err := e.svc.OnRunEnded(ctx, q, tx, ev, run); err != nil {
				return err
			}
			dispatched++
		}
		return nil
	}))
	require.Equal(t, 1, dispatched, "one event: the run ended once")
	rows := e.waitSettled(t, n.ID, 20*time.Second)
	require.Len(t, rows, 1)
	require.Equal(t, EventRunFailed, rows[0].Event)
	require.Len(t, r.requests(), 1)
}

// The event's status decides, not the run's status when the event is handled: a run the reaper
// ended failed and its worker then settled as a success is heard as a failure, then a success.
func TestOnRunEnded_TheEventsStatusDecides(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := newReceiver(t)
	n := e.channel(t, "webhook", r.URL, []string{"failure"}, 0)
	runID := e.id(t, `INSERT INTO runs (org_id, target_type, target_id, status, trigger, finished_at) VALUES ($1, 'pipeline', $2, 'success', 'manual', now()) RETURNING id`, e.p.OrgID, e.pipeA)
	ctx := context.Background()
	require.NoError(t, database.InTx(ctx, e.app, database.Scope{OrgID: e.p.OrgID}, func(tx pgx.Tx) error {
		q := dbgen.New(tx)
		run, err := q.ReadRun(ctx, dbgen.ReadRunParams{OrgID: e.p.OrgID, ID: runID})
		if err != nil {
			return err
		}
		return e.svc.OnRunEnded(ctx, q, tx, RunEnded{OrgID: e.p.OrgID, RunID: runID, Status: "failed"}, run)
	}))
	rows := e.waitSettled(t, n.ID, 20*time.Second)
	require.Len(t, rows, 1)
	require.Equal(t, EventRunFailed, rows[0].Event)
	var p Payload
	require.NoError(t, json.Unmarshal(r.requests()[0].body, &p))
	require.Equal(t, "failed", p.Run.Status)
}

func TestOnRunEnded_AnEventHandledTwiceWritesOneMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := newReceiver(t)
	n := e.channel(t, "webhook", r.URL, nil, 0)
	runID := e.id(t, `INSERT INTO runs (org_id, target_type, target_id, status, trigger, finished_at) VALUES ($1, 'pipeline', $2, 'failed', 'manual', now()) RETURNING id`, e.p.OrgID, e.pipeA)
	ctx := context.Background()
	for range 2 {
		require.NoError(t, database.InTx(ctx, e.app, database.Scope{OrgID: e.p.OrgID}, func(tx pgx.Tx) error {
			q := dbgen.New(tx)
			run, err := q.ReadRun(ctx, dbgen.ReadRunParams{OrgID: e.p.OrgID, ID: runID})
			if err != nil {
				return err
			}
			return e.svc.OnRunEnded(ctx, q, tx, RunEnded{ID: 4242, OrgID: e.p.OrgID, RunID: runID, Status: "failed"}, run)
		}))
	}
	rows := e.waitSettled(t, n.ID, 20*time.Second)
	require.Len(t, rows, 1)
	require.Len(t, r.requests(), 1)
}

func TestDelivery_PrivateAddressesAreRefusedUnlessTheEgressPolicyAllowsThem(t *testing.T) {
	t.Parallel()
	policy, err := egress.New(false, "")
	require.NoError(t, err)
	e := newEnv(t, policy)
	r := newReceiver(t)
	n := e.channel(t, "webhook", r.URL+"/hook", nil, 0)
	e.end(t, e.pipeA, "failed")
	rows := e.waitSettled(t, n.ID, 20*time.Second)
	require.Len(t, rows, 1)
	require.Equal(t, stateFailed, rows[0].State)
	require.Contains(t, *rows[0].Error, "loopback, private or special-purpose address")
	require.Empty(t, r.requests())
}
