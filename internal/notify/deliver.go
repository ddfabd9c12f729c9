package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/egress"
	"github.com/datanika/datanika/internal/secrets"
)

// Delivery states.
const (
	statePending   = "pending"
	stateDelivered = "delivered"
	stateRetrying  = "retrying"
	stateFailed    = "failed"
)

// Production delivery schedule: MaxAttempts attempts, the n-th retry waiting about
// FirstRetryDelay·2ⁿ⁻¹ (±10 %): 30 s, 1, 2, 4, 8, 16, 32 min — 8 attempts over about an hour.
const (
	MaxAttempts     = 8
	FirstRetryDelay = 30 * time.Second
	// MaxRetryAfter bounds a receiver's Retry-After.
	MaxRetryAfter = time.Hour
	// SendTimeout bounds one attempt, connect to last byte.
	SendTimeout = 10 * time.Second
)

// Backoff is the production wait before attempt+1 after a failed attempt (1-based), jittered.
func Backoff(attempt int) time.Duration {
	d := FirstRetryDelay << min(attempt-1, 10)
	return time.Duration(float64(d) * (0.9 + 0.2*rand.Float64())) //nolint:gosec // jitter, not a secret
}

// DeliveryArgs is the job of one attempt row (a pending delivery).
type DeliveryArgs struct {
	OrgID      int64 `json:"org_id"`
	DeliveryID int64 `json:"delivery_id"`
}

// Kind is the River job kind.
func (DeliveryArgs) Kind() string { return "notification_delivery" }

