package transformation

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
)

// Materializations a model may have.
var Materializations = []string{"view", "table", "incremental", "ephemeral", "snapshot"}

// Transformation is a stored model with what parsing learnt of it.
type Transformation struct {
	dbgen.Transformation
	Incremental, Snapshot, Tests, Config map[string]any
	DependsOn                            []string
}

// Fields is a transformation as asked for; nil fields take their defaults (create) or stay
// (update). The Set flags say that a nullable field was sent, even as null.
type Fields struct {
	Name                    *string
	Description             *string
	SQL                     *string
	Materialization         *string
	Schema                  *string
	SchemaSet               bool
	DestinationConnectionID *int64
	Tags                    *[]string
	Incremental             *map[string]any
	IncrementalSet          bool
	Snapshot                *map[string]any
	SnapshotSet             bool
	Tests                   *map[string]any
	TestsSet                bool
	Path                    *string
	Config                  *map[string]any
}

func invalid(fields []apperr.FieldError) error {
	return apperr.Invalidf(fields, "The transformation is invalid.")
}

func open(t dbgen.Transformation, dependsOn []string) (Transformation, error) {
	m, err := modelOf(t)
	if err != nil {
		return Transformation{}, err
	}
	if dependsOn == nil {
		dependsOn = []string{}
	}
	if m.Config == nil {
		m.Config = map[string]any{}
	}
	t.Path = m.Path
	return Transformation{Transformation: t, Incremental: m.Incremental, Snapshot: m.Snapshot, Tests: m.Tests,
		Config: m.Config, DependsOn: dependsOn}, nil
}

func transformationAudit(t dbgen.Transformation) map[string]any {
	m, _ := modelOf(t)
	return map[string]any{"name": t.Name, "description": t.Description, "sql_body": t.SqlBody, "materialization": t.Materialization,
		"schema_name": t.SchemaName, "destination_connection_id": t.DestinationConnectionID, "tags": t.Tags, "path": t.Path,
		"incremental_config": m.Incremental, "snapshot_config": m.Snapshot, "tests_config": m.Tests, "config": m.Config}
}

// apply checks the fields of in over row (a new one for create) and returns the row to store.
func apply(row dbgen.Transformation, in Fields, creating bool) (dbgen.Transformation, []apperr.FieldError) {
	var fields []apperr.FieldError
	add := func(f *apperr.FieldError) {
		if f != nil {
			fields = append(fields, *f)
		}
	}
	oldName := row.Name
	if row.Path == "" && !creating {
		row.Path = oldName + ".sql"
	}
	if in.Name != nil {
		row.Name = strings.TrimSpace(*in.Name)
		add(checkIdentifier("name", row.Name))
	}
	if in.Description != nil {
		row.Description = *in.Description
		add(checkDescription(row.Description))
	}
	if in.SQL != nil {
		row.SqlBody = *in.SQL
		if strings.TrimSpace(row.SqlBody) == "" {
			add(&apperr.FieldError{Field: "sql_body", Message: "is required"})
		}
	}
	if in.Materialization != nil {
		row.Materialization = *in.Materialization
		if !slices.Contains(Materializations, row.Materialization) {
			add(&apperr.FieldError{Field: "materialization", Message: "must be one of: " + strings.Join(Materializations, ", ")})
		}
	}
	if in.SchemaSet {
		row.SchemaName = in.Schema
		if row.SchemaName != nil && *row.SchemaName == "" {
			row.SchemaName = nil
		}
		add(checkSchemaName("schema_name", row.SchemaName))
	}
	if in.Tags != nil {
		row.Tags = *in.Tags
		for _, t := range row.Tags {
			if t == "" || len(t) > 100 {
				add(&apperr.FieldError{Field: "tags", Message: "each tag must be 1 to 100 characters"})
				break
			}
		}
	}
	if row.Tags == nil {
		row.Tags = []string{}
	}
	setJSON := func(set bool, v *map[string]any, dst *[]byte, field string) {
		if !set {
			return
		}
		var m map[string]any
		if v != nil {
			m = *v
		}
		b, err := encodeMap(m)
		if err != nil {
			add(&apperr.FieldError{Field: field, Message: "is not a JSON object"})
		}
		*dst = b
	}
	setJSON(in.IncrementalSet, in.Incremental, &row.IncrementalConfig, "incremental_config")
	setJSON(in.SnapshotSet, in.Snapshot, &row.SnapshotConfig, "snapshot_config")
	setJSON(in.TestsSet, in.Tests, &row.TestsConfig, "tests_config")
	if in.Config != nil {
		setJSON(true, in.Config, &row.Config, "config")
	}
	if len(row.Config) == 0 {
		row.Config = []byte("{}")
	}
	switch {
	case in.Path != nil:
		row.Path = strings.TrimSpace(*in.Path)
	case creating || row.Path == oldName+".sql":
		// A default path follows the name.
		row.Path = row.Name + ".sql"
	}
	if msg := checkPath(row.Path); msg != "" {
		add(&apperr.FieldError{Field: "path", Message: msg})
	}
	fields = append(fields, checkModelConfigs(row)...)
	return row, fields
}

