// Package transformation owns an org's transformations (dbt models), macros, seeds, sources
// and jobs (SPEC §7), and the dbt project they form: the models, seeds and sources of one
// destination connection, the org's macros, and a source per pipeline loading into that
// connection, assembled in memory from the database and parsed by the engine
// (internal/transform) before any change is stored, so a project that is saved always parses.
package transformation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/audit"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/connection"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/transform/dialect"
)

// ReadFileFunc returns the bytes of an uploaded file of the principal's org.
type ReadFileFunc func(ctx context.Context, p auth.Principal, id int64) ([]byte, error)

// Service implements transformations, macros, seeds, sources and jobs.
type Service struct {
	db       database.DB
	readFile ReadFileFunc
	logger   *slog.Logger
	// conns reaches destinations (WithConnections); nil: compile only, nothing dialed.
	conns *connection.Service
	// caches keep parse results per org and destination between requests.
	caches projectCaches
}

// New returns the service; readFile reads uploaded files for seeds.
func New(db database.DB, readFile ReadFileFunc, logger *slog.Logger) *Service {
	return &Service{db: db, readFile: readFile, logger: logger}
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func checkIdentifier(field, name string) *apperr.FieldError {
	if name == "" || len(name) > 100 || !identifier.MatchString(name) {
		return &apperr.FieldError{Field: field, Message: "must match ^[A-Za-z_][A-Za-z0-9_]*$ (1 to 100 characters)"}
	}
	return nil
}

func checkDescription(d string) *apperr.FieldError {
	if utf8.RuneCountInString(d) > 2000 {
		return &apperr.FieldError{Field: "description", Message: "must be at most 2000 characters"}
	}
	return nil
}

func checkSchemaName(field string, s *string) *apperr.FieldError {
	if s == nil || *s == "" {
		return nil
	}
	if len(*s) > 63 || !identifier.MatchString(*s) {
		return &apperr.FieldError{Field: field, Message: "must match ^[A-Za-z_][A-Za-z0-9_]*$ (at most 63 bytes)"}
	}
	return nil
}

func uniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == constraint
}

func userID(p auth.Principal) *int64 {
	if p.UserID == 0 {
		return nil
	}
	id := p.UserID
	return &id
}

func writeAudit(ctx context.Context, tx pgx.Tx, p auth.Principal, action, resourceType string, id int64, oldV, newV map[string]any) error {
	return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: action, ResourceType: resourceType,
		ResourceID: strconv.FormatInt(id, 10), Old: oldV, New: newV})
}

// DialectOf is the engine's dialect for a connection type, nil when the engine cannot
// build models in it.
func DialectOf(typ string) *dialect.Dialect {
	switch typ {
	case "postgres":
		return dialect.Postgres
	case "mysql":
		return dialect.MySQL
	}
	return nil
}

// destination resolves the destination connection of a resource: the given id, or the org's
// Warehouse when nil. The row is locked FOR SHARE until the transaction ends (000007), so a
// concurrent delete of the connection either waits and finds the user, or went first.
func destination(ctx context.Context, q *dbgen.Queries, p auth.Principal, id *int64, field string) (dbgen.Connection, *apperr.FieldError, error) {
	fail := func(msg string) (dbgen.Connection, *apperr.FieldError, error) {
		return dbgen.Connection{}, &apperr.FieldError{Field: field, Message: msg}, nil
	}
	connID := int64(0)
	if id != nil {
		connID = *id
	} else {
		wh, err := q.GetManagedConnection(ctx, p.OrgID)
		if errors.Is(err, pgx.ErrNoRows) {
			return fail("is required: the org has no Warehouse to default to")
		}
		if err != nil {
			return dbgen.Connection{}, nil, err
		}
		connID = wh.ID
	}
	row, err := q.LockDestinationConnection(ctx, dbgen.LockDestinationConnectionParams{OrgID: p.OrgID, ID: connID})
	if errors.Is(err, pgx.ErrNoRows) {
		return fail("no such connection")
	}
	if err != nil {
		return dbgen.Connection{}, nil, err
	}
	if DialectOf(row.Type) == nil {
		return fail(fmt.Sprintf("is a %s connection; models are built in PostgreSQL and MySQL/MariaDB connections", row.Type))
	}
	return row, nil, nil
}

// decodeMap reads a jsonb object column (nil when NULL or empty).
func decodeMap(b []byte) (map[string]any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func encodeMap(m map[string]any) ([]byte, error) {
	if m == nil {
		return nil, nil
	}
	return json.Marshal(m)
}
