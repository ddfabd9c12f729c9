package transformation

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/connection"
	"github.com/datanika/datanika/internal/transform"
)

// WithConnections lets the service reach destinations (plan, preview, runs) through conns,
// which opens them through the egress policy.
func (s *Service) WithConnections(conns *connection.Service) *Service {
	s.conns = conns
	return s
}

// planTimeout bounds asking a destination to plan or preview a query.
const planTimeout = 30 * time.Second

// Plan is what the destination said when asked to plan a compiled query.
type Plan struct {
	Checked bool
	OK      bool
	Message string
	// Line and Column are 1-based in the compiled SQL, 0 when the destination does not say.
	Line, Column int
	// Unbuilt are upstream relations not built yet: the plan waits for them.
	Unbuilt []string
}

// openDestination opens the compiled model's destination through the egress policy.
func (s *Service) openDestination(ctx context.Context, p auth.Principal, c Compiled) (*sql.DB, []string, error) {
	if s.conns == nil {
		return nil, nil, errors.New("destinations cannot be reached from here")
	}
	conn, err := s.conns.Get(ctx, p, c.Conn.ID)
	if err != nil {
		return nil, nil, err
	}
	db, err := s.conns.SQLDB(conn, 1)
	if err != nil {
		return nil, nil, err
	}
	return db, s.conns.Secrets(conn), nil
}

func scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "********")
		}
	}
	return msg
}

// PlanOf asks the destination to plan the compiled query without running it: EXPLAIN in a
// read-only transaction that is rolled back. Upstream models, seeds and snapshots that are not
// built yet are reported in Unbuilt instead, and the query is not planned (it could only fail).
func (s *Service) PlanOf(ctx context.Context, p auth.Principal, c Compiled) Plan {
	ctx, cancel := context.WithTimeout(ctx, planTimeout)
	defer cancel()
	db, secrets, err := s.openDestination(ctx, p, c)
	if err != nil {
		return Plan{Message: "the destination could not be opened: " + scrub(err.Error(), secrets)}
	}
	defer func() { _ = db.Close() }()
	d := DialectOf(c.Conn.Type)
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Plan{Message: "the destination could not be reached: " + scrub(err.Error(), secrets)}
	}
	defer func() { _ = tx.Rollback() }()
	var unbuilt []string
	for _, id := range c.upstreams() {
		schema, name, _, ok := c.Parsed.Engine.RelationOf(id)
		if !ok {
			continue
		}
		var kind string
		err := tx.QueryRowContext(ctx, d.RelationKindQuery(), schema, name).Scan(&kind)
		if errors.Is(err, sql.ErrNoRows) {
			unbuilt = append(unbuilt, id)
			continue
		}
		if err != nil {
			return Plan{Message: "the destination could not be asked: " + scrub(err.Error(), secrets)}
		}
	}
	if len(unbuilt) > 0 {
		return Plan{Checked: true, OK: true, Unbuilt: unbuilt,
			Message: "not planned: upstream not built yet (" + strings.Join(unbuilt, ", ") + "); build it first"}
	}
	if !isQuery(c.SQL) {
		// EXPLAIN ANALYZE would run what follows it: only a query is planned.
		return Plan{Message: "not planned: only a query (select, with, values) is planned"}
	}
	if d.Name == "postgres" {
		if _, err := tx.ExecContext(ctx, "SET LOCAL statement_timeout = 30000"); err != nil {
			return Plan{Message: "the destination could not be asked: " + scrub(err.Error(), secrets)}
		}
	}
	const prefix = "EXPLAIN "
	_, err = tx.ExecContext(ctx, prefix+c.SQL)
	if err == nil {
		return Plan{Checked: true, OK: true}
	}
	plan := Plan{Checked: true, Message: scrub(err.Error(), secrets)}
	var pgErr *pgconn.PgError
	var myErr *mysql.MySQLError
	switch {
	case errors.As(err, &pgErr):
		plan.Message = pgErr.Message
		if pgErr.Position > int32(len(prefix)) {
			plan.Line, plan.Column = lineCol(c.SQL, int(pgErr.Position)-len(prefix))
		}
	case errors.As(err, &myErr):
		plan.Message = myErr.Message
	}
	return plan
}

var leadingNoise = regexp.MustCompile(`^(?s:\s+|--[^\n]*\n?|/\*.*?\*/|\()*`)

// isQuery reports whether sql, past comments, whitespace and parentheses, starts with select,
// with or values: what EXPLAIN only plans, never runs.
func isQuery(sql string) bool {
	rest := strings.ToLower(leadingNoise.ReplaceAllString(sql, ""))
	for _, kw := range []string{"select", "with", "values"} {
		if strings.HasPrefix(rest, kw) && (len(rest) == len(kw) || !isWordByte(rest[len(kw)])) {
			return true
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
}

// lineCol turns a 1-based character position of text into a 1-based line and column.
func lineCol(text string, pos int) (int, int) {
	line, col := 1, 1
	for i, r := range []rune(text) {
		if i == pos-1 {
			break
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// upstreams are the relations the compiled model reads that the project builds: its parents,
// and through an ephemeral parent (inlined) that parent's parents.
func (c Compiled) upstreams() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(id string)
	walk = func(id string) {
		for _, parent := range c.Parsed.Engine.Graph().Parents(id) {
			if seen[parent] {
				continue
			}
			seen[parent] = true
			_, _, ephemeral, ok := c.Parsed.Engine.RelationOf(parent)
			switch {
			case !ok:
			case ephemeral:
				walk(parent)
			default:
				out = append(out, parent)
			}
		}
	}
	walk(c.ID)
	return out
}

// MaxPreviewRows caps a preview (SPEC §3.1: limit ≤ 500).
const MaxPreviewRows = 500

// Preview runs a saved model's compiled query on its destination, read-only, at most limit
// rows (default and cap MaxPreviewRows). The destination's error is a 422 naming the query.
func (s *Service) Preview(ctx context.Context, p auth.Principal, id int64, limit int) ([]string, [][]any, error) {
	c, err := s.CompileSaved(ctx, p, id)
	if err != nil {
		return nil, nil, err
	}
	if limit <= 0 || limit > MaxPreviewRows {
		limit = MaxPreviewRows
	}
	ctx, cancel := context.WithTimeout(ctx, planTimeout)
	defer cancel()
	db, secrets, err := s.openDestination(ctx, p, c)
	if err != nil {
		return nil, nil, apperr.Newf(apperr.Unavailable, "The destination could not be opened: %s", scrub(err.Error(), secrets))
	}
	defer func() { _ = db.Close() }()
	cols, rows, err := c.Parsed.Engine.PreviewTable(ctx, db, c.ID, limit)
	if err != nil {
		var sqlErr *transform.SQLError
		msg := err.Error()
		if errors.As(err, &sqlErr) {
			msg = sqlErr.Err.Error()
		}
		msg = scrub(msg, secrets)
		return nil, nil, apperr.Invalidf([]apperr.FieldError{{Field: "sql_body", Message: msg}}, "The preview failed: %s", msg)
	}
	if cols == nil {
		cols = []string{}
	}
	if rows == nil {
		rows = [][]any{}
	}
	return cols, rows, nil
}
