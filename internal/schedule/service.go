// Package schedule owns schedules (SPEC §8): a pipeline, transformation or job fired on a
// 5-field cron expression in an IANA zone. The service validates and stores them (the
// expression normalized, next_fire_at computed by internal/cron, the same code that fires
// them); the scheduler (scheduler.go) claims due rows and fires each one exactly once across
// any number of processes; the watchdog (watchdog.go) reports fires no scheduler claimed.
package schedule

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/audit"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/cron"
	"github.com/datanika/datanika/internal/database"
)

// DefaultGrace is the misfire grace of a schedule that names none.
const DefaultGrace = 300

// overdueSlack is the least lateness reported as overdue, whatever the grace: a schedule with
// no grace is not overdue because one tick took a second.
const overdueSlack = 60 * time.Second

// TargetTypes are the node types a schedule can fire.
var TargetTypes = []string{"pipeline", "transformation", "job"}

// Service stores schedules.
type Service struct {
	db  database.DB
	now func() time.Time
}

// New returns the schedules service.
func New(db database.DB) *Service { return &Service{db: db, now: time.Now} }

// WithClock makes the service read the time from now (tests).
func (s *Service) WithClock(now func() time.Time) *Service { s.now = now; return s }

// Schedule is a stored schedule with what the API shows beside its columns.
type Schedule struct {
	dbgen.Schedule
	TargetName  string
	Description string
	Overdue     bool
}

// Input is a schedule as asked for; nil fields take their defaults (create) or stay (update).
// TargetType and TargetID are read on create only.
type Input struct {
	TargetType          *string
	TargetID            *int64
	Cron, Timezone      *string
	IsActive            *bool
	Downstream          *bool
	MisfireGraceSeconds *int32
}

// Fire is one fire instant: At in UTC, Local the same instant in the schedule's zone.
type Fire struct {
	At, Local time.Time
}

// Compiled is a validated expression and zone.
type Compiled struct {
	Cron *cron.Schedule
	Loc  *time.Location
}

// Compile validates an expression and a zone, answering 422 with the fields at fault.
func Compile(expr, zone string) (Compiled, error) {
	var fields []apperr.FieldError
	c, err := cron.Parse(expr)
	if err != nil {
		fields = append(fields, apperr.FieldError{Field: "cron", Message: err.Error()})
	}
	loc, err := cron.LoadZone(zone)
	if err != nil {
		fields = append(fields, apperr.FieldError{Field: "timezone", Message: err.Error()})
	}
	if len(fields) > 0 {
		return Compiled{}, apperr.Invalidf(fields, "The schedule is invalid.")
	}
	return Compiled{Cron: c, Loc: loc}, nil
}

// Fires lists the count fires strictly after `after`.
func (c Compiled) Fires(after time.Time, count int) []Fire {
	out := make([]Fire, 0, count)
	for _, t := range c.Cron.NextN(after, c.Loc, count) {
		out = append(out, Fire{At: t.UTC(), Local: t.In(c.Loc)})
	}
	return out
}

// Preview describes an expression in words and lists its next count fires after `after`.
func Preview(expr, zone string, after time.Time, count int) (string, []Fire, error) {
	c, err := Compile(expr, zone)
	if err != nil {
		return "", nil, err
	}
	return c.Cron.Describe(), c.Fires(after, count), nil
}

func ts(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t, Valid: true}
}

func audited(s dbgen.Schedule) map[string]any {
	return map[string]any{"target_type": s.TargetType, "target_id": s.TargetID, "cron": s.Cron, "timezone": s.Timezone,
		"is_active": s.IsActive, "downstream": s.Downstream, "misfire_grace_seconds": s.MisfireGraceSeconds}
}

func writeAudit(ctx context.Context, tx pgx.Tx, p auth.Principal, action string, id int64, oldV, newV map[string]any) error {
	return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: action, ResourceType: "schedule",
		ResourceID: strconv.FormatInt(id, 10), Old: oldV, New: newV})
}

func (s *Service) view(ctx context.Context, q *dbgen.Queries, row dbgen.Schedule) Schedule {
	out := Schedule{Schedule: row}
	if n, err := q.ScheduleTarget(ctx, dbgen.ScheduleTargetParams{OrgID: row.OrgID, TargetType: row.TargetType, TargetID: row.TargetID}); err == nil {
		out.TargetName = n.Name
	}
	return s.decorate(out)
}

func (s *Service) decorate(out Schedule) Schedule {
	if c, err := cron.Parse(out.Cron); err == nil {
		out.Description = c.Describe()
	}
	out.Overdue = isOverdue(out.Schedule, s.now())
	return out
}

func isOverdue(row dbgen.Schedule, now time.Time) bool {
	if !row.IsActive || !row.NextFireAt.Valid {
		return false
	}
	grace := max(time.Duration(row.MisfireGraceSeconds)*time.Second, overdueSlack)
	return row.NextFireAt.Time.Before(now.Add(-grace))
}

