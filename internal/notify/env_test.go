package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/egress"
	"github.com/datanika/datanika/internal/queue"
	"github.com/datanika/datanika/internal/secrets"
	"github.com/datanika/datanika/internal/testutil"
)

// env is a database of the test's own with a River worker delivering notifications on a fast
// schedule, one org with an admin and two pipelines.
type env struct {
	owner, app *pgxpool.Pool
	svc        *Service
	sender     *Sender
	p          auth.Principal
	pipeA      int64
	pipeB      int64
}

func newEnv(t *testing.T, policy *egress.Policy, tune ...func(*Sender)) *env {
	return newEnvWorker(t, policy, nil, tune...)
}

// newEnvWorker is newEnv with a hook run by the worker between an attempt and its record.
func newEnvWorker(t *testing.T, policy *egress.Policy, afterSend func() error, tune ...func(*Sender)) *env {
	t.Helper()
	owner, dbURL := testutil.NewDatabase(t)
	app := testutil.AppPool(t, dbURL)
	keyring, err := secrets.NewKeyring([]secrets.Key{{ID: "test", Key: bytes.Repeat([]byte{9}, 32)}})
	require.NoError(t, err)
	if policy == nil {
		policy, err = egress.New(true, "") // the receivers listen on 127.0.0.1
		require.NoError(t, err)
	}
	sender := NewSender(policy)
	sender.Backoff = func(int) time.Duration { return 0 }
	sender.MaxAttempts = 4
	for _, f := range tune {
		f(sender)
	}
	client, err := queue.New(app, queue.Options{Logger: testutil.Logger(), Work: true, MaxWorkers: 4, FetchPollInterval: 50 * time.Millisecond,
		Register: func(w *river.Workers) {
			Register(w, &DeliveryWorker{Pool: app, Keyring: keyring, Sender: sender, Logger: testutil.Logger(), afterSend: afterSend})
		}})
	require.NoError(t, err)
	require.NoError(t, client.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = queue.Stop(ctx, client)
	})
	e := &env{owner: owner, app: app, sender: sender, svc: New(app, keyring, client, sender, "https://datanika.example/")}
	orgID := e.id(t, `INSERT INTO organizations (name, slug) VALUES ('Acme', 'acme') RETURNING id`)
	userID := e.id(t, `INSERT INTO users (email, full_name) VALUES ('admin@acme.test', 'Admin') RETURNING id`)
	e.id(t, `INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'admin') RETURNING id`, orgID, userID)
	conn := e.id(t, `INSERT INTO connections (org_id, name, type, direction, config_sealed) VALUES ($1, 'c', 'postgres', 'both', '\x00') RETURNING id`, orgID)
	pipe := func(name string) int64 {
		return e.id(t, `INSERT INTO pipelines (org_id, name, source_connection_id, destination_connection_id, destination_schema, status)
			VALUES ($1, $2, $3, $3, 'raw', 'active') RETURNING id`, orgID, name, conn)
	}
	e.p = auth.Principal{UserID: userID, OrgID: orgID, Role: auth.RoleAdmin, Name: "admin@acme.test"}
	e.pipeA, e.pipeB = pipe("Orders"), pipe("Customers")
	return e
}

func (e *env) id(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	var id int64
	require.NoError(t, e.owner.QueryRow(context.Background(), sql, args...).Scan(&id))
	return id
}

// channel creates a channel of the org; target 0 is org-wide.
func (e *env) channel(t *testing.T, kind, url string, events []string, target int64) Notification {
	t.Helper()
	in := CreateInput{Name: "ch-" + strconv.FormatInt(time.Now().UnixNano(), 36), Channel: kind, URL: url, Events: events}
	if target != 0 {
		typ := "pipeline"
		in.TargetType, in.TargetID = &typ, &target
	}
	n, err := e.svc.Create(context.Background(), e.p, in)
	require.NoError(t, err)
	return n
}

