package mysql

import (
	"context"
	"database/sql"
	"encoding/base64"
	"strings"
	"time"

	"github.com/datanika/datanika/internal/connectors"
)

// Query runs one statement read-only with a statement time limit. START TRANSACTION READ ONLY
// alone is not enough: DDL commits implicitly and would then run outside the transaction, so
// the session's default access mode is made READ ONLY first and every statement of the
// session, DDL included, is refused by the server (error 1792).
func (c *Connector) Query(ctx context.Context, query string, limit int) (connectors.QueryResult, error) {
	limit = connectors.RowLimit(limit)
	ctx, cancel := context.WithTimeout(ctx, connectors.TestTimeout+c.statementTimeout)
	defer cancel()
	db, conn, err := c.open(ctx)
	if err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	defer closeAll(db, conn)

	if err := c.prepareSession(ctx, conn); err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	defer func() { _ = tx.Rollback() }()
	res, err := readRows(ctx, tx, query, limit)
	if err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	return res, nil
}

// prepareSession sets the statement time limit the way the server spells it — MariaDB's
// max_statement_time in seconds, MySQL's max_execution_time in milliseconds (SELECT only) —
// and makes the session read-only.
func (c *Connector) prepareSession(ctx context.Context, conn *sql.Conn) error {
	var version string
	if err := conn.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return err
	}
	var err error
	if strings.Contains(strings.ToLower(version), "mariadb") {
		_, err = conn.ExecContext(ctx, "SET SESSION max_statement_time = ?", c.statementTimeout.Seconds())
	} else {
		_, err = conn.ExecContext(ctx, "SET SESSION max_execution_time = ?", c.statementTimeout.Milliseconds())
	}
	if err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "SET SESSION TRANSACTION READ ONLY")
	return err
}

func readRows(ctx context.Context, tx *sql.Tx, query string, limit int) (connectors.QueryResult, error) {
	return connectors.QueryRows(ctx, tx, query, limit, jsonValue)
}

// The text protocol hands every non-numeric value over as bytes: text and DECIMAL become
// strings (DECIMAL keeping its exact digits), binary types base64. A DATE stays a date.
func jsonValue(v any, dbType string) any {
	switch x := v.(type) {
	case []byte:
		if isBinary(dbType) {
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

func isBinary(dbType string) bool {
	switch dbType {
	case "BINARY", "VARBINARY", "BLOB", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB", "BIT", "GEOMETRY":
		return true
	}
	return false
}
