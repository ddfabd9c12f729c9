package sqlite

import (
	"context"
	"database/sql"

	"github.com/datanika/datanika/internal/connectors"
)

// Query runs one statement on the read-only connection. SQLite has no server-side statement
// timeout; the driver interrupts the statement when the context ends, so the context carries
// it. More than one statement is refused (see singleStatement).
func (c *Connector) Query(ctx context.Context, query string, limit int) (connectors.QueryResult, error) {
	limit = connectors.RowLimit(limit)
	if !singleStatement(query) {
		return connectors.QueryResult{}, ErrManyStatements
	}
	ctx, cancel := context.WithTimeout(ctx, c.statementTimeout)
	defer cancel()
	db, conn, hidePath, err := c.open(ctx)
	if err != nil {
		return connectors.QueryResult{}, err
	}
	defer closeAll(db, conn)
	res, err := readRows(ctx, conn, query, limit)
	return res, hidePath(err)
}

func readRows(ctx context.Context, conn *sql.Conn, query string, limit int) (connectors.QueryResult, error) {
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return connectors.QueryResult{}, err
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return connectors.QueryResult{}, err
	}
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	if err != nil {
		return connectors.QueryResult{}, err
	}
	res := connectors.QueryResult{Columns: cols, Rows: [][]any{}}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if len(res.Rows) == limit {
			res.Truncated = true
			return res, nil
		}
		if err := rows.Scan(ptrs...); err != nil {
			return connectors.QueryResult{}, err
		}
		row := make([]any, len(vals))
		for i, v := range vals {
			row[i] = connectors.JSONValue(v)
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return connectors.QueryResult{}, err
	}
	return res, nil
}