// checkModelConfigs checks incremental_config and snapshot_config by SPEC §7.
func checkModelConfigs(row dbgen.Transformation) []apperr.FieldError {
	var fields []apperr.FieldError
	m, err := modelOf(row)
	if err != nil {
		return fields
	}
	oneOf := func(cfg map[string]any, key, field string, allowed ...string) {
		if v, ok := cfg[key]; ok {
			s, _ := v.(string)
			if !slices.Contains(allowed, s) {
				fields = append(fields, apperr.FieldError{Field: field, Message: "must be one of: " + strings.Join(allowed, ", ")})
			}
		}
	}
	oneOf(m.Incremental, "strategy", "incremental_config.strategy", "append", "merge", "delete+insert")
	oneOf(m.Incremental, "on_schema_change", "incremental_config.on_schema_change", "ignore", "fail", "append_new_columns", "sync_all_columns")
	oneOf(m.Snapshot, "strategy", "snapshot_config.strategy", "timestamp", "check")
	if row.Materialization == "snapshot" && !strings.Contains(row.SqlBody, "config(") {
		if m.Snapshot["unique_key"] == nil && m.Config["unique_key"] == nil {
			fields = append(fields, apperr.FieldError{Field: "snapshot_config.unique_key", Message: "is required for a snapshot"})
		}
		if m.Snapshot["strategy"] == nil && m.Config["strategy"] == nil {
			fields = append(fields, apperr.FieldError{Field: "snapshot_config.strategy", Message: "is required for a snapshot (timestamp or check)"})
		}
	}
	if tests, ok := m.Tests["columns"]; ok {
		if _, isMap := tests.(map[string]any); !isMap {
			fields = append(fields, apperr.FieldError{Field: "tests_config.columns", Message: "must map column names to lists of tests"})
		} else {
			for col, list := range tests.(map[string]any) {
				if _, isList := list.([]any); !isList {
					fields = append(fields, apperr.FieldError{Field: "tests_config.columns." + col, Message: "must be a list of tests"})
				}
			}
		}
	}
	return fields
}

// Create validates a new transformation in its project and stores it.
func (s *Service) Create(ctx context.Context, p auth.Principal, in Fields) (Transformation, error) {
	if in.Materialization == nil {
		v := "view"
		in.Materialization = &v
	}
	row, fields := apply(dbgen.Transformation{Materialization: "view"}, in, true)
	if in.Name == nil {
		fields = append(fields, apperr.FieldError{Field: "name", Message: "is required"})
	}
	if in.SQL == nil {
		fields = append(fields, apperr.FieldError{Field: "sql_body", Message: "is required"})
	}
	var out Transformation
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		conn, f, err := destination(ctx, q, p, in.DestinationConnectionID, "destination_connection_id")
		if err != nil {
			return err
		}
		if f != nil {
			fields = append(fields, *f)
		}
		if len(fields) > 0 {
			return invalid(fields)
		}
		row.DestinationConnectionID = conn.ID
		l, err := s.load(ctx, q, p, conn)
		if err != nil {
			return err
		}
		m, err := modelOf(row)
		if err != nil {
			return err
		}
		if err := l.taken(m, -1); err != nil {
			return err
		}
		after := l.in.clone()
		after.Models = append(after.Models, m)
		parsed, err := l.check(ctx, after, "transformation")
		if err != nil {
			return err
		}
		created, err := q.CreateTransformation(ctx, dbgen.CreateTransformationParams{
			OrgID: p.OrgID, Name: row.Name, Description: row.Description, SqlBody: row.SqlBody, Materialization: row.Materialization,
			SchemaName: row.SchemaName, DestinationConnectionID: row.DestinationConnectionID, Tags: row.Tags,
			IncrementalConfig: row.IncrementalConfig, SnapshotConfig: row.SnapshotConfig, TestsConfig: row.TestsConfig,
			Path: row.Path, Config: row.Config, CreatedBy: userID(p),
		})
		if err != nil {
			return storeError(err, row)
		}
		if out, err = open(created, parsed.DependsOn(ModelID(m))); err != nil {
			return err
		}
		return writeAudit(ctx, tx, p, "transformation.create", "transformation", created.ID, nil, transformationAudit(created))
	})
	return out, err
}

