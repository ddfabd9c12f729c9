// Package notify owns notification channels (SPEC §8): webhooks signed as Standard Webhooks
// specify and Slack-compatible URLs, on run failure, success, recovery or an overdue schedule,
// org-wide or for one node. A message is decided in the transaction that handles a run's ended
// event (the run_events outbox), written there as a pending delivery row with its River job, and
// sent by the notification_delivery worker through the egress policy, each attempt recorded.
package notify

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/audit"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/secrets"
)

// Queue inserts jobs in a transaction (*queue.Client).
type Queue interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Service implements notification channels and decides their messages.
type Service struct {
	db        database.DB
	keyring   *secrets.Keyring
	queue     Queue
	sender    *Sender
	publicURL string
}

// New returns the service. publicURL is where people open the app (run links); sender sends
// the Test button's message (nil: Test is unavailable).
func New(db database.DB, keyring *secrets.Keyring, queue Queue, sender *Sender, publicURL string) *Service {
	return &Service{db: db, keyring: keyring, queue: queue, sender: sender, publicURL: publicURL}
}

// Notification is a stored channel. Secret is set only in the answer to Create.
type Notification struct {
	dbgen.Notification
	TargetName *string
	Secret     string
}

// CreateInput is a new channel.
type CreateInput struct {
	Name, Channel, URL string
	Events             []string // nil: [failure]
	TargetType         *string
	TargetID           *int64
	IsActive           *bool
}

// UpdateInput changes the fields given. A target is changed when TargetType or TargetID is given
// (both, or SetTarget with both nil to make the channel org-wide).
type UpdateInput struct {
	Name, URL  *string
	Events     []string
	TargetType *string
	TargetID   *int64
	SetTarget  bool
	IsActive   *bool
}

func sealContext(orgID int64) []byte {
	return []byte("org:" + strconv.FormatInt(orgID, 10) + "/notification")
}

func nameTaken(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "notifications_name"
}

var errNotFound = apperr.NotFoundf("No such notification.")

// targetName checks the target is a live node of the org.
func targetName(ctx context.Context, q *dbgen.Queries, orgID int64, typ *string, id *int64) (*string, error) {
	if typ == nil || id == nil {
		return nil, nil
	}
	name, err := q.NotificationNodeName(ctx, dbgen.NotificationNodeNameParams{OrgID: orgID, NodeType: *typ, NodeID: *id})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, invalid([]apperr.FieldError{{Field: "target_id", Message: "is not a " + *typ + " of this organization"}})
	}
	if err != nil {
		return nil, err
	}
	return &name, nil
}

func (s *Service) withName(ctx context.Context, q *dbgen.Queries, n dbgen.Notification) (Notification, error) {
	out := Notification{Notification: n}
	if n.TargetType != nil && n.TargetID != nil {
		name, err := q.NotificationRunTargetName(ctx, dbgen.NotificationRunTargetNameParams{OrgID: n.OrgID, NodeType: *n.TargetType, NodeID: *n.TargetID})
		if err != nil {
			return out, err
		}
		out.TargetName = &name
	}
	return out, nil
}

func auditValues(n dbgen.Notification) map[string]any {
	return map[string]any{"name": n.Name, "channel": n.Channel, "url": MaskURL(n.Url), "events": n.Events,
		"target_type": n.TargetType, "target_id": n.TargetID, "is_active": n.IsActive}
}

