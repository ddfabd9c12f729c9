package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/datanika/datanika/internal/connectors"
)

// Query runs one statement in a READ ONLY transaction with a local statement_timeout, so the
// server itself refuses writes and DDL and stops long statements.
func (c *Connector) Query(ctx context.Context, sql string, limit int) (connectors.QueryResult, error) {
	limit = connectors.RowLimit(limit)
	// The server-side timeout is the real bound; this one only covers connecting and a
	// server that stops answering.
	ctx, cancel := context.WithTimeout(ctx, connectors.TestTimeout+c.statementTimeout)
	defer cancel()
	conn, err := c.connect(ctx)
	if err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	defer closeConn(ctx, conn)

	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	ms := strconv.FormatInt(c.statementTimeout.Milliseconds(), 10)
	if _, err := tx.Exec(ctx, "SELECT set_config('statement_timeout', $1, true)", ms); err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}

	res, err := readRows(ctx, tx, sql, limit)
	if err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	return res, nil
}

// ReadRows runs sql in tx and reads at most limit rows of its answer as JSON-friendly values,
// flagging truncation; servers that speak PostgreSQL's protocol (Redshift) share it.
func ReadRows(ctx context.Context, tx pgx.Tx, sql string, limit int) (connectors.QueryResult, error) {
	return readRows(ctx, tx, sql, limit)
}

func readRows(ctx context.Context, tx pgx.Tx, sql string, limit int) (connectors.QueryResult, error) {
	// Cancelling qctx once the cap is reached stops the server from streaming the rest:
	// closing pgx rows would otherwise read every remaining row. The connection is thrown
	// away afterwards, so breaking it is fine.
	qctx, qcancel := context.WithCancel(ctx)
	defer qcancel()
	rows, err := tx.Query(qctx, sql, pgx.QueryExecModeDescribeExec)
	if err != nil {
		return connectors.QueryResult{}, err
	}
	defer rows.Close()
	fields := rows.FieldDescriptions()
	res := connectors.QueryResult{Columns: make([]string, len(fields)), Rows: [][]any{}}
	for i, f := range fields {
		res.Columns[i] = f.Name
	}
	for rows.Next() {
		if len(res.Rows) == limit {
			res.Truncated = true
			qcancel()
			return res, nil
		}
		vals, err := rows.Values()
		if err != nil {
			return connectors.QueryResult{}, err
		}
		row := make([]any, len(vals))
		for i, v := range vals {
			row[i] = jsonValue(fields[i].DataTypeOID, v)
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return connectors.QueryResult{}, err
	}
	return res, nil
}

// jsonValue handles what pgx decodes into types JSONValue cannot read well.
func jsonValue(oid uint32, v any) any {
	switch x := v.(type) {
	case [16]byte:
		if oid == pgtype.UUIDOID {
			return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
		}
	case pgtype.Numeric:
		return connectors.JSONValue(x) // its Valuer gives the exact decimal text
	case time.Time:
		if oid == pgtype.DateOID {
			return x.Format(time.DateOnly)
		}
	}
	return connectors.JSONValue(v)
}
