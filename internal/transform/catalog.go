package transform

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/datanika/datanika/internal/transform/dialect"
)

// querier is what the catalog and materializations need from a connection or transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// dbCatalog reads the target's information schema.
type dbCatalog struct {
	q querier
	d *dialect.Dialect
}

func (c dbCatalog) Kind(ctx context.Context, schema, name string) (string, error) {
	var kind string
	err := c.q.QueryRowContext(ctx, c.d.RelationKindQuery(), schema, name).Scan(&kind)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("look up %s.%s: %w", schema, name, err)
	}
	if strings.EqualFold(kind, "VIEW") {
		return dialect.View, nil
	}
	return dialect.Table, nil
}

func (c dbCatalog) Columns(ctx context.Context, schema, name string) ([]dialect.Column, error) {
	rows, err := c.q.QueryContext(ctx, c.d.ColumnsQuery(), schema, name)
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s.%s: %w", schema, name, err)
	}
	defer func() { _ = rows.Close() }()
	var out []dialect.Column
	for rows.Next() {
		var col dialect.Column
		if err := rows.Scan(&col.Name, &col.Type); err != nil {
			return nil, err
		}
		out = append(out, col)
	}
	return out, rows.Err()
}

// Query runs a query of a template (run_query) and returns its columns and rows.
func (c dbCatalog) Query(ctx context.Context, query string) ([]string, [][]any, error) {
	rows, err := c.q.QueryContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, nil, err
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		for i, v := range vals {
			switch x := v.(type) {
			case []byte:
				vals[i] = string(x)
			case time.Time:
				vals[i] = pyTemporal(x, types[i].DatabaseTypeName())
			}
		}
		out = append(out, vals)
	}
	return cols, out, rows.Err()
}

// pyTemporal gives a date or time value of a query's result as dbt's agate table holds it, so
// that rendering it gives Python's str(): 2017-01-01 for a date, 2017-01-01 00:00:00 for a
// timestamp, with its offset when it has a time zone.
func pyTemporal(t time.Time, dbType string) any {
	switch strings.ToUpper(dbType) {
	case "DATE":
		return pyDatetime{t: t, dateOnly: true}
	case "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE":
		return pyDatetime{t: t, aware: true}
	}
	return pyDatetime{t: t}
}