// taken refuses a model whose name is another model's, seed's or snapshot's in the project,
// or whose file is another model's (409); skip is the index of the model being changed.
func (l *loaded) taken(m Model, skip int) error {
	for i, o := range l.in.Models {
		if i == skip {
			continue
		}
		if strings.EqualFold(o.Name, m.Name) {
			return apperr.Conflictf("A transformation named %q already exists.", m.Name)
		}
		if strings.EqualFold(FileOf(o), FileOf(m)) {
			return apperr.Conflictf("The transformation %q already lives at %s.", o.Name, FileOf(m))
		}
	}
	for _, sd := range l.in.Seeds {
		if strings.EqualFold(sd.Name, m.Name) {
			return apperr.Conflictf("A seed named %q already exists; ref() could not tell them apart.", m.Name)
		}
	}
	return nil
}

func storeError(err error, row dbgen.Transformation) error {
	switch {
	case uniqueViolation(err, "transformations_name_live"):
		return apperr.Conflictf("A transformation named %q already exists.", row.Name)
	case uniqueViolation(err, "transformations_path_live"):
		return apperr.Conflictf("Another transformation already lives at %s.", row.Path)
	}
	return err
}

// Get returns a transformation with what it depends on.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Transformation, error) {
	var out Transformation
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		row, err := q.GetTransformation(ctx, dbgen.GetTransformationParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No transformation %d.", id)
		}
		if err != nil {
			return err
		}
		deps := s.dependsOn(ctx, q, p, row)
		out, err = open(row, deps)
		return err
	})
	return out, err
}

// dependsOn parses the model's project for its parents; a project that no longer parses (a
// pipeline's table dropped from the catalog) gives none rather than failing the read.
func (s *Service) dependsOn(ctx context.Context, q *dbgen.Queries, p auth.Principal, row dbgen.Transformation) []string {
	conn, err := q.GetConnection(ctx, dbgen.GetConnectionParams{OrgID: p.OrgID, ID: row.DestinationConnectionID})
	if err != nil || DialectOf(conn.Type) == nil {
		return nil
	}
	l, err := s.load(ctx, q, p, conn)
	if err != nil {
		return nil
	}
	parsed, err := l.parse(ctx, l.in)
	if err != nil {
		return nil
	}
	m, _ := modelOf(row)
	return parsed.DependsOn(ModelID(m))
}

// List pages the org's transformations; depends_on is filled per destination project.
func (s *Service) List(ctx context.Context, p auth.Principal, afterID int64, limit int32) ([]Transformation, error) {
	var out []Transformation
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		rows, err := q.ListTransformations(ctx, dbgen.ListTransformationsParams{OrgID: p.OrgID, AfterID: afterID, Lim: limit})
		if err != nil {
			return err
		}
		parsedBy := map[int64]*Parsed{}
		for _, r := range rows {
			parsed, seen := parsedBy[r.DestinationConnectionID]
			if !seen {
				if conn, err := q.GetConnection(ctx, dbgen.GetConnectionParams{OrgID: p.OrgID, ID: r.DestinationConnectionID}); err == nil && DialectOf(conn.Type) != nil {
					if l, err := s.load(ctx, q, p, conn); err == nil {
						parsed, _ = l.parse(ctx, l.in)
					}
				}
				parsedBy[r.DestinationConnectionID] = parsed
			}
			var deps []string
			m, _ := modelOf(r)
			if parsed != nil {
				deps = parsed.DependsOn(ModelID(m))
			}
			t, err := open(r, deps)
			if err != nil {
				return err
			}
			out = append(out, t)
		}
		return nil
	})
	return out, err
}

