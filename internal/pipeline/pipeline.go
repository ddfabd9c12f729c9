// Package pipeline owns an org's pipelines (SPEC §6): their names, their source and
// destination connections (checked for org, capability and what the load engine can drive, and
// locked while a pipeline starts using them), their config validated and normalised by the load
// engine's rules, the destination schema fixed at creation, their status and soft deletion.
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/audit"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/load"
)

// Service implements pipelines.
type Service struct {
	db       database.DB
	registry *connectors.Registry
	logger   *slog.Logger
}

// New returns the pipelines service; registry says what each connection type can be.
func New(db database.DB, registry *connectors.Registry, logger *slog.Logger) *Service {
	return &Service{db: db, registry: registry, logger: logger}
}

// Pipeline is a stored pipeline with its normalised config and its newest run, if any.
type Pipeline struct {
	dbgen.Pipeline
	Config  map[string]any
	LastRun *dbgen.Run
}

// CreateInput is a new pipeline as asked for; nil fields take their defaults.
type CreateInput struct {
	Name                    string
	Description             *string
	SourceConnectionID      int64
	DestinationConnectionID int64
	// DestinationSchema defaults to DefaultSchema(Name).
	DestinationSchema *string
	// Status defaults to DefaultStatus.
	Status *string
	Config map[string]any
}

// UpdateInput is a change; nil fields stay as they are. Config, when given, replaces the
// stored config whole (then normalised). There is no destination schema: it never changes.
type UpdateInput struct {
	Name                    *string
	Description             *string
	SourceConnectionID      *int64
	DestinationConnectionID *int64
	Status                  *string
	Config                  *map[string]any
}

func duplicateName(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "pipelines_name_live"
}

func invalid(fields []apperr.FieldError) error {
	return apperr.Invalidf(fields, "The pipeline is invalid.")
}

type endpointRole int

const (
	asSource endpointRole = iota
	asDestination
)

// useConnection checks that connection id of the principal's org can serve as role, locking
// its row FOR SHARE until the transaction ends (migration 000007): a concurrent delete of the
// connection then either waits and finds this pipeline, or committed first and the row no
// longer matches. A connection of another org is reported exactly like a missing one.
func (s *Service) useConnection(ctx context.Context, q *dbgen.Queries, orgID, id int64, role endpointRole) (*apperr.FieldError, error) {
	field, what := "source_connection_id", "source"
	if role == asDestination {
		field, what = "destination_connection_id", "destination"
	}
	fail := func(format string, args ...any) (*apperr.FieldError, error) {
		return &apperr.FieldError{Field: field, Message: fmt.Sprintf(format, args...)}, nil
	}
	row, err := q.LockPipelineConnection(ctx, dbgen.LockPipelineConnectionParams{OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return fail("no such connection")
	}
	if err != nil {
		return nil, err
	}
	t, ok := s.registry.Lookup(row.Type)
	if !ok || !t.Available() {
		return fail("is a %s connection, a type this installation does not offer", row.Type)
	}
	switch role {
	case asSource:
		if !t.Capabilities.Source {
			return fail("a %s connection cannot be a %s", t.Label, what)
		}
		if !load.SupportsSource(row.Type) {
			return fail("the load engine cannot read %s connections yet", t.Label)
		}
	case asDestination:
		if !t.Capabilities.Destination {
			return fail("a %s connection cannot be a %s", t.Label, what)
		}
		switch err := load.SupportsDestination(row.Type); {
		case errors.Is(err, load.ErrDestinationNotSupported):
			return fail("the load engine cannot load into %s connections yet", t.Label)
		case err != nil:
			return fail("the load engine cannot load into %s connections: %v", t.Label, err)
		}
	}
	return nil, nil
}

func (s *Service) open(row dbgen.Pipeline) (Pipeline, error) {
	out := Pipeline{Pipeline: row, Config: map[string]any{}}
	if len(row.Config) > 0 {
		if err := decodeExact(row.Config, &out.Config); err != nil {
			return Pipeline{}, fmt.Errorf("decode pipeline %d config: %w", row.ID, err)
		}
	}
	return out, nil
}

// auditValues is what the audit log records of a pipeline (no secret lives in one).
func auditValues(p dbgen.Pipeline, cfg map[string]any) map[string]any {
	return map[string]any{
		"name": p.Name, "description": p.Description, "source_connection_id": p.SourceConnectionID,
		"destination_connection_id": p.DestinationConnectionID, "destination_schema": p.DestinationSchema,
		"status": p.Status, "config": cfg,
	}
}

// Create validates and stores a new pipeline. Every invalid field is reported at once (422);
// a live pipeline of the same name, case aside, is a conflict (409).
func (s *Service) Create(ctx context.Context, p auth.Principal, in CreateInput) (Pipeline, error) {
	var fields []apperr.FieldError
	add := func(f *apperr.FieldError) {
		if f != nil {
			fields = append(fields, *f)
		}
	}
	name, ferr := checkName(in.Name)
	add(ferr)
	description := ""
	if in.Description != nil {
		description = *in.Description
		add(checkDescription(description))
	}
	status := DefaultStatus
	if in.Status != nil {
		status = *in.Status
		add(checkStatus(status))
	}
	var schema string
	switch {
	case in.DestinationSchema != nil:
		schema = *in.DestinationSchema
		add(checkSchema(schema))
	case ferr == nil:
		schema = DefaultSchema(name)
		if f := checkSchema(schema); f != nil {
			f.Message = fmt.Sprintf("the default %q taken from the name %s; choose one", schema, f.Message)
			add(f)
		}
	}
	cfg, cfgErrs := Normalize(in.Config)
	fields = append(fields, cfgErrs...)
	rawCfg, err := json.Marshal(cfg)
	if err != nil {
		return Pipeline{}, err
	}

	var out Pipeline
	err = database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		for _, c := range []struct {
			id   int64
			role endpointRole
		}{{in.SourceConnectionID, asSource}, {in.DestinationConnectionID, asDestination}} {
			f, err := s.useConnection(ctx, q, p.OrgID, c.id, c.role)
			if err != nil {
				return err
			}
			add(f)
		}
		if len(fields) == 0 {
			refused, err := sourceConfigErrors(ctx, q, p.OrgID, in.SourceConnectionID, cfg)
			if err != nil {
				return err
			}
			fields = append(fields, refused...)
		}
		if len(fields) > 0 {
			return invalid(fields)
		}
		row, err := q.CreatePipeline(ctx, dbgen.CreatePipelineParams{
			OrgID: p.OrgID, Name: name, Description: description, SourceConnectionID: in.SourceConnectionID,
			DestinationConnectionID: in.DestinationConnectionID, DestinationSchema: schema, Status: status,
			Config: rawCfg, CreatedBy: userID(p),
		})
		if duplicateName(err) {
			return apperr.Conflictf("A pipeline named %q already exists.", name)
		}
		if err != nil {
			return err
		}
		out = Pipeline{Pipeline: row, Config: cfg}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "pipeline.create", ResourceType: "pipeline",
			ResourceID: strconv.FormatInt(row.ID, 10), New: auditValues(row, cfg)})
	})
	return out, err
}