// Create stores a channel; a webhook gets a fresh signing secret, answered this once.
func (s *Service) Create(ctx context.Context, p auth.Principal, in CreateInput) (Notification, error) {
	var fields []apperr.FieldError
	name, fe := checkName(in.Name)
	if fe != nil {
		fields = append(fields, *fe)
	}
	u, fe := checkURL(in.URL)
	if fe != nil {
		fields = append(fields, *fe)
	}
	if in.Channel != "webhook" && in.Channel != "slack" {
		fields = append(fields, apperr.FieldError{Field: "channel", Message: "must be webhook or slack"})
	}
	events := []string{"failure"}
	if in.Events != nil {
		if events, fe = checkEvents(in.Events); fe != nil {
			fields = append(fields, *fe)
		}
	}
	if fe := checkTarget(in.TargetType, in.TargetID); fe != nil {
		fields = append(fields, *fe)
	}
	if len(fields) > 0 {
		return Notification{}, invalid(fields)
	}
	active := in.IsActive == nil || *in.IsActive
	var secret string
	var sealed []byte
	if in.Channel == "webhook" {
		secret = newSecret()
		var err error
		if sealed, err = s.keyring.Seal([]byte(secret), sealContext(p.OrgID)); err != nil {
			return Notification{}, err
		}
	}
	var out Notification
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		tname, err := targetName(ctx, q, p.OrgID, in.TargetType, in.TargetID)
		if err != nil {
			return err
		}
		var createdBy *int64
		if p.UserID != 0 {
			createdBy = &p.UserID
		}
		n, err := q.CreateNotification(ctx, dbgen.CreateNotificationParams{
			OrgID: p.OrgID, Name: name, Channel: in.Channel, Url: u, SecretSealed: sealed, Events: events,
			TargetType: in.TargetType, TargetID: in.TargetID, IsActive: active, CreatedBy: createdBy,
		})
		if nameTaken(err) {
			return apperr.Conflictf("A notification named %q already exists.", name)
		}
		if err != nil {
			return err
		}
		out = Notification{Notification: n, TargetName: tname, Secret: secret}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "notification.create", ResourceType: "notification",
			ResourceID: strconv.FormatInt(n.ID, 10), New: auditValues(n)})
	})
	return out, err
}

// Get returns a channel of the principal's org.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Notification, error) {
	var out Notification
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		n, err := q.GetNotification(ctx, dbgen.GetNotificationParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		out, err = s.withName(ctx, q, n)
		return err
	})
	return out, err
}

// List pages the org's channels by id.
func (s *Service) List(ctx context.Context, p auth.Principal, after int64, limit int32) ([]Notification, error) {
	var out []Notification
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		rows, err := q.ListNotifications(ctx, dbgen.ListNotificationsParams{OrgID: p.OrgID, AfterID: after, Lim: limit})
		if err != nil {
			return err
		}
		out = make([]Notification, 0, len(rows))
		for _, n := range rows {
			x, err := s.withName(ctx, q, n)
			if err != nil {
				return err
			}
			out = append(out, x)
		}
		return nil
	})
	return out, err
}

// Update changes a channel. Its channel type and secret never change.
func (s *Service) Update(ctx context.Context, p auth.Principal, id int64, in UpdateInput) (Notification, error) {
	var out Notification
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		old, err := q.GetNotification(ctx, dbgen.GetNotificationParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		params := dbgen.UpdateNotificationParams{OrgID: p.OrgID, ID: id, Name: old.Name, Url: old.Url, Events: old.Events,
			TargetType: old.TargetType, TargetID: old.TargetID, IsActive: old.IsActive}
		var fields []apperr.FieldError
		if in.Name != nil {
			var fe *apperr.FieldError
			if params.Name, fe = checkName(*in.Name); fe != nil {
				fields = append(fields, *fe)
			}
		}
		if in.URL != nil {
			var fe *apperr.FieldError
			if params.Url, fe = checkURL(*in.URL); fe != nil {
				fields = append(fields, *fe)
			}
		}
		if in.Events != nil {
			var fe *apperr.FieldError
			if params.Events, fe = checkEvents(in.Events); fe != nil {
				fields = append(fields, *fe)
			}
		}
		if in.SetTarget || in.TargetType != nil || in.TargetID != nil {
			if fe := checkTarget(in.TargetType, in.TargetID); fe != nil {
				fields = append(fields, *fe)
			}
			params.TargetType, params.TargetID = in.TargetType, in.TargetID
		}
		if in.IsActive != nil {
			params.IsActive = *in.IsActive
		}
		if len(fields) > 0 {
			return invalid(fields)
		}
		tname, err := targetName(ctx, q, p.OrgID, params.TargetType, params.TargetID)
		if err != nil {
			return err
		}
		n, err := q.UpdateNotification(ctx, params)
		if nameTaken(err) {
			return apperr.Conflictf("A notification named %q already exists.", params.Name)
		}
		if err != nil {
			return err
		}
		out = Notification{Notification: n, TargetName: tname}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "notification.update", ResourceType: "notification",
			ResourceID: strconv.FormatInt(id, 10), Old: auditValues(old), New: auditValues(n)})
	})
	return out, err
}

