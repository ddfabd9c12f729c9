package mssql

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/datanika/datanika/internal/connectors"
)

// ErrNotAQuery is returned when the server says the text is not exactly one SELECT.
var ErrNotAQuery = errors.New("only one SELECT statement may run here")

// Query runs one SELECT, checked by the server and rolled back (see the package comment).
func (c *Connector) Query(ctx context.Context, query string, limit int) (connectors.QueryResult, error) {
	limit = connectors.RowLimit(limit)
	ctx, cancel := context.WithTimeout(ctx, connectors.TestTimeout+c.statementTimeout)
	defer cancel()
	db, conn, err := c.open(ctx)
	if err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	defer closeAll(db, conn)

	if _, err := conn.ExecContext(ctx, c.sessionSQL(limit)); err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	if err := checkIsOneSelect(ctx, conn, query); err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	defer func() { _ = tx.Rollback() }()
	res, err := c.readRows(ctx, tx, query, limit)
	if err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	return res, nil
}

// checkIsOneSelect asks the server for the plan of the text, which it compiles without running.
func checkIsOneSelect(ctx context.Context, conn *sql.Conn, query string) error {
	if _, err := conn.ExecContext(ctx, showplanOnSQL); err != nil {
		return fmt.Errorf("read-only check: %w", err)
	}
	plans, planErr := readPlans(ctx, conn, query)
	// Always switch back: the connection is thrown away, but a later statement of this call
	// must run, not be described.
	if _, err := conn.ExecContext(ctx, showplanOffSQL); err != nil && planErr == nil {
		planErr = fmt.Errorf("read-only check: %w", err)
	}
	if planErr != nil {
		return planErr
	}
	types, err := statementTypes(plans)
	if err != nil {
		return err
	}
	if len(types) != 1 || !isSelect(types[0]) {
		return fmt.Errorf("%w: the server reports %s", ErrNotAQuery, describeTypes(types))
	}
	return nil
}

// readPlans reads every plan document of every result set the server answers.
func readPlans(ctx context.Context, conn *sql.Conn, query string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var plans []string
	for {
		for rows.Next() {
			var plan string
			if err := rows.Scan(&plan); err != nil {
				return nil, fmt.Errorf("read-only check: %w", err)
			}
			plans = append(plans, plan)
		}
		if !rows.NextResultSet() {
			break
		}
	}
	return plans, rows.Err()
}

// isSelect tells the statement types that only read. "SELECT WITHOUT QUERY" is a SELECT of
// expressions only; "SELECT INTO" creates a table and is not one of them.
func isSelect(statementType string) bool {
	return statementType == "SELECT" || statementType == "SELECT WITHOUT QUERY"
}

// statementTypes reads the StatementType of every top-level statement (ShowPlanXML /
// BatchSequence / Batch / Statements / Stmt*) of the plans. Statements nested in a plan (the
// body of a function, the branches of an IF) belong to their top-level statement.
func statementTypes(plans []string) ([]string, error) {
	var out []string
	for _, plan := range plans {
		dec := xml.NewDecoder(strings.NewReader(plan))
		// The driver has already decoded the text; a declared encoding (utf-16) is moot.
		dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
		var path []string
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("read-only check: the server's plan is not XML: %w", err)
			}
			switch t := tok.(type) {
			case xml.StartElement:
				name := t.Name.Local
				if strings.HasPrefix(name, "Stmt") && strings.Join(path, "/") == "ShowPlanXML/BatchSequence/Batch/Statements" {
					typ := "(" + name + ")"
					for _, a := range t.Attr {
						if a.Name.Local == "StatementType" {
							typ = a.Value
						}
					}
					out = append(out, typ)
				}
				path = append(path, name)
			case xml.EndElement:
				if len(path) > 0 {
					path = path[:len(path)-1]
				}
			}
		}
	}
	return out, nil
}

func describeTypes(types []string) string {
	switch len(types) {
	case 0:
		return "no statement that returns rows"
	case 1:
		return "a statement of type " + types[0]
	default:
		return fmt.Sprintf("%d statements (%s)", len(types), strings.Join(types, ", "))
	}
}

func (c *Connector) readRows(ctx context.Context, tx *sql.Tx, query string, limit int) (connectors.QueryResult, error) {
	// The statement's own deadline: passing it makes the driver send an attention, which
	// stops the statement on the server. Cancelling once the cap is reached does the same.
	qctx, qcancel := context.WithTimeout(ctx, c.statementTimeout)
	defer qcancel()
	res, err := readRows(qctx, tx, query, limit)
	if err != nil && errors.Is(qctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		return connectors.QueryResult{}, fmt.Errorf("statement timeout: cancelled after %s: %w", c.statementTimeout, context.DeadlineExceeded)
	}
	return res, err
}

func readRows(ctx context.Context, tx *sql.Tx, query string, limit int) (connectors.QueryResult, error) {
	return connectors.QueryRows(ctx, tx, query, limit, jsonValue)
}

// jsonValue handles what the driver hands over as bytes: DECIMAL and MONEY as their exact
// decimal text, UNIQUEIDENTIFIER as 16 bytes, binary types as bytes (base64). A DATE stays a
// date.
func jsonValue(v any, dbType string) any {
	switch x := v.(type) {
	case []byte:
		switch dbType {
		case "DECIMAL", "NUMERIC", "MONEY", "SMALLMONEY":
			return string(x)
		case "UNIQUEIDENTIFIER":
			if len(x) == 16 {
				return fmt.Sprintf("%X-%X-%X-%X-%X", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
			}
		case "BINARY", "VARBINARY", "IMAGE", "TIMESTAMP", "ROWVERSION", "UDT":
			return base64.StdEncoding.EncodeToString(x)
		}
		return string(x)
	case time.Time:
		if dbType == "DATE" {
			return x.Format(time.DateOnly)
		}
	}
	return connectors.JSONValue(v)
}