// InsertOpts sets River's attempts: its own retries only cover a lost worker or an outage of the metadata
// database; the delivery schedule is ours (a new row and job per attempt).
func (DeliveryArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

// Sender sends messages to channels through the egress policy.
type Sender struct {
	client *http.Client
	// Backoff and MaxAttempts are the retry schedule (tests shorten it).
	Backoff     func(attempt int) time.Duration
	MaxAttempts int
	now         func() time.Time
}

// NewSender sends through policy: every connection is checked on the address dialled, and
// redirects are not followed (a signed message goes where its channel says, or fails).
func NewSender(policy *egress.Policy) *Sender {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	transport.DialContext = policy.Dialer(SendTimeout).DialContext
	return &Sender{
		client: &http.Client{Timeout: SendTimeout, Transport: transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		Backoff: Backoff, MaxAttempts: MaxAttempts, now: time.Now,
	}
}

// Result is the outcome of one attempt. Err is a message safe to store and show: never a
// secret, never the URL.
type Result struct {
	StatusCode int
	Err        string
	// Retry: the failure is worth another attempt (network error, 5xx, 429).
	Retry bool
	// RetryAfter is the receiver's Retry-After, if any.
	RetryAfter time.Duration
}

func (r Result) statusCode() *int32 {
	if r.StatusCode == 0 {
		return nil
	}
	c := int32(r.StatusCode) //nolint:gosec // an HTTP status
	return &c
}

func (r Result) errPtr() *string {
	if r.Err == "" {
		return nil
	}
	return &r.Err
}

// Send makes one attempt: a webhook gets the payload signed (webhook-id msgID, the current
// timestamp), a Slack channel a message formatted from it.
func (s *Sender) Send(ctx context.Context, channel, rawURL, secret, msgID string, payload []byte) Result {
	body := payload
	if channel == "slack" {
		var err error
		if body, err = slackMessage(payload); err != nil {
			return Result{Err: "cannot format the Slack message"}
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return Result{Err: "the channel's URL is invalid"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Datanika-Webhooks/1")
	if channel == "webhook" {
		ts := s.now().Unix()
		sig, err := Sign(secret, msgID, ts, body)
		if err != nil {
			return Result{Err: "the channel's signing secret is unusable"}
		}
		req.Header.Set("webhook-id", msgID)
		req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("webhook-signature", sig)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return networkResult(err)
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	res := Result{StatusCode: resp.StatusCode}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		res.Err = fmt.Sprintf("the receiver answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		res.Retry = true
		res.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), s.now())
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		res.Err = fmt.Sprintf("the receiver answered %d %s (redirects are not followed)", resp.StatusCode, http.StatusText(resp.StatusCode))
	default:
		res.Err = fmt.Sprintf("the receiver answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return res
}

// networkResult describes a failure to get an answer without the URL (a Slack URL is a
// credential, and *url.Error prints it whole). A refusal of the egress policy is final.
func networkResult(err error) Result {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.Is(err, egress.ErrDenied):
		msg := err.Error()
		if i := strings.Index(msg, egress.ErrDenied.Error()); i >= 0 {
			msg = msg[i:]
		}
		return Result{Err: "refused by the egress policy: " + msg}
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || isTimeout(err):
		return Result{Err: fmt.Sprintf("no answer within %s", SendTimeout), Retry: true}
	case errors.As(err, &dnsErr):
		return Result{Err: "the host name does not resolve", Retry: true}
	case errors.Is(err, syscall.ECONNREFUSED):
		return Result{Err: "connection refused", Retry: true}
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return Result{Err: "the connection was closed before an answer", Retry: true}
	case errors.As(err, &opErr):
		return Result{Err: "network error: " + opErr.Op + " failed", Retry: true}
	}
	return Result{Err: "network error", Retry: true}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// retryAfter reads a Retry-After header (seconds or an HTTP date), clamped to MaxRetryAfter;
// zero when absent or unreadable.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		d = time.Duration(min(secs, int64(MaxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	return max(0, min(d, MaxRetryAfter))
}

// nextDelay is the wait before the attempt after a failed one: the backoff, or the receiver's
// Retry-After when that is longer (never sooner than asked; and a receiver asking for 1 s each
// time still gets the schedule's span of retries).
func (s *Sender) nextDelay(attempt int, res Result) time.Duration {
	return max(res.RetryAfter, s.Backoff(attempt))
}

// slackMessage formats a payload as a Slack message: a text fallback and blocks.
func slackMessage(payload []byte) ([]byte, error) {
	var p Payload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, err
	}
	var text, detail string
	switch {
	case p.Run != nil:
		verb := map[string]string{EventRunFailed: "failed", EventRunSucceeded: "succeeded", EventRunRecovered: "recovered"}[p.Type]
		emoji := map[string]string{EventRunFailed: ":red_circle:", EventRunSucceeded: ":large_green_circle:", EventRunRecovered: ":white_check_mark:"}[p.Type]
		text = fmt.Sprintf("%s %s %s %s (run %d, %s)", emoji, p.Run.TargetType, slackEscape(p.Run.TargetName), verb, p.Run.ID, p.Org.Name)
		if p.Run.Error != nil && *p.Run.Error != "" {
			detail = "*Error:* " + slackEscape(*p.Run.Error)
		}
		if p.Run.URL != "" {
			detail = strings.TrimSpace(detail + "\n<" + p.Run.URL + "|Open the run>")
		}
	case p.Schedule != nil:
		text = fmt.Sprintf(":warning: The schedule of %s %s is overdue (due %s, %s)", p.Schedule.TargetType,
			slackEscape(p.Schedule.TargetName), p.Schedule.DueAt.Format(time.RFC3339), slackEscape(p.Org.Name))
		detail = fmt.Sprintf("`%s` in %s", slackEscape(p.Schedule.Cron), slackEscape(p.Schedule.Timezone))
	default:
		text = ":wave: Test notification from Datanika (" + slackEscape(p.Org.Name) + ")"
	}
	blocks := []map[string]any{{"type": "section", "text": map[string]string{"type": "mrkdwn", "text": text}}}
	if detail != "" {
		blocks = append(blocks, map[string]any{"type": "section", "text": map[string]string{"type": "mrkdwn", "text": detail}})
	}
	return json.Marshal(map[string]any{"text": text, "blocks": blocks})
}

func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// DeliveryWorker works notification_delivery jobs: it makes the attempt of one pending row and
// records it, and when a retry is due writes the next attempt's row and job in the same
// transaction.
//
// Commit order: the attempt is sent, then recorded. A process that dies in between leaves the
// row pending; River hands the job to another worker, which sends it again with the same
// webhook-id (receivers dedupe on it) and records that attempt. A row no longer pending was
// recorded: its job does nothing.
type DeliveryWorker struct {
	river.WorkerDefaults[DeliveryArgs]
	Pool    database.Beginner
	Keyring *secrets.Keyring
	Sender  *Sender
	Logger  *slog.Logger
	// afterSend runs between the attempt and its record (tests: a process dying there).
	afterSend func() error
}

// Timeout bounds a job: one attempt and two short transactions.
func (w *DeliveryWorker) Timeout(*river.Job[DeliveryArgs]) time.Duration {
	return SendTimeout + 30*time.Second
}

// Work makes one attempt.
func (w *DeliveryWorker) Work(ctx context.Context, job *river.Job[DeliveryArgs]) error {
	scope := database.Scope{OrgID: job.Args.OrgID}
	var d dbgen.NotificationDelivery
	var n dbgen.Notification
	found := false
	err := database.InTx(ctx, w.Pool, scope, func(tx pgx.Tx) error {
		q := dbgen.New(tx)
		var err error
		d, err = q.LockNotificationDelivery(ctx, dbgen.LockNotificationDeliveryParams{OrgID: job.Args.OrgID, ID: job.Args.DeliveryID})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // the channel was deleted with its log
		}
		if err != nil {
			return err
		}
		n, err = q.GetNotification(ctx, dbgen.GetNotificationParams{OrgID: d.OrgID, ID: d.NotificationID})
		if err != nil {
			return err
		}
		found = true
		return nil
	})
	if err != nil || !found || d.State != statePending {
		return err
	}
	if wait := time.Until(d.At.Time); wait > time.Second {
		return river.JobSnooze(wait)
	}
	var res Result
	if !n.IsActive {
		res = Result{Err: "the channel is paused"}
	} else {
		secret, err := openSecret(w.Keyring, n)
		if err != nil {
			return err
		}
		res = w.Sender.Send(ctx, n.Channel, n.Url, secret, d.MessageID, d.Payload)
	}
	if w.afterSend != nil {
		if err := w.afterSend(); err != nil {
			return err
		}
	}
	at := w.Sender.now()
	return database.InTx(ctx, w.Pool, scope, func(tx pgx.Tx) error {
		q := dbgen.New(tx)
		cur, err := q.LockNotificationDelivery(ctx, dbgen.LockNotificationDeliveryParams{OrgID: d.OrgID, ID: d.ID})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil || cur.State != statePending {
			return err
		}
		rec := dbgen.RecordNotificationAttemptParams{OrgID: d.OrgID, ID: d.ID, State: stateDelivered,
			StatusCode: res.statusCode(), Error: res.errPtr(), At: timestamptz(at)}
		switch {
		case res.Err == "":
		case res.Retry && int(d.Attempt) < w.Sender.MaxAttempts:
			next := at.Add(w.Sender.nextDelay(int(d.Attempt), res))
			rec.State, rec.NextAttemptAt = stateRetrying, timestamptz(next)
			nd, err := q.InsertNotificationDelivery(ctx, dbgen.InsertNotificationDeliveryParams{
				OrgID: d.OrgID, NotificationID: d.NotificationID, MessageID: d.MessageID, Event: d.Event, RunID: d.RunID,
				ScheduleID: d.ScheduleID, Payload: d.Payload, Attempt: d.Attempt + 1, State: statePending, At: timestamptz(next),
			})
			if err != nil {
				return err
			}
			client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
			if err != nil {
				return err
			}
			opts := &river.InsertOpts{}
			if next.After(time.Now()) {
				opts.ScheduledAt = next
			}
			if _, err := client.InsertTx(ctx, tx, DeliveryArgs{OrgID: d.OrgID, DeliveryID: nd.ID}, opts); err != nil {
				return err
			}
		default:
			rec.State = stateFailed
		}
		if _, err := q.RecordNotificationAttempt(ctx, rec); err != nil {
			return err
		}
		if w.Logger != nil && rec.State != stateDelivered {
			w.Logger.Info("notification attempt failed", "org_id", d.OrgID, "notification_id", d.NotificationID,
				"message_id", d.MessageID, "attempt", d.Attempt, "state", rec.State, "error", res.Err)
		}
		return nil
	})
}

// RegisterKinds registers the job kind for clients that only insert (the api role).
func RegisterKinds(workers *river.Workers) {
	river.AddWorker(workers, &DeliveryWorker{})
}

// Register registers the delivery worker.
func Register(workers *river.Workers, w *DeliveryWorker) {
	river.AddWorker(workers, w)
}
