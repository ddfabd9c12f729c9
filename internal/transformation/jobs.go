package transformation

import (
	"context"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/transform"
)

// JobInput is a job as asked for; nil fields take their defaults or stay.
type JobInput struct {
	Name, Description, Command, Select, Exclude *string
	FullRefresh                                 *bool
	Threads                                     *int
	DestinationConnectionID                     *int64
}

func jobAudit(j dbgen.Job) map[string]any {
	return map[string]any{"name": j.Name, "description": j.Description, "command": j.Command, "select": j.Select,
		"exclude": j.Exclude, "full_refresh": j.FullRefresh, "threads": j.Threads, "destination_connection_id": j.DestinationConnectionID}
}

// saveJob validates a job (its selector against the destination's project) and stores it.
func (s *Service) saveJob(ctx context.Context, p auth.Principal, id int64, in JobInput) (dbgen.Job, error) {
	var out dbgen.Job
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		var old *dbgen.Job
		next := dbgen.Job{Threads: 4}
		if id != 0 {
			row, err := q.GetJobForUpdate(ctx, dbgen.GetJobForUpdateParams{OrgID: p.OrgID, ID: id})
			if errors.Is(err, pgx.ErrNoRows) {
				return apperr.NotFoundf("No job %d.", id)
			}
			if err != nil {
				return err
			}
			old, next = &row, row
		}
		var fields []apperr.FieldError
		fail := func(field, msg string) { fields = append(fields, apperr.FieldError{Field: field, Message: msg}) }
		if in.Name != nil {
			next.Name = strings.TrimSpace(*in.Name)
		}
		if next.Name == "" || utf8.RuneCountInString(next.Name) > 100 {
			fail("name", "must be 1 to 100 characters")
		}
		if in.Description != nil {
			next.Description = *in.Description
			if f := checkDescription(next.Description); f != nil {
				fields = append(fields, *f)
			}
		}
		if in.Command != nil {
			next.Command = *in.Command
		}
		if !slices.Contains(transform.Commands, next.Command) || next.Command == "deps" {
			fail("command", "must be one of: build, run, test, seed, snapshot, compile, freshness")
		}
		if in.Select != nil {
			next.Select = strings.TrimSpace(*in.Select)
		}
		if in.Exclude != nil {
			next.Exclude = strings.TrimSpace(*in.Exclude)
		}
		if in.FullRefresh != nil {
			next.FullRefresh = *in.FullRefresh
		}
		if in.Threads != nil {
			if *in.Threads < 1 || *in.Threads > 32 {
				fail("threads", "must be 1 to 32")
			} else {
				next.Threads = int32(*in.Threads) //nolint:gosec // checked just above
			}
		}
		connID := in.DestinationConnectionID
		if connID == nil && old != nil {
			connID = &old.DestinationConnectionID
		}
		conn, f, err := destination(ctx, q, p, connID, "destination_connection_id")
		if err != nil {
			return err
		}
		if f != nil {
			fields = append(fields, *f)
		}
		if len(fields) == 0 && (next.Select != "" || next.Exclude != "") {
			l, err := s.load(ctx, q, p, conn)
			if err != nil {
				return err
			}
			parsed, err := l.parse(ctx, l.in)
			if err != nil {
				return err
			}
			if _, err := parsed.Engine.Graph().Select(next.Select, next.Exclude); err != nil {
				fail("select", err.Error())
			}
		}
		if len(fields) > 0 {
			return apperr.Invalidf(fields, "The job is invalid.")
		}
		next.DestinationConnectionID = conn.ID
		if old == nil {
			out, err = q.CreateJob(ctx, dbgen.CreateJobParams{OrgID: p.OrgID, Name: next.Name, Description: next.Description,
				Command: next.Command, Select: next.Select, Exclude: next.Exclude, FullRefresh: next.FullRefresh, Threads: next.Threads,
				DestinationConnectionID: next.DestinationConnectionID, CreatedBy: userID(p)})
		} else {
			out, err = q.UpdateJob(ctx, dbgen.UpdateJobParams{OrgID: p.OrgID, ID: id, Name: next.Name, Description: next.Description,
				Command: next.Command, Select: next.Select, Exclude: next.Exclude, FullRefresh: next.FullRefresh, Threads: next.Threads,
				DestinationConnectionID: next.DestinationConnectionID})
		}
		if uniqueViolation(err, "jobs_name_live") {
			return apperr.Conflictf("A job named %q already exists.", next.Name)
		}
		if err != nil {
			return err
		}
		if old == nil {
			return writeAudit(ctx, tx, p, "job.create", "job", out.ID, nil, jobAudit(out))
		}
		return writeAudit(ctx, tx, p, "job.update", "job", id, jobAudit(*old), jobAudit(out))
	})
	return out, err
}

