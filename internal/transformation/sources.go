package transformation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
)

// SourceInput is a source as asked for; nil fields take their defaults or stay.
type SourceInput struct {
	Name, Description, Schema *string
	ConnectionID              *int64
	Tables                    *[]SourceTable
}

// Source is a stored source with its tables.
type Source struct {
	dbgen.Source
	Tables []SourceTable
}

func openSource(s dbgen.Source) (Source, error) {
	out := Source{Source: s, Tables: []SourceTable{}}
	if err := json.Unmarshal(s.Tables, &out.Tables); err != nil {
		return out, fmt.Errorf("source %d tables: %w", s.ID, err)
	}
	return out, nil
}

func sourceAudit(s dbgen.Source) map[string]any {
	return map[string]any{"name": s.Name, "description": s.Description, "schema_name": s.SchemaName,
		"connection_id": s.ConnectionID, "tables": json.RawMessage(s.Tables)}
}

var periods = []string{"minute", "hour", "day"}

// checkTables checks a source's tables: names, unique, freshness periods.
func checkTables(tables []SourceTable) []apperr.FieldError {
	var fields []apperr.FieldError
	seen := map[string]bool{}
	for i, t := range tables {
		at := fmt.Sprintf("tables[%d]", i)
		if strings.TrimSpace(t.Name) == "" || len(t.Name) > 255 {
			fields = append(fields, apperr.FieldError{Field: at + ".name", Message: "must be 1 to 255 characters"})
		} else if seen[strings.ToLower(t.Name)] {
			fields = append(fields, apperr.FieldError{Field: at + ".name", Message: "is listed twice"})
		}
		seen[strings.ToLower(t.Name)] = true
		for _, key := range []string{"warn_after", "error_after"} {
			v, ok := t.Freshness[key]
			if !ok || v == nil {
				continue
			}
			m, _ := v.(map[string]any)
			count, _ := m["count"].(float64)
			period, _ := m["period"].(string)
			if m == nil || count < 1 || count != float64(int64(count)) || !slices.Contains(periods, period) {
				fields = append(fields, apperr.FieldError{Field: at + ".freshness." + key, Message: "must be {count ≥ 1, period: minute|hour|day}"})
			}
		}
		for k := range t.Freshness {
			if k != "warn_after" && k != "error_after" && k != "filter" {
				fields = append(fields, apperr.FieldError{Field: at + ".freshness." + k, Message: "is not a freshness setting (warn_after, error_after, filter)"})
			}
		}
		if t.Freshness != nil && t.LoadedAtField == "" {
			fields = append(fields, apperr.FieldError{Field: at + ".loaded_at_field", Message: "is required with freshness"})
		}
	}
	return fields
}

// saveSource validates a source against its project and stores it (create when old is nil).
func (s *Service) saveSource(ctx context.Context, p auth.Principal, id int64, in SourceInput) (Source, error) {
	var out Source
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		var old *dbgen.Source
		next := dbgen.Source{Tables: []byte("[]")}
		if id != 0 {
			row, err := q.GetSourceForUpdate(ctx, dbgen.GetSourceForUpdateParams{OrgID: p.OrgID, ID: id})
			if errors.Is(err, pgx.ErrNoRows) {
				return apperr.NotFoundf("No source %d.", id)
			}
			if err != nil {
				return err
			}
			old, next = &row, row
		}
		var fields []apperr.FieldError
		add := func(f *apperr.FieldError) {
			if f != nil {
				fields = append(fields, *f)
			}
		}
		if in.Name != nil || old == nil {
			if in.Name != nil {
				next.Name = strings.TrimSpace(*in.Name)
			}
			add(checkIdentifier("name", next.Name))
		}
		if in.Description != nil {
			next.Description = *in.Description
			add(checkDescription(next.Description))
		}
		if in.Schema != nil || old == nil {
			if in.Schema != nil {
				next.SchemaName = *in.Schema
			}
			if next.SchemaName == "" {
				add(&apperr.FieldError{Field: "schema_name", Message: "is required"})
			} else {
				add(checkSchemaName("schema_name", &next.SchemaName))
			}
		}
		tables := []SourceTable{}
		if old != nil {
			_ = json.Unmarshal(old.Tables, &tables)
		}
		if in.Tables != nil {
			tables = *in.Tables
			fields = append(fields, checkTables(tables)...)
		}
		connID := in.ConnectionID
		if connID == nil && old != nil {
			connID = &old.ConnectionID
		}
		conn, f, err := destination(ctx, q, p, connID, "connection_id")
		if err != nil {
			return err
		}
		add(f)
		if len(fields) > 0 {
			return apperr.Invalidf(fields, "The source is invalid.")
		}
		next.ConnectionID = conn.ID
		if next.Tables, err = json.Marshal(tables); err != nil {
			return err
		}
		l, err := s.load(ctx, q, p, conn)
		if err != nil {
			return err
		}
		for otherID, i := range l.sourceIDs {
			if otherID != id && strings.EqualFold(l.in.Sources[i].Name, next.Name) {
				return apperr.Conflictf("A source named %q already exists for this connection.", next.Name)
			}
		}
		def := SourceDef{Name: next.Name, Description: next.Description, Schema: next.SchemaName, Tables: tables}
		after := l.in.clone()
		if i, ok := l.sourceIDs[id]; ok && old != nil {
			after.Sources[i] = def
		} else {
			// A pipeline's source of the same name gives way to the stored one, as in loadProject.
			kept := after.Sources[:0:0]
			for _, sd := range after.Sources {
				if sd.Name != def.Name {
					kept = append(kept, sd)
				}
			}
			kept = append(kept, def)
			after.Sources = kept
		}
		if old != nil && old.ConnectionID != conn.ID {
			if err := s.checkWithoutSource(ctx, q, p, *old); err != nil {
				return err
			}
		}
		if _, err := l.check(ctx, after, "source"); err != nil {
			return err
		}
		var row dbgen.Source
		if old == nil {
			row, err = q.CreateSource(ctx, dbgen.CreateSourceParams{OrgID: p.OrgID, Name: next.Name, Description: next.Description,
				SchemaName: next.SchemaName, ConnectionID: next.ConnectionID, Tables: next.Tables, CreatedBy: userID(p)})
		} else {
			row, err = q.UpdateSource(ctx, dbgen.UpdateSourceParams{OrgID: p.OrgID, ID: id, Name: next.Name, Description: next.Description,
				SchemaName: next.SchemaName, ConnectionID: next.ConnectionID, Tables: next.Tables})
		}
		if uniqueViolation(err, "sources_name") {
			return apperr.Conflictf("A source named %q already exists for this connection.", next.Name)
		}
		if err != nil {
			return err
		}
		if out, err = openSource(row); err != nil {
			return err
		}
		if old == nil {
			return writeAudit(ctx, tx, p, "source.create", "source", row.ID, nil, sourceAudit(row))
		}
		return writeAudit(ctx, tx, p, "source.update", "source", id, sourceAudit(*old), sourceAudit(row))
	})
	return out, err
}