// userID is the creator to record: nobody for a principal without a user.
func userID(p auth.Principal) *int64 {
	if p.UserID == 0 {
		return nil
	}
	id := p.UserID
	return &id
}

// Get returns a pipeline of the principal's org with its newest run.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Pipeline, error) {
	var out Pipeline
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		row, err := q.GetPipeline(ctx, dbgen.GetPipelineParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No pipeline %d.", id)
		}
		if err != nil {
			return err
		}
		if out, err = s.open(row); err != nil {
			return err
		}
		list := []Pipeline{out}
		if err := withLastRuns(ctx, q, p.OrgID, list); err != nil {
			return err
		}
		out = list[0]
		return nil
	})
	return out, err
}

// List pages the org's pipelines (by id), each with its newest run.
func (s *Service) List(ctx context.Context, p auth.Principal, afterID int64, limit int32) ([]Pipeline, error) {
	var out []Pipeline
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		rows, err := q.ListPipelines(ctx, dbgen.ListPipelinesParams{OrgID: p.OrgID, AfterID: afterID, Lim: limit})
		if err != nil {
			return err
		}
		for _, r := range rows {
			pl, err := s.open(r)
			if err != nil {
				return err
			}
			out = append(out, pl)
		}
		return withLastRuns(ctx, q, p.OrgID, out)
	})
	return out, err
}

// withLastRuns fills in the newest run of each pipeline with one query for the whole page.
func withLastRuns(ctx context.Context, q *dbgen.Queries, orgID int64, list []Pipeline) error {
	if len(list) == 0 {
		return nil
	}
	ids := make([]int64, len(list))
	for i, pl := range list {
		ids[i] = pl.ID
	}
	runs, err := q.LatestRunsOfPipelines(ctx, dbgen.LatestRunsOfPipelinesParams{OrgID: orgID, PipelineIds: ids})
	if err != nil {
		return err
	}
	byPipeline := make(map[int64]dbgen.Run, len(runs))
	for _, r := range runs {
		byPipeline[r.TargetID] = r
	}
	for i := range list {
		if r, ok := byPipeline[list[i].ID]; ok {
			list[i].LastRun = &r
		}
	}
	return nil
}

