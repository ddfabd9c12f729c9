package mssql

import (
	"context"
	"database/sql"

	"github.com/datanika/datanika/internal/connectors"
)

// userSchemas leaves out sys, INFORMATION_SCHEMA, guest and the schemas of the fixed
// database roles (db_owner…, schema_id 16384 and up).
const userSchemas = `s.name NOT IN ('sys', 'INFORMATION_SCHEMA', 'guest') AND s.schema_id < 16384`

const schemasSQL = `SELECT s.name FROM sys.schemas AS s
WHERE ` + userSchemas + `
ORDER BY s.name`

// columnsSQL spells types as they are declared (nvarchar lengths in characters, max for -1).
const columnsSQL = `SELECT s.name, o.name,
       CASE WHEN o.type = 'V' THEN 'view' ELSE 'table' END,
       c.name,
       CASE
         WHEN t.name IN ('varchar', 'char', 'varbinary', 'binary')
           THEN t.name + '(' + CASE WHEN c.max_length = -1 THEN 'max' ELSE CAST(c.max_length AS varchar(10)) END + ')'
         WHEN t.name IN ('nvarchar', 'nchar')
           THEN t.name + '(' + CASE WHEN c.max_length = -1 THEN 'max' ELSE CAST(c.max_length / 2 AS varchar(10)) END + ')'
         WHEN t.name IN ('decimal', 'numeric')
           THEN t.name + '(' + CAST(c.precision AS varchar(10)) + ',' + CAST(c.scale AS varchar(10)) + ')'
         WHEN t.name IN ('datetime2', 'time', 'datetimeoffset')
           THEN t.name + '(' + CAST(c.scale AS varchar(10)) + ')'
         ELSE t.name
       END,
       c.is_nullable,
       CAST(CASE WHEN ic.column_id IS NULL THEN 0 ELSE 1 END AS bit)
FROM sys.objects AS o
JOIN sys.schemas AS s ON s.schema_id = o.schema_id
JOIN sys.columns AS c ON c.object_id = o.object_id
JOIN sys.types AS t ON t.user_type_id = c.user_type_id
LEFT JOIN sys.indexes AS i ON i.object_id = o.object_id AND i.is_primary_key = 1
LEFT JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.column_id = c.column_id
WHERE o.type IN ('U', 'V') AND o.is_ms_shipped = 0 AND ` + userSchemas + `
ORDER BY s.name, o.name, c.column_id`

// Catalog lists user schemas with their tables, views and columns.
func (c *Connector) Catalog(ctx context.Context) ([]connectors.Schema, error) {
	ctx, cancel := context.WithTimeout(ctx, connectors.TestTimeout+c.statementTimeout)
	defer cancel()
	db, conn, err := c.open(ctx)
	if err != nil {
		return nil, connectors.ScrubError(err, c.secrets)
	}
	defer closeAll(db, conn)
	out, err := catalog(ctx, conn)
	if err != nil {
		return nil, connectors.ScrubError(err, c.secrets)
	}
	return out, nil
}

func catalog(ctx context.Context, conn *sql.Conn) ([]connectors.Schema, error) {
	out, err := listSchemas(ctx, conn)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	for i, s := range out {
		index[s.Name] = i
	}
	cols, err := conn.QueryContext(ctx, columnsSQL)
	if err != nil {
		return nil, err
	}
	defer func() { _ = cols.Close() }()
	for cols.Next() {
		var schemaName, table, kind string
		var col connectors.Column
		if err := cols.Scan(&schemaName, &table, &kind, &col.Name, &col.Type, &col.Nullable, &col.PrimaryKey); err != nil {
			return nil, err
		}
		si, ok := index[schemaName]
		if !ok {
			continue
		}
		s := &out[si]
		if n := len(s.Tables); n == 0 || s.Tables[n-1].Name != table {
			s.Tables = append(s.Tables, connectors.Table{Name: table, Kind: kind})
		}
		t := &s.Tables[len(s.Tables)-1]
		t.Columns = append(t.Columns, col)
	}
	return out, cols.Err()
}

func listSchemas(ctx context.Context, conn *sql.Conn) ([]connectors.Schema, error) {
	rows, err := conn.QueryContext(ctx, schemasSQL)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var out []connectors.Schema
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out = append(out, connectors.Schema{Name: name, Tables: []connectors.Table{}})
	}
	return out, rows.Err()
}
