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

// PreviewName is the name an unsaved model compiles under when it has none.
const PreviewName = "__preview__"

// CompileInput is unsaved SQL to compile as a model of a destination's project.
type CompileInput struct {
	SQL                     string
	DestinationConnectionID *int64
	Name                    *string
	Materialization         *string
	Schema                  *string
	Config                  map[string]any
}

// Compiled is a model's compiled SQL and what it reads.
type Compiled struct {
	SQL       string
	DependsOn []string
	// Parsed is the project it was compiled in, with the model's unique id.
	Parsed *Parsed
	ID     string
	Conn   dbgen.Connection
}

// Compile renders unsaved SQL in the project of its destination (default: the Warehouse),
// in place of the saved model of the same name if there is one. Nothing is stored.
func (s *Service) Compile(ctx context.Context, p auth.Principal, in CompileInput) (Compiled, error) {
	var out Compiled
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		if strings.TrimSpace(in.SQL) == "" {
			return apperr.Invalidf([]apperr.FieldError{{Field: "sql_body", Message: "is required"}}, "Write the model's SQL to compile.")
		}
		l, err := s.projectOf(ctx, q, p, in.DestinationConnectionID)
		if err != nil {
			return err
		}
		m := Model{Name: PreviewName, Path: PreviewName + ".sql", SQL: in.SQL, Materialization: "view", Config: in.Config, Schema: in.Schema}
		if in.Name != nil {
			m.Name = strings.TrimSpace(*in.Name)
			if f := checkIdentifier("name", m.Name); f != nil {
				return apperr.Invalidf([]apperr.FieldError{*f}, "The name is invalid.")
			}
			m.Path = m.Name + ".sql"
		}
		if in.Materialization != nil {
			m.Materialization = *in.Materialization
		}
		after := l.in.clone()
		replaced := false
		for i, o := range after.Models {
			if strings.EqualFold(o.Name, m.Name) {
				m.Path, m.Tags, m.Tests = o.Path, o.Tags, o.Tests
				if in.Materialization == nil {
					m.Materialization = o.Materialization
				}
				after.Models[i], replaced = m, true
			}
		}
		if !replaced {
			after.Models = append(after.Models, m)
		}
		out, err = compileIn(ctx, l, after, m)
		out.Conn = l.conn
		return err
	})
	return out, err
}

// CompileSaved compiles a stored model in its project.
func (s *Service) CompileSaved(ctx context.Context, p auth.Principal, id int64) (Compiled, error) {
	var out Compiled
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		row, err := q.GetTransformation(ctx, dbgen.GetTransformationParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No transformation %d.", id)
		}
		if err != nil {
			return err
		}
		conn, err := q.GetConnection(ctx, dbgen.GetConnectionParams{OrgID: p.OrgID, ID: row.DestinationConnectionID})
		if err != nil {
			return err
		}
		l, err := s.load(ctx, q, p, conn)
		if err != nil {
			return err
		}
		m, err := modelOf(row)
		if err != nil {
			return err
		}
		out, err = compileIn(ctx, l, l.in, m)
		out.Conn = conn
		return err
	})
	return out, err
}

func compileIn(ctx context.Context, l *loaded, in Input, m Model) (Compiled, error) {
	parsed, err := l.parse(ctx, in)
	if err != nil {
		return Compiled{}, err
	}
	id := ModelID(m)
	if f, ok := parsed.NodeErrors(in)[id]; ok {
		return Compiled{}, apperr.Invalidf([]apperr.FieldError{f}, "The model does not compile: %s", f.Message)
	}
	sql, err := parsed.Engine.CompileNode(ctx, id, nil)
	if err != nil {
		f := fieldOf(err, in)
		return Compiled{}, apperr.Invalidf([]apperr.FieldError{f}, "The model does not compile: %s", f.Message)
	}
	return Compiled{SQL: sql, DependsOn: parsed.DependsOn(id), Parsed: parsed, ID: id}, nil
}
