package clickhouse

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/datanika/datanika/internal/connectors"
)

// Query runs one statement with readonly=1, max_execution_time and a server-side row cap
// (see the package comment).
func (c *Connector) Query(ctx context.Context, sql string, limit int) (connectors.QueryResult, error) {
	limit = connectors.RowLimit(limit)
	ctx, cancel := context.WithTimeout(ctx, connectors.TestTimeout+c.statementTimeout)
	defer cancel()
	var res connectors.QueryResult
	err := c.run(ctx, c.querySettings(limit), func(ctx context.Context, conn driver.Conn) error {
		var err error
		res, err = readRows(ctx, conn, sql, limit)
		return err
	})
	if err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	return res, nil
}

func readRows(ctx context.Context, conn driver.Conn, sql string, limit int) (connectors.QueryResult, error) {
	// Cancelling once the cap is reached tells the server to stop; the connection is thrown
	// away afterwards.
	qctx, qcancel := context.WithCancel(ctx)
	defer qcancel()
	rows, err := conn.Query(qctx, sql)
	if err != nil {
		return connectors.QueryResult{}, err
	}
	defer func() { _ = rows.Close() }()
	types := rows.ColumnTypes()
	res := connectors.QueryResult{Columns: make([]string, len(types)), Rows: [][]any{}}
	for i, ct := range types {
		res.Columns[i] = ct.Name()
	}
	for rows.Next() {
		if len(res.Rows) == limit {
			res.Truncated = true
			qcancel()
			return res, nil
		}
		dest := make([]any, len(types))
		for i, ct := range types {
			dest[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return connectors.QueryResult{}, err
		}
		row := make([]any, len(dest))
		for i, d := range dest {
			row[i] = jsonValue(reflect.ValueOf(d).Elem(), types[i].DatabaseTypeName())
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return connectors.QueryResult{}, err
	}
	return res, nil
}

// jsonValue unwraps what the driver scans into typed Go values: Nullable columns come as
// pointers, arrays as slices, maps as maps, tuples as slices or structs. A Date stays a date.
func jsonValue(v reflect.Value, dbType string) any {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		return nil
	}
	if t, ok := v.Interface().(time.Time); ok && isDate(dbType) {
		return t.Format(time.DateOnly)
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Array:
		x := v.Interface()
		if s, ok := x.(fmt.Stringer); ok {
			return s.String() // UUID, IP
		}
		if b, ok := x.([]byte); ok {
			return connectors.JSONValue(b)
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = jsonValue(v.Index(i), elemType(dbType))
		}
		return out
	case reflect.Map:
		out := make(map[string]any, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			out[fmt.Sprint(iter.Key().Interface())] = jsonValue(iter.Value(), "")
		}
		return out
	}
	return connectors.JSONValue(v.Interface())
}

// isDate tells Date and Date32 (possibly Nullable or LowCardinality) from DateTime.
func isDate(dbType string) bool {
	t := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(dbType, "LowCardinality("), "Nullable("), ")")
	t = strings.TrimSuffix(t, ")")
	return t == "Date" || t == "Date32"
}

// elemType is the element type of an Array type, "" for anything else.
func elemType(dbType string) string {
	if strings.HasPrefix(dbType, "Array(") && strings.HasSuffix(dbType, ")") {
		return dbType[len("Array(") : len(dbType)-1]
	}
	return ""
}