// CreateJob stores a job; command is required.
func (s *Service) CreateJob(ctx context.Context, p auth.Principal, in JobInput) (dbgen.Job, error) {
	return s.saveJob(ctx, p, 0, in)
}

// UpdateJob changes a job.
func (s *Service) UpdateJob(ctx context.Context, p auth.Principal, id int64, in JobInput) (dbgen.Job, error) {
	return s.saveJob(ctx, p, id, in)
}

// GetJob returns a job of the org.
func (s *Service) GetJob(ctx context.Context, p auth.Principal, id int64) (dbgen.Job, error) {
	var out dbgen.Job
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		var err error
		out, err = q.GetJob(ctx, dbgen.GetJobParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No job %d.", id)
		}
		return err
	})
	return out, err
}

// ListJobs pages the org's jobs.
func (s *Service) ListJobs(ctx context.Context, p auth.Principal, afterID int64, limit int32) ([]dbgen.Job, error) {
	var out []dbgen.Job
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		var err error
		out, err = q.ListJobs(ctx, dbgen.ListJobsParams{OrgID: p.OrgID, AfterID: afterID, Lim: limit})
		return err
	})
	return out, err
}

// DeleteJob soft-deletes a job without an active run (409 otherwise).
func (s *Service) DeleteJob(ctx context.Context, p auth.Principal, id int64) error {
	return database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		row, err := q.SoftDeleteJob(ctx, dbgen.SoftDeleteJobParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No job %d.", id)
		}
		if err != nil {
			return err
		}
		if err := activeRun(ctx, q, p, "job", id, row.Name); err != nil {
			return err
		}
		// Its declared dependencies go with it.
		if err := q.DeleteDependenciesOfNode(ctx, dbgen.DeleteDependenciesOfNodeParams{OrgID: p.OrgID, NodeType: "job", NodeID: id}); err != nil {
			return err
		}
		return writeAudit(ctx, tx, p, "job.delete", "job", id, jobAudit(row), nil)
	})
}

// PlanInput is a job's command and selector as being written, before it is saved.
type PlanInput struct {
	Command, Select, Exclude string
	DestinationConnectionID  *int64
}

// PlannedNode is a node a job would execute.
type PlannedNode struct {
	UniqueID, Name, ResourceType string
}

// PlanJob lists the nodes a job of this command and selector would execute in the project of
// its destination (default: the Warehouse), in the order they would run; nothing is stored or
// run. A bad command, selector or destination answers 422.
func (s *Service) PlanJob(ctx context.Context, p auth.Principal, in PlanInput) ([]PlannedNode, error) {
	var out []PlannedNode
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		if !slices.Contains(transform.Commands, in.Command) || in.Command == "deps" {
			return apperr.Invalidf([]apperr.FieldError{{Field: "command",
				Message: "must be one of: build, run, test, seed, snapshot, compile, freshness"}}, "The command is invalid.")
		}
		l, err := s.projectOf(ctx, q, p, in.DestinationConnectionID)
		if err != nil {
			return err
		}
		parsed, err := l.parse(ctx, l.in)
		if err != nil {
			return err
		}
		ids, err := parsed.Engine.Plan(in.Command, strings.TrimSpace(in.Select), strings.TrimSpace(in.Exclude))
		if err != nil {
			return apperr.Invalidf([]apperr.FieldError{{Field: "select", Message: err.Error()}}, "The selector is invalid.")
		}
		nodes := parsed.Engine.Project().Nodes
		out = make([]PlannedNode, 0, len(ids))
		for _, id := range ids {
			if n := nodes[id]; n != nil {
				out = append(out, PlannedNode{UniqueID: id, Name: n.Name, ResourceType: n.ResourceType})
			}
		}
		return nil
	})
	return out, err
}