// save validates and stores a schedule: id 0 creates one.
func (s *Service) save(ctx context.Context, p auth.Principal, id int64, in Input) (Schedule, error) {
	var out Schedule
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		var old *dbgen.Schedule
		next := dbgen.Schedule{OrgID: p.OrgID, IsActive: true, MisfireGraceSeconds: DefaultGrace}
		if id != 0 {
			row, err := q.GetScheduleForUpdate(ctx, dbgen.GetScheduleForUpdateParams{OrgID: p.OrgID, ID: id})
			if errors.Is(err, pgx.ErrNoRows) {
				return apperr.NotFoundf("No schedule %d.", id)
			}
			if err != nil {
				return err
			}
			old, next = &row, row
		}
		var fields []apperr.FieldError
		fail := func(field, msg string) { fields = append(fields, apperr.FieldError{Field: field, Message: msg}) }
		if old == nil {
			if in.TargetType == nil || !slices.Contains(TargetTypes, *in.TargetType) {
				fail("target_type", "must be pipeline, transformation or job")
			} else {
				next.TargetType = *in.TargetType
			}
			if in.TargetID == nil || *in.TargetID <= 0 {
				fail("target_id", "is required")
			} else {
				next.TargetID = *in.TargetID
			}
			if in.Cron == nil {
				fail("cron", "is required")
			}
			if in.Timezone == nil {
				fail("timezone", "is required")
			}
		}
		if in.Cron != nil {
			next.Cron = *in.Cron
		}
		if in.Timezone != nil {
			next.Timezone = *in.Timezone
		}
		if in.IsActive != nil {
			next.IsActive = *in.IsActive
		}
		if in.Downstream != nil {
			next.Downstream = *in.Downstream
		}
		if in.MisfireGraceSeconds != nil {
			if g := *in.MisfireGraceSeconds; g < 0 || g > 86400 {
				fail("misfire_grace_seconds", "must be 0 to 86400")
			} else {
				next.MisfireGraceSeconds = g
			}
		}
		var compiled Compiled
		if in.Cron != nil || in.Timezone != nil || old == nil {
			c, err := Compile(next.Cron, next.Timezone)
			if e, ok := apperr.As(err); ok {
				fields = append(fields, e.Fields...)
			}
			compiled = c
		} else {
			c, err := Compile(next.Cron, next.Timezone)
			if err != nil {
				return err
			}
			compiled = c
		}
		if old == nil && next.TargetType != "" && next.TargetID > 0 {
			_, err := q.ScheduleTarget(ctx, dbgen.ScheduleTargetParams{OrgID: p.OrgID, TargetType: next.TargetType, TargetID: next.TargetID})
			if errors.Is(err, pgx.ErrNoRows) {
				fail("target_id", "no "+next.TargetType+" with this id")
			} else if err != nil {
				return err
			}
		}
		if len(fields) > 0 {
			return apperr.Invalidf(fields, "The schedule is invalid.")
		}
		next.Cron = compiled.Cron.String()
		// next_fire_at: kept while the schedule and its timing are unchanged; computed afresh from
		// now on create, on resume and when the expression or zone changes; null while paused.
		nextFire := next.NextFireAt
		switch {
		case !next.IsActive:
			nextFire = pgtype.Timestamptz{}
		case old == nil || !old.IsActive || old.Cron != next.Cron || old.Timezone != next.Timezone || !old.NextFireAt.Valid:
			nextFire = ts(compiled.Cron.Next(s.now(), compiled.Loc).UTC())
		}
		var (
			row dbgen.Schedule
			err error
		)
		if old == nil {
			row, err = q.CreateSchedule(ctx, dbgen.CreateScheduleParams{OrgID: p.OrgID, TargetType: next.TargetType, TargetID: next.TargetID,
				Cron: next.Cron, Timezone: next.Timezone, IsActive: next.IsActive, Downstream: next.Downstream,
				MisfireGraceSeconds: next.MisfireGraceSeconds, NextFireAt: nextFire, CreatedBy: userID(p)})
		} else {
			row, err = q.UpdateSchedule(ctx, dbgen.UpdateScheduleParams{OrgID: p.OrgID, ID: id, Cron: next.Cron, Timezone: next.Timezone,
				IsActive: next.IsActive, Downstream: next.Downstream, MisfireGraceSeconds: next.MisfireGraceSeconds, NextFireAt: nextFire})
		}
		if err != nil {
			return err
		}
		out = s.view(ctx, q, row)
		if old == nil {
			return writeAudit(ctx, tx, p, "schedule.create", row.ID, nil, audited(row))
		}
		return writeAudit(ctx, tx, p, "schedule.update", row.ID, audited(*old), audited(row))
	})
	return out, err
}

func userID(p auth.Principal) *int64 {
	if p.UserID == 0 {
		return nil
	}
	return &p.UserID
}

// Create stores a schedule of a node of the org.
func (s *Service) Create(ctx context.Context, p auth.Principal, in Input) (Schedule, error) {
	return s.save(ctx, p, 0, in)
}

// Update changes, pauses (is_active false) or resumes a schedule.
func (s *Service) Update(ctx context.Context, p auth.Principal, id int64, in Input) (Schedule, error) {
	return s.save(ctx, p, id, in)
}