// Update changes a transformation; the changed project must parse as at creation. A move to
// another destination checks the model in that destination's project and the old project
// without it.
func (s *Service) Update(ctx context.Context, p auth.Principal, id int64, in Fields) (Transformation, error) {
	var out Transformation
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		old, err := q.GetTransformationForUpdate(ctx, dbgen.GetTransformationForUpdateParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No transformation %d.", id)
		}
		if err != nil {
			return err
		}
		row, fields := apply(old, in, false)
		destID := old.DestinationConnectionID
		if in.DestinationConnectionID != nil {
			destID = *in.DestinationConnectionID
		}
		conn, f, err := destination(ctx, q, p, &destID, "destination_connection_id")
		if err != nil {
			return err
		}
		if f != nil {
			fields = append(fields, *f)
		}
		if len(fields) > 0 {
			return invalid(fields)
		}
		row.DestinationConnectionID = conn.ID
		m, err := modelOf(row)
		if err != nil {
			return err
		}
		if conn.ID != old.DestinationConnectionID {
			// The project it leaves must still parse without it.
			oldConn, err := q.GetConnection(ctx, dbgen.GetConnectionParams{OrgID: p.OrgID, ID: old.DestinationConnectionID})
			if err != nil {
				return err
			}
			ol, err := s.load(ctx, q, p, oldConn)
			if err != nil {
				return err
			}
			without := ol.in.clone()
			i := ol.byID[id]
			without.Models = append(without.Models[:i], without.Models[i+1:]...)
			if _, err := ol.check(ctx, without, "move of the transformation"); err != nil {
				return err
			}
		}
		l, err := s.load(ctx, q, p, conn)
		if err != nil {
			return err
		}
		after := l.in.clone()
		skip := -1
		if i, ok := l.byID[id]; ok {
			skip = i
			after.Models[i] = m
		} else {
			after.Models = append(after.Models, m)
		}
		if err := l.taken(m, skip); err != nil {
			return err
		}
		parsed, err := l.check(ctx, after, "change")
		if err != nil {
			return err
		}
		updated, err := q.UpdateTransformation(ctx, dbgen.UpdateTransformationParams{
			OrgID: p.OrgID, ID: id, Name: row.Name, Description: row.Description, SqlBody: row.SqlBody,
			Materialization: row.Materialization, SchemaName: row.SchemaName, DestinationConnectionID: row.DestinationConnectionID,
			Tags: row.Tags, IncrementalConfig: row.IncrementalConfig, SnapshotConfig: row.SnapshotConfig, TestsConfig: row.TestsConfig,
			Path: row.Path, Config: row.Config,
		})
		if err != nil {
			return storeError(err, row)
		}
		if out, err = open(updated, parsed.DependsOn(ModelID(m))); err != nil {
			return err
		}
		return writeAudit(ctx, tx, p, "transformation.update", "transformation", id, transformationAudit(old), transformationAudit(updated))
	})
	return out, err
}

// Delete soft-deletes a transformation: 422 when other models still ref() it, 409 while it has
// an active run.
func (s *Service) Delete(ctx context.Context, p auth.Principal, id int64) error {
	return database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		row, err := q.SoftDeleteTransformation(ctx, dbgen.SoftDeleteTransformationParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No transformation %d.", id)
		}
		if err != nil {
			return err
		}
		if err := activeRun(ctx, q, p, "transformation", id, row.Name); err != nil {
			return err
		}
		// Its declared dependencies go with it.
		if err := q.DeleteDependenciesOfNode(ctx, dbgen.DeleteDependenciesOfNodeParams{OrgID: p.OrgID, NodeType: "transformation", NodeID: id}); err != nil {
			return err
		}
		conn, err := q.GetConnection(ctx, dbgen.GetConnectionParams{OrgID: p.OrgID, ID: row.DestinationConnectionID})
		if err != nil {
			return err
		}
		// The project without it (the soft delete already hides it) against the project with it.
		without, err := s.load(ctx, q, p, conn)
		if err != nil {
			return err
		}
		m, err := modelOf(row)
		if err != nil {
			return err
		}
		with := &loaded{conn: without.conn, schema: without.schema, in: without.in.clone(), cache: without.cache}
		with.in.Models = append(with.in.Models, m)
		if _, err := with.check(ctx, without.in, "deletion"); err != nil {
			return err
		}
		return writeAudit(ctx, tx, p, "transformation.delete", "transformation", id, transformationAudit(row), nil)
	})
}

// activeRun refuses with 409 (active_run_id) while a target has a queued or running run.
func activeRun(ctx context.Context, q *dbgen.Queries, p auth.Principal, targetType string, id int64, name string) error {
	active, err := q.TargetActiveRun(ctx, dbgen.TargetActiveRunParams{OrgID: p.OrgID, TargetType: targetType, TargetID: id})
	switch {
	case err == nil:
		e := apperr.Conflictf("%s %q has an active run (%d); cancel it or wait for it to end first.", strings.ToUpper(targetType[:1])+targetType[1:], name, active)
		e.ActiveRunID = active
		return e
	case !errors.Is(err, pgx.ErrNoRows):
		return err
	}
	return nil
}