// end records a run of the pipeline that ended with status and hands its ending to the service
// as the dispatcher does: in one transaction scoped to the org.
func (e *env) end(t *testing.T, pipelineID int64, status string) int64 {
	t.Helper()
	runID := e.id(t, `INSERT INTO runs (org_id, target_type, target_id, status, trigger, started_at, finished_at, error)
		VALUES ($1, 'pipeline', $2, $3, 'manual', now() - interval '1 minute', now(), CASE WHEN $3 = 'failed' THEN 'boom' END) RETURNING id`,
		e.p.OrgID, pipelineID, status)
	ctx := context.Background()
	require.NoError(t, database.InTx(ctx, e.app, database.Scope{OrgID: e.p.OrgID}, func(tx pgx.Tx) error {
		q := dbgen.New(tx)
		r, err := q.ReadRun(ctx, dbgen.ReadRunParams{OrgID: e.p.OrgID, ID: runID})
		if err != nil {
			return err
		}
		return e.svc.OnRunEnded(ctx, q, tx, RunEnded{OrgID: e.p.OrgID, RunID: runID, Status: status}, r)
	}))
	return runID
}

// deliveries are a channel's attempt rows, oldest first.
func (e *env) deliveries(t *testing.T, notificationID int64) []dbgen.NotificationDelivery {
	t.Helper()
	rows, err := e.svc.Deliveries(context.Background(), e.p, notificationID, 0, 500)
	require.NoError(t, err)
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	return rows
}

// waitSettled waits until the channel has n messages none of which has a pending attempt.
func (e *env) waitSettled(t *testing.T, notificationID int64, timeout time.Duration) []dbgen.NotificationDelivery {
	t.Helper()
	var rows []dbgen.NotificationDelivery
	require.Eventually(t, func() bool {
		rows = e.deliveries(t, notificationID)
		for _, d := range rows {
			if d.State == statePending || d.State == stateRetrying && !hasNext(rows, d) {
				return false
			}
		}
		return len(rows) > 0
	}, timeout, 50*time.Millisecond)
	return rows
}

func hasNext(rows []dbgen.NotificationDelivery, d dbgen.NotificationDelivery) bool {
	for _, r := range rows {
		if r.MessageID == d.MessageID && r.Attempt == d.Attempt+1 && r.ID > d.ID {
			return true
		}
	}
	return false
}

// received is one request a receiver saw.
type received struct {
	id, timestamp, signature string
	valid                    bool
	body                     []byte
	contentType              string
}

// receiver is a webhook endpoint on 127.0.0.1 that checks signatures with its own verifier and
// answers from a script (the last answer repeats).
type receiver struct {
	*httptest.Server
	secret  string
	mu      sync.Mutex
	got     []received
	answers []func(w http.ResponseWriter)
}

func newReceiver(t *testing.T, answers ...func(w http.ResponseWriter)) *receiver {
	t.Helper()
	r := &receiver{answers: answers}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func status(code int, headers ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(code)
	}
}

// verify is the receiving side of Standard Webhooks, written apart from Sign: the HMAC of
// id.timestamp.body under the secret's decoded key, compared with each v1 signature given.
func verify(secret, id, timestamp, signatures string, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	_, _ = io.WriteString(mac, id+"."+timestamp+".")
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(signatures) {
		version, sig, _ := strings.Cut(s, ",")
		got, err := base64.StdEncoding.DecodeString(sig)
		if version == "v1" && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	rec := received{id: req.Header.Get("webhook-id"), timestamp: req.Header.Get("webhook-timestamp"),
		signature: req.Header.Get("webhook-signature"), body: body, contentType: req.Header.Get("Content-Type")}
	rec.valid = r.secret != "" && verify(r.secret, rec.id, rec.timestamp, rec.signature, body)
	r.got = append(r.got, rec)
	n := len(r.got)
	answer := status(http.StatusOK)
	if len(r.answers) > 0 {
		answer = r.answers[min(n, len(r.answers))-1]
	}
	r.mu.Unlock()
	answer(w)
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// closedAddr is a 127.0.0.1 address nothing listens on (for now).
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}