// Update changes a pipeline. A new source or destination is checked and locked like at
// creation; a new config is validated and normalised whole. The destination schema stays: a
// rename never moves data.
func (s *Service) Update(ctx context.Context, p auth.Principal, id int64, in UpdateInput) (Pipeline, error) {
	var out Pipeline
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		row, err := q.GetPipelineForUpdate(ctx, dbgen.GetPipelineForUpdateParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No pipeline %d.", id)
		}
		if err != nil {
			return err
		}
		current, err := s.open(row)
		if err != nil {
			return err
		}
		var fields []apperr.FieldError
		add := func(f *apperr.FieldError) {
			if f != nil {
				fields = append(fields, *f)
			}
		}
		next := dbgen.UpdatePipelineParams{
			OrgID: p.OrgID, ID: id, Name: row.Name, Description: row.Description, SourceConnectionID: row.SourceConnectionID,
			DestinationConnectionID: row.DestinationConnectionID, Status: row.Status, Config: row.Config,
		}
		if in.Name != nil {
			var f *apperr.FieldError
			next.Name, f = checkName(*in.Name)
			add(f)
		}
		if in.Description != nil {
			next.Description = *in.Description
			add(checkDescription(next.Description))
		}
		if in.Status != nil && *in.Status != row.Status {
			next.Status = *in.Status
			add(checkStatus(next.Status))
		}
		cfg := current.Config
		var cfgErrs []apperr.FieldError
		if in.Config != nil {
			cfg, cfgErrs = Normalize(*in.Config)
			fields = append(fields, cfgErrs...)
			if next.Config, err = json.Marshal(cfg); err != nil {
				return err
			}
		}
		if in.SourceConnectionID != nil {
			next.SourceConnectionID = *in.SourceConnectionID
			f, err := s.useConnection(ctx, q, p.OrgID, next.SourceConnectionID, asSource)
			if err != nil {
				return err
			}
			add(f)
		}
		if in.DestinationConnectionID != nil {
			next.DestinationConnectionID = *in.DestinationConnectionID
			f, err := s.useConnection(ctx, q, p.OrgID, next.DestinationConnectionID, asDestination)
			if err != nil {
				return err
			}
			add(f)
		}
		if len(fields) == 0 && (in.Config != nil || in.SourceConnectionID != nil) {
			refused, err := sourceConfigErrors(ctx, q, p.OrgID, next.SourceConnectionID, cfg)
			if err != nil {
				return err
			}
			fields = append(fields, refused...)
		}
		if len(fields) > 0 {
			return invalid(fields)
		}
		updated, err := q.UpdatePipeline(ctx, next)
		if duplicateName(err) {
			return apperr.Conflictf("A pipeline named %q already exists.", next.Name)
		}
		if err != nil {
			return err
		}
		list := []Pipeline{{Pipeline: updated, Config: cfg}}
		if err := withLastRuns(ctx, q, p.OrgID, list); err != nil {
			return err
		}
		out = list[0]
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "pipeline.update", ResourceType: "pipeline",
			ResourceID: strconv.FormatInt(id, 10), Old: auditValues(row, current.Config), New: auditValues(updated, cfg)})
	})
	return out, err
}

// Delete soft-deletes a pipeline; its name is free again. It refuses with a conflict while the
// pipeline has a queued or running run. The soft delete runs first and keeps the row locked
// until commit, so a trigger that locks the pipeline row (FOR SHARE) either waits and then sees
// it gone, or committed its run first and is seen here.
func (s *Service) Delete(ctx context.Context, p auth.Principal, id int64) error {
	return database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		row, err := q.SoftDeletePipeline(ctx, dbgen.SoftDeletePipelineParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No pipeline %d.", id)
		}
		if err != nil {
			return err
		}
		active, err := q.PipelineActiveRun(ctx, dbgen.PipelineActiveRunParams{OrgID: p.OrgID, TargetID: id})
		switch {
		case err == nil:
			e := apperr.Conflictf("Pipeline %q has an active run (%d); cancel it or wait for it to end first.", row.Name, active)
			e.ActiveRunID = active // answered as the problem's active_run_id
			return e
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		// Its declared dependencies go with it.
		if err := q.DeleteDependenciesOfNode(ctx, dbgen.DeleteDependenciesOfNodeParams{OrgID: p.OrgID, NodeType: "pipeline", NodeID: id}); err != nil {
			return err
		}
		cfg, err := s.open(row)
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "pipeline.delete", ResourceType: "pipeline",
			ResourceID: strconv.FormatInt(id, 10), Old: auditValues(row, cfg.Config)})
	})
}