// Delete removes a channel and its delivery log; its queued attempts find nothing to send.
func (s *Service) Delete(ctx context.Context, p auth.Principal, id int64) error {
	return database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		old, err := q.GetNotification(ctx, dbgen.GetNotificationParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		if _, err := q.DeleteNotification(ctx, dbgen.DeleteNotificationParams{OrgID: p.OrgID, ID: id}); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "notification.delete", ResourceType: "notification",
			ResourceID: strconv.FormatInt(id, 10), Old: auditValues(old)})
	})
}

// Deliveries pages a channel's attempts, newest first (before: the last id of the previous page).
func (s *Service) Deliveries(ctx context.Context, p auth.Principal, id, before int64, limit int32) ([]dbgen.NotificationDelivery, error) {
	var out []dbgen.NotificationDelivery
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		if _, err := q.GetNotification(ctx, dbgen.GetNotificationParams{OrgID: p.OrgID, ID: id}); errors.Is(err, pgx.ErrNoRows) {
			return errNotFound
		} else if err != nil {
			return err
		}
		var err error
		out, err = q.ListNotificationDeliveries(ctx, dbgen.ListNotificationDeliveriesParams{OrgID: p.OrgID, NotificationID: id, BeforeID: before, Lim: limit})
		return err
	})
	return out, err
}

// Redeliver queues a message again as a new series of attempts: the same message id and
// payload (receivers dedupe on the id), a new timestamp and signature.
func (s *Service) Redeliver(ctx context.Context, p auth.Principal, id, deliveryID int64) (dbgen.NotificationDelivery, error) {
	var out dbgen.NotificationDelivery
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		n, err := q.GetNotification(ctx, dbgen.GetNotificationParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		d, err := q.GetNotificationDelivery(ctx, dbgen.GetNotificationDeliveryParams{OrgID: p.OrgID, NotificationID: id, ID: deliveryID})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No such delivery.")
		}
		if err != nil {
			return err
		}
		if out, err = s.enqueue(ctx, q, tx, n, d.MessageID, d.Event, d.RunID, d.ScheduleID, d.Payload, ""); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "notification.redeliver", ResourceType: "notification",
			ResourceID: strconv.FormatInt(id, 10), New: map[string]any{"message_id": d.MessageID, "delivery_id": deliveryID}})
	})
	return out, err
}

// Test sends a test event to the channel now, once, and records and returns the attempt.
func (s *Service) Test(ctx context.Context, p auth.Principal, id int64) (dbgen.NotificationDelivery, error) {
	if s.sender == nil {
		return dbgen.NotificationDelivery{}, apperr.New(apperr.Unavailable, "Sending is not configured on this server.")
	}
	var n dbgen.Notification
	var orgName string
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		var err error
		n, err = q.GetNotification(ctx, dbgen.GetNotificationParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		orgName, err = q.NotificationOrgName(ctx, p.OrgID)
		return err
	})
	if err != nil {
		return dbgen.NotificationDelivery{}, err
	}
	payload, err := testPayload(p.OrgID, orgName)
	if err != nil {
		return dbgen.NotificationDelivery{}, err
	}
	msgID := newMessageID()
	secret, err := s.openSecret(n)
	if err != nil {
		return dbgen.NotificationDelivery{}, err
	}
	at := s.sender.now()
	res := s.sender.Send(ctx, n.Channel, n.Url, secret, msgID, payload)
	state := "delivered"
	if res.Err != "" {
		state = "failed"
	}
	var out dbgen.NotificationDelivery
	err = database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		var err error
		out, err = q.InsertNotificationDelivery(ctx, dbgen.InsertNotificationDeliveryParams{
			OrgID: p.OrgID, NotificationID: n.ID, MessageID: msgID, Event: EventTest, Payload: payload, Attempt: 1,
			State: state, StatusCode: res.statusCode(), Error: res.errPtr(), At: timestamptz(at),
		})
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "notification.test", ResourceType: "notification",
			ResourceID: strconv.FormatInt(id, 10), New: map[string]any{"message_id": msgID, "state": state}})
	})
	return out, err
}

func (s *Service) openSecret(n dbgen.Notification) (string, error) {
	return openSecret(s.keyring, n)
}

func openSecret(keyring *secrets.Keyring, n dbgen.Notification) (string, error) {
	if n.SecretSealed == nil {
		return "", nil
	}
	plain, err := keyring.Open(n.SecretSealed, sealContext(n.OrgID))
	if err != nil {
		return "", fmt.Errorf("open notification %d secret: %w", n.ID, err)
	}
	return string(plain), nil
}
