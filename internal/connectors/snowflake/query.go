package snowflake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/datanika/datanika/internal/connectors"
)

// ErrNotAQuery is returned when the server says a statement is not a SELECT.
var ErrNotAQuery = errors.New("only a single SELECT statement can be run here")

// Query runs one SELECT. The server describes the statement first and anything but a SELECT
// is refused without running (see the package comment); the session's parameters stop long
// statements, refuse several statements and cap the rows returned.
func (c *Connector) Query(ctx context.Context, query string, limit int) (connectors.QueryResult, error) {
	limit = connectors.RowLimit(limit)
	ctx, cancel := context.WithTimeout(ctx, connectors.TestTimeout+c.statementTimeout)
	defer cancel()
	// One row more than the limit tells whether there were more.
	h, err := c.open(ctx, session{rowsPerResultSet: limit + 1})
	if err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(describe(err), c.secrets)
	}
	defer h.close()

	if err := checkIsSelect(ctx, h.conn, query); err != nil {
		if errors.Is(err, ErrNotAQuery) {
			return connectors.QueryResult{}, err // our own words, no secret in them
		}
		return connectors.QueryResult{}, connectors.ScrubError(describe(err), c.secrets)
	}
	res, err := readRows(ctx, h.conn, query, limit)
	if err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(describe(err), c.secrets)
	}
	return res, nil
}

// checkIsSelect asks the server to describe query (compile, not run) and refuses any
// statement type but SELECT.
func checkIsSelect(ctx context.Context, conn *sql.Conn, query string) error {
	dctx, slot := withStatementType(sf.WithDescribeOnly(ctx))
	if err := describeOnly(dctx, conn, query); err != nil {
		return err
	}
	id, seen := slot.get()
	if !seen {
		return fmt.Errorf("%w: the server did not say what the statement is", ErrNotAQuery)
	}
	if id != statementTypeSelect {
		return fmt.Errorf("%w: the server describes it as %s", ErrNotAQuery, statementKind(id))
	}
	return nil
}

func describeOnly(ctx context.Context, conn *sql.Conn, query string) error {
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	return rows.Err()
}

func readRows(ctx context.Context, conn *sql.Conn, query string, limit int) (connectors.QueryResult, error) {
	return connectors.QueryRows(ctx, conn, query, limit, jsonValue)
}

// jsonValue: gosnowflake hands NUMBER with a scale and other exact types over as strings,
// which stay strings (no float rounding); dates keep only their date.
func jsonValue(v any, dbType string) any {
	if t, ok := v.(time.Time); ok && strings.EqualFold(dbType, "DATE") {
		return t.Format(time.DateOnly)
	}
	return connectors.JSONValue(v)
}