// Get returns a schedule of the org.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Schedule, error) {
	var out Schedule
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		row, err := q.GetSchedule(ctx, dbgen.GetScheduleParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No schedule %d.", id)
		}
		if err != nil {
			return err
		}
		out = s.view(ctx, q, row)
		return nil
	})
	return out, err
}

// Filter narrows a list.
type Filter struct {
	TargetType *string
	TargetID   *int64
	AfterID    int64
	Limit      int32
}

// List pages the org's schedules.
func (s *Service) List(ctx context.Context, p auth.Principal, f Filter) ([]Schedule, error) {
	var out []Schedule
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		rows, err := q.ListSchedules(ctx, dbgen.ListSchedulesParams{OrgID: p.OrgID, AfterID: f.AfterID,
			TargetType: f.TargetType, TargetID: f.TargetID, Lim: f.Limit})
		if err != nil {
			return err
		}
		out, err = s.named(ctx, q, p, rows)
		return err
	})
	return out, err
}

// named decorates rows with their targets' names in one query.
func (s *Service) named(ctx context.Context, q *dbgen.Queries, p auth.Principal, rows []dbgen.Schedule) ([]Schedule, error) {
	keys := make([]string, 0, len(rows))
	for _, r := range rows {
		keys = append(keys, r.TargetType+":"+strconv.FormatInt(r.TargetID, 10))
	}
	names, err := q.ScheduleTargetNames(ctx, dbgen.ScheduleTargetNamesParams{OrgID: p.OrgID, Keys: keys})
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]string, len(names))
	for _, n := range names {
		byKey[n.Key] = n.Name
	}
	out := make([]Schedule, 0, len(rows))
	for i, r := range rows {
		out = append(out, s.decorate(Schedule{Schedule: r, TargetName: byKey[keys[i]]}))
	}
	return out, nil
}

// Delete removes a schedule; its fire records go with it.
func (s *Service) Delete(ctx context.Context, p auth.Principal, id int64) error {
	return database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		row, err := q.DeleteSchedule(ctx, dbgen.DeleteScheduleParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No schedule %d.", id)
		}
		if err != nil {
			return err
		}
		return writeAudit(ctx, tx, p, "schedule.delete", id, audited(row), nil)
	})
}

// Next lists a schedule's next count fires after now (after its stored next fire, it is the
// same list) whether or not it is paused.
func (s *Service) Next(ctx context.Context, p auth.Principal, id int64, count int) ([]Fire, error) {
	sc, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	c, err := Compile(sc.Cron, sc.Timezone)
	if err != nil {
		return nil, err
	}
	return c.Fires(s.now(), count), nil
}

// UpcomingFire is one coming (or overdue) fire of a schedule, for the dashboard.
type UpcomingFire struct {
	ScheduleID int64
	TargetType string
	TargetID   int64
	TargetName string
	At         time.Time
	Timezone   string
}

// Dashboard returns the next n fires of the org's active schedules, soonest first, and its
// overdue schedules.
func (s *Service) Dashboard(ctx context.Context, p auth.Principal, n int) (next, overdue []UpcomingFire, err error) {
	now := s.now()
	next, overdue = []UpcomingFire{}, []UpcomingFire{}
	err = database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		rows, err := q.ActiveSchedulesByNextFire(ctx, dbgen.ActiveSchedulesByNextFireParams{OrgID: p.OrgID, Lim: int32(n)}) //nolint:gosec // small
		if err != nil {
			return err
		}
		late, err := q.OverdueSchedules(ctx, dbgen.OverdueSchedulesParams{OrgID: p.OrgID, Now: ts(now)})
		if err != nil {
			return err
		}
		named, err := s.named(ctx, q, p, append(rows, late...))
		if err != nil {
			return err
		}
		// The n soonest schedules hold the n soonest fires: expand each to its next n and merge.
		for _, sc := range named[:len(rows)] {
			c, err := Compile(sc.Cron, sc.Timezone)
			if err != nil {
				continue
			}
			at := sc.NextFireAt.Time
			for i := 0; i < n; i++ {
				next = append(next, UpcomingFire{ScheduleID: sc.ID, TargetType: sc.TargetType, TargetID: sc.TargetID,
					TargetName: sc.TargetName, At: at.UTC(), Timezone: sc.Timezone})
				if at = c.Cron.Next(at, c.Loc); at.IsZero() {
					break
				}
			}
		}
		slices.SortStableFunc(next, func(a, b UpcomingFire) int {
			if c := a.At.Compare(b.At); c != 0 {
				return c
			}
			return int(a.ScheduleID - b.ScheduleID)
		})
		next = next[:min(n, len(next))]
		for _, sc := range named[len(rows):] {
			overdue = append(overdue, UpcomingFire{ScheduleID: sc.ID, TargetType: sc.TargetType, TargetID: sc.TargetID,
				TargetName: sc.TargetName, At: sc.NextFireAt.Time.UTC(), Timezone: sc.Timezone})
		}
		return nil
	})
	return next, overdue, err
}
