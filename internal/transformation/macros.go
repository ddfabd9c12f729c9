package transformation

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
)

// MacroInput is a macro file as asked for; nil fields take their defaults or stay.
type MacroInput struct {
	Name, Description, SQL *string
}

func macroAudit(m dbgen.Macro) map[string]any {
	return map[string]any{"name": m.Name, "description": m.Description, "sql_body": m.SqlBody}
}

// checkMacros parses every project of the org with the macros changed by change, refusing
// (422) a Jinja error in a macro file or a model the change breaks. With no project yet, the
// macros alone are parsed.
func (s *Service) checkMacros(ctx context.Context, q *dbgen.Queries, p auth.Principal, change func([]MacroFile) []MacroFile) error {
	dests, err := q.TransformationDestinations(ctx, p.OrgID)
	if err != nil {
		return err
	}
	checked := false
	for _, id := range dests {
		conn, err := q.GetConnection(ctx, dbgen.GetConnectionParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && DialectOf(conn.Type) == nil) {
			continue
		}
		if err != nil {
			return err
		}
		l, err := s.load(ctx, q, p, conn)
		if err != nil {
			return err
		}
		after := l.in.clone()
		after.Macros = change(after.Macros)
		if _, err := l.check(ctx, after, "macro"); err != nil {
			return err
		}
		checked = true
	}
	if !checked {
		// No project yet: the macros alone, as a PostgreSQL project would hold them.
		l := &loaded{conn: dbgen.Connection{Type: "postgres"}, schema: "analytics"}
		macros, err := q.AllMacros(ctx, p.OrgID)
		if err != nil {
			return err
		}
		for _, m := range macros {
			l.in.Macros = append(l.in.Macros, MacroFile{Name: m.Name, SQL: m.SqlBody})
		}
		after := l.in.clone()
		after.Macros = change(after.Macros)
		if _, err := l.check(ctx, after, "macro"); err != nil {
			return err
		}
	}
	return nil
}

// CreateMacro stores a macro file after parsing the projects with it.
func (s *Service) CreateMacro(ctx context.Context, p auth.Principal, in MacroInput) (dbgen.Macro, error) {
	var fields []apperr.FieldError
	name, desc, body := "", "", ""
	if in.Name != nil {
		name = strings.TrimSpace(*in.Name)
	}
	if f := checkIdentifier("name", name); f != nil {
		fields = append(fields, *f)
	}
	if in.Description != nil {
		desc = *in.Description
		if f := checkDescription(desc); f != nil {
			fields = append(fields, *f)
		}
	}
	if in.SQL != nil {
		body = *in.SQL
	}
	if strings.TrimSpace(body) == "" {
		fields = append(fields, apperr.FieldError{Field: "sql_body", Message: "is required"})
	}
	if len(fields) > 0 {
		return dbgen.Macro{}, apperr.Invalidf(fields, "The macro is invalid.")
	}
	var out dbgen.Macro
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		err := s.checkMacros(ctx, q, p, func(ms []MacroFile) []MacroFile {
			return append(ms, MacroFile{Name: name, SQL: body})
		})
		if err != nil {
			return err
		}
		out, err = q.CreateMacro(ctx, dbgen.CreateMacroParams{OrgID: p.OrgID, Name: name, Description: desc, SqlBody: body, CreatedBy: userID(p)})
		if uniqueViolation(err, "macros_name") {
			return apperr.Conflictf("A macro named %q already exists.", name)
		}
		if err != nil {
			return err
		}
		return writeAudit(ctx, tx, p, "macro.create", "macro", out.ID, nil, macroAudit(out))
	})
	return out, err
}

// GetMacro returns a macro of the org.
func (s *Service) GetMacro(ctx context.Context, p auth.Principal, id int64) (dbgen.Macro, error) {
	var out dbgen.Macro
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		var err error
		out, err = q.GetMacro(ctx, dbgen.GetMacroParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No macro %d.", id)
		}
		return err
	})
	return out, err
}

// ListMacros pages the org's macros.
func (s *Service) ListMacros(ctx context.Context, p auth.Principal, afterID int64, limit int32) ([]dbgen.Macro, error) {
	var out []dbgen.Macro
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		var err error
		out, err = q.ListMacros(ctx, dbgen.ListMacrosParams{OrgID: p.OrgID, AfterID: afterID, Lim: limit})
		return err
	})
	return out, err
}

// UpdateMacro changes a macro file; the projects must still parse.
func (s *Service) UpdateMacro(ctx context.Context, p auth.Principal, id int64, in MacroInput) (dbgen.Macro, error) {
	var out dbgen.Macro
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		old, err := q.GetMacroForUpdate(ctx, dbgen.GetMacroForUpdateParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No macro %d.", id)
		}
		if err != nil {
			return err
		}
		next := dbgen.UpdateMacroParams{OrgID: p.OrgID, ID: id, Name: old.Name, Description: old.Description, SqlBody: old.SqlBody}
		var fields []apperr.FieldError
		if in.Name != nil {
			next.Name = strings.TrimSpace(*in.Name)
			if f := checkIdentifier("name", next.Name); f != nil {
				fields = append(fields, *f)
			}
		}
		if in.Description != nil {
			next.Description = *in.Description
			if f := checkDescription(next.Description); f != nil {
				fields = append(fields, *f)
			}
		}
		if in.SQL != nil {
			next.SqlBody = *in.SQL
			if strings.TrimSpace(next.SqlBody) == "" {
				fields = append(fields, apperr.FieldError{Field: "sql_body", Message: "is required"})
			}
		}
		if len(fields) > 0 {
			return apperr.Invalidf(fields, "The macro is invalid.")
		}
		err = s.checkMacros(ctx, q, p, func(ms []MacroFile) []MacroFile {
			for i := range ms {
				if ms[i].Name == old.Name {
					ms[i] = MacroFile{Name: next.Name, SQL: next.SqlBody}
				}
			}
			return ms
		})
		if err != nil {
			return err
		}
		out, err = q.UpdateMacro(ctx, next)
		if uniqueViolation(err, "macros_name") {
			return apperr.Conflictf("A macro named %q already exists.", next.Name)
		}
		if err != nil {
			return err
		}
		return writeAudit(ctx, tx, p, "macro.update", "macro", id, macroAudit(old), macroAudit(out))
	})
	return out, err
}

// DeleteMacro removes a macro file unless a model still calls one of its macros (422).
func (s *Service) DeleteMacro(ctx context.Context, p auth.Principal, id int64) error {
	return database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		old, err := q.GetMacroForUpdate(ctx, dbgen.GetMacroForUpdateParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No macro %d.", id)
		}
		if err != nil {
			return err
		}
		err = s.checkMacros(ctx, q, p, func(ms []MacroFile) []MacroFile {
			out := ms[:0:0]
			for _, m := range ms {
				if m.Name != old.Name {
					out = append(out, m)
				}
			}
			return out
		})
		if err != nil {
			return err
		}
		if _, err := q.DeleteMacro(ctx, dbgen.DeleteMacroParams{OrgID: p.OrgID, ID: id}); err != nil {
			return err
		}
		return writeAudit(ctx, tx, p, "macro.delete", "macro", id, macroAudit(old), nil)
	})
}
