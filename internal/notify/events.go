package notify

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/riverqueue/river"

	"github.com/datanika/datanika/db/dbgen"
)

// Message types (the payload's type).
const (
	EventRunFailed       = "run.failed"
	EventRunSucceeded    = "run.succeeded"
	EventRunRecovered    = "run.recovered"
	EventScheduleOverdue = "schedule.overdue"
	EventTest            = "test"
)

// RunEnded is the run_events row the dispatcher hands over (dag.Event's fields).
type RunEnded struct {
	ID, OrgID, RunID int64
	Status           string
}

// OverdueSchedule is a schedule whose fire is overdue beyond its grace.
type OverdueSchedule struct {
	ID, OrgID                  int64
	TargetType                 string
	TargetID                   int64
	TargetName, Cron, Timezone string
	DueAt                      time.Time
}

type orgRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type runBody struct {
	ID         int64      `json:"id"`
	Status     string     `json:"status"`
	Trigger    string     `json:"trigger"`
	TargetType string     `json:"target_type"`
	TargetID   int64      `json:"target_id"`
	TargetName string     `json:"target_name"`
	DagRunID   *int64     `json:"dag_run_id"`
	Error      *string    `json:"error"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	URL        string     `json:"url"`
}

type scheduleBody struct {
	ID         int64     `json:"id"`
	TargetType string    `json:"target_type"`
	TargetID   int64     `json:"target_id"`
	TargetName string    `json:"target_name"`
	Cron       string    `json:"cron"`
	Timezone   string    `json:"timezone"`
	DueAt      time.Time `json:"due_at"`
}

// Payload is the JSON body of a webhook message (SPEC §8).
type Payload struct {
	Type     string        `json:"type"`
	Org      orgRef        `json:"org"`
	Run      *runBody      `json:"run,omitempty"`
	Schedule *scheduleBody `json:"schedule,omitempty"`
}

func timePtr(t pgtype.Timestamptz) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

func timestamptz(t time.Time) pgtype.Timestamptz { return pgtype.Timestamptz{Time: t, Valid: true} }

// newMessageID is a fresh webhook-id: msg_ and 26 random base32 characters.
func newMessageID() string {
	return "msg_" + strings.ToLower(rand.Text())
}

func testPayload(orgID int64, orgName string) ([]byte, error) {
	return json.Marshal(Payload{Type: EventTest, Org: orgRef{ID: orgID, Name: orgName}})
}

// runEvents are the channel events that may hear of a run ending with status: failure for a
// failed run, success and recovery for a successful one; nothing for skipped or cancelled.
func runEvents(status string) []string {
	switch status {
	case "failed":
		return []string{"failure"}
	case "success":
		return []string{"success", "recovery"}
	}
	return nil
}

// messageType is what a channel subscribed to events hears of a run ending with status;
// recovering: the node's previous ended run (skipped and cancelled ones ignored) failed. A
// channel with both success and recovery gets one message, run.recovered, for a recovery.
func messageType(events []string, status string, recovering bool) string {
	switch {
	case status == "failed" && slices.Contains(events, "failure"):
		return EventRunFailed
	case status != "success":
		return ""
	case recovering && slices.Contains(events, "recovery"):
		return EventRunRecovered
	case slices.Contains(events, "success"):
		return EventRunSucceeded
	}
	return ""
}

// OnRunEnded decides the messages of a run's ending and writes each as a pending delivery with
// its job, in tx: the dispatcher's transaction that consumes the run's event, scoped to the
// run's org. Nothing is sent here; the messages exist exactly when that transaction commits,
// which is after the run's ending was committed (a run River retries for an infrastructure
// fault never ends in between, so it notifies nobody).
//
// The event's status decides (a run the reaper ended failed and its worker then settled as a
// success has two events, each heard as what it was); r gives the rest of the payload.
func (s *Service) OnRunEnded(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, ev RunEnded, r dbgen.Run) error {
	if ev.Status != "" {
		r.Status = ev.Status
	}
	wanted := runEvents(r.Status)
	if len(wanted) == 0 {
		return nil
	}
	channels, err := q.MatchNotifications(ctx, dbgen.MatchNotificationsParams{OrgID: r.OrgID, NodeType: r.TargetType, NodeID: r.TargetID, Events: wanted})
	if err != nil || len(channels) == 0 {
		return err
	}
	recovering := false
	if r.Status == "success" {
		prev, err := q.PreviousEndedRunStatus(ctx, dbgen.PreviousEndedRunStatusParams{OrgID: r.OrgID, TargetType: r.TargetType, TargetID: r.TargetID, BeforeID: r.ID})
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		recovering = prev == "failed"
	}
	orgName, err := q.NotificationOrgName(ctx, r.OrgID)
	if err != nil {
		return err
	}
	targetName, err := q.NotificationRunTargetName(ctx, dbgen.NotificationRunTargetNameParams{OrgID: r.OrgID, NodeType: r.TargetType, NodeID: r.TargetID})
	if err != nil {
		return err
	}
	body := runBody{ID: r.ID, Status: r.Status, Trigger: r.Trigger, TargetType: r.TargetType, TargetID: r.TargetID,
		TargetName: targetName, DagRunID: r.DagRunID, Error: r.Error, StartedAt: timePtr(r.StartedAt), FinishedAt: timePtr(r.FinishedAt),
		URL: strings.TrimRight(s.publicURL, "/") + "/runs/" + strconv.FormatInt(r.ID, 10)}
	for _, n := range channels {
		typ := messageType(n.Events, r.Status, recovering)
		if typ == "" {
			continue
		}
		payload, err := json.Marshal(Payload{Type: typ, Org: orgRef{ID: r.OrgID, Name: orgName}, Run: &body})
		if err != nil {
			return err
		}
		runID := r.ID
		dedupe := ""
		if ev.ID != 0 {
			dedupe = "run_event:" + strconv.FormatInt(ev.ID, 10)
		}
		if _, err := s.enqueue(ctx, q, tx, n, newMessageID(), typ, &runID, nil, payload, dedupe); err != nil {
			return err
		}
	}
	return nil
}

// ScheduleOverdue writes a schedule.overdue message for each active channel subscribed to
// overdue, org-wide or on the schedule's target, in tx, which must be scoped to o.OrgID.
func (s *Service) ScheduleOverdue(ctx context.Context, tx pgx.Tx, o OverdueSchedule) error {
	q := dbgen.New(tx)
	channels, err := q.MatchNotifications(ctx, dbgen.MatchNotificationsParams{OrgID: o.OrgID, NodeType: o.TargetType, NodeID: o.TargetID, Events: []string{"overdue"}})
	if err != nil || len(channels) == 0 {
		return err
	}
	orgName, err := q.NotificationOrgName(ctx, o.OrgID)
	if err != nil {
		return err
	}
	payload, err := json.Marshal(Payload{Type: EventScheduleOverdue, Org: orgRef{ID: o.OrgID, Name: orgName}, Schedule: &scheduleBody{
		ID: o.ID, TargetType: o.TargetType, TargetID: o.TargetID, TargetName: o.TargetName, Cron: o.Cron, Timezone: o.Timezone, DueAt: o.DueAt.UTC(),
	}})
	if err != nil {
		return err
	}
	for _, n := range channels {
		scheduleID := o.ID
		dedupe := "overdue:" + strconv.FormatInt(o.ID, 10) + ":" + strconv.FormatInt(o.DueAt.Unix(), 10)
		if _, err := s.enqueue(ctx, q, tx, n, newMessageID(), EventScheduleOverdue, nil, &scheduleID, payload, dedupe); err != nil {
			return err
		}
	}
	return nil
}

// enqueue writes the first attempt of a message, due now, and its job, in tx. A message whose
// dedupe key the channel already has is not written again (an event handled twice).
func (s *Service) enqueue(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, n dbgen.Notification, msgID, event string, runID, scheduleID *int64, payload []byte, dedupe string) (dbgen.NotificationDelivery, error) {
	var key *string
	if dedupe != "" {
		key = &dedupe
	}
	d, err := q.InsertNotificationDelivery(ctx, dbgen.InsertNotificationDeliveryParams{
		OrgID: n.OrgID, NotificationID: n.ID, MessageID: msgID, Event: event, RunID: runID, ScheduleID: scheduleID,
		Payload: payload, Attempt: 1, State: statePending, At: timestamptz(time.Now()), DedupeKey: key,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return d, nil // already written for this event
	}
	if err != nil {
		return d, err
	}
	if s.queue == nil {
		return d, errors.New("notify: no queue to insert the delivery job")
	}
	_, err = s.queue.InsertTx(ctx, tx, DeliveryArgs{OrgID: n.OrgID, DeliveryID: d.ID}, nil)
	return d, err
}

var _ river.JobArgs = DeliveryArgs{}