// checkWithoutSource refuses (422) removing a source its project's models still read.
func (s *Service) checkWithoutSource(ctx context.Context, q *dbgen.Queries, p auth.Principal, old dbgen.Source) error {
	conn, err := q.GetConnection(ctx, dbgen.GetConnectionParams{OrgID: p.OrgID, ID: old.ConnectionID})
	if err != nil || DialectOf(conn.Type) == nil {
		return nil //nolint:nilerr // a connection gone or not buildable has no project to break
	}
	l, err := s.load(ctx, q, p, conn)
	if err != nil {
		return err
	}
	after := l.in.clone()
	if i, ok := l.sourceIDs[old.ID]; ok {
		after.Sources = append(after.Sources[:i], after.Sources[i+1:]...)
	}
	_, err = l.check(ctx, after, "removal of the source")
	return err
}

// CreateSource stores a source.
func (s *Service) CreateSource(ctx context.Context, p auth.Principal, in SourceInput) (Source, error) {
	return s.saveSource(ctx, p, 0, in)
}

// UpdateSource changes a source.
func (s *Service) UpdateSource(ctx context.Context, p auth.Principal, id int64, in SourceInput) (Source, error) {
	return s.saveSource(ctx, p, id, in)
}

// GetSource returns a source of the org.
func (s *Service) GetSource(ctx context.Context, p auth.Principal, id int64) (Source, error) {
	var out Source
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		row, err := q.GetSource(ctx, dbgen.GetSourceParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No source %d.", id)
		}
		if err != nil {
			return err
		}
		out, err = openSource(row)
		return err
	})
	return out, err
}

// ListSources pages the org's sources.
func (s *Service) ListSources(ctx context.Context, p auth.Principal, afterID int64, limit int32) ([]Source, error) {
	var out []Source
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		rows, err := q.ListSources(ctx, dbgen.ListSourcesParams{OrgID: p.OrgID, AfterID: afterID, Lim: limit})
		if err != nil {
			return err
		}
		for _, r := range rows {
			src, err := openSource(r)
			if err != nil {
				return err
			}
			out = append(out, src)
		}
		return nil
	})
	return out, err
}

// DeleteSource removes a source unless a model reads one of its tables (422).
func (s *Service) DeleteSource(ctx context.Context, p auth.Principal, id int64) error {
	return database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		row, err := q.GetSourceForUpdate(ctx, dbgen.GetSourceForUpdateParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No source %d.", id)
		}
		if err != nil {
			return err
		}
		if err := s.checkWithoutSource(ctx, q, p, row); err != nil {
			return err
		}
		if _, err := q.DeleteSource(ctx, dbgen.DeleteSourceParams{OrgID: p.OrgID, ID: id}); err != nil {
			return err
		}
		return writeAudit(ctx, tx, p, "source.delete", "source", id, sourceAudit(row), nil)
	})
}
