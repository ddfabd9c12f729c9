package connectors

import (
	"context"
	"database/sql"
)

// SQLQueryer runs a statement through database/sql: a *sql.Tx or a *sql.Conn.
type SQLQueryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// QueryRows runs query and reads at most limit rows of its answer as JSON-friendly values, each
// converted by convert from what the driver scanned and the column's database type name. On
// reaching the cap it flags the result truncated and cancels the statement, so the driver
// drops the rest instead of reading it (the connection is thrown away afterwards).
func QueryRows(ctx context.Context, q SQLQueryer, query string, limit int, convert func(v any, dbType string) any) (QueryResult, error) {
	qctx, stop := context.WithCancel(ctx)
	defer stop()
	rows, err := q.QueryContext(qctx, query)
	if err != nil {
		return QueryResult{}, err
	}
	defer func() { _ = rows.Close() }()
	types, err := rows.ColumnTypes()
	if err != nil {
		return QueryResult{}, err
	}
	res := QueryResult{Columns: make([]string, len(types)), Rows: [][]any{}}
	dbTypes := make([]string, len(types))
	for i, ct := range types {
		res.Columns[i] = ct.Name()
		dbTypes[i] = ct.DatabaseTypeName()
	}
	vals := make([]any, len(types))
	ptrs := make([]any, len(types))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if len(res.Rows) == limit {
			res.Truncated = true
			stop()
			return res, nil
		}
		if err := rows.Scan(ptrs...); err != nil {
			return QueryResult{}, err
		}
		row := make([]any, len(vals))
		for i, v := range vals {
			row[i] = convert(v, dbTypes[i])
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return QueryResult{}, err
	}
	return res, nil
}
