package mysql

import (
	"context"
	"database/sql"

	"github.com/datanika/datanika/internal/connectors"
)

// A configured database narrows the catalog to it; "" lists every user database.
const schemasSQL = `
SELECT SCHEMA_NAME FROM information_schema.SCHEMATA
WHERE SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
  AND (? = '' OR SCHEMA_NAME = ?)
ORDER BY SCHEMA_NAME`

// The primary key comes from the PRIMARY constraint: COLUMN_KEY says PRI also for a unique
// not-null key standing in for a missing primary key.
const columnsSQL = `
SELECT c.TABLE_SCHEMA, c.TABLE_NAME,
       CASE WHEN t.TABLE_TYPE = 'VIEW' THEN 'view' ELSE 'table' END,
       c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE = 'YES', k.COLUMN_NAME IS NOT NULL
FROM information_schema.COLUMNS c
JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
LEFT JOIN information_schema.KEY_COLUMN_USAGE k ON k.CONSTRAINT_NAME = 'PRIMARY'
  AND k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME AND k.COLUMN_NAME = c.COLUMN_NAME
WHERE c.TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
  AND (? = '' OR c.TABLE_SCHEMA = ?)
ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION`

// Catalog lists user databases (schemas) with their tables, views and columns.
func (c *Connector) Catalog(ctx context.Context) ([]connectors.Schema, error) {
	ctx, cancel := context.WithTimeout(ctx, connectors.StatementTimeout)
	defer cancel()
	db, conn, err := c.open(ctx)
	if err != nil {
		return nil, connectors.ScrubError(err, c.secrets)
	}
	defer closeAll(db, conn)
	out, err := catalog(ctx, conn, c.cfg.Database)
	if err != nil {
		return nil, connectors.ScrubError(err, c.secrets)
	}
	return out, nil
}

func catalog(ctx context.Context, conn *sql.Conn, database string) ([]connectors.Schema, error) {
	out, err := listSchemas(ctx, conn, database)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	for i, s := range out {
		index[s.Name] = i
	}
	cols, err := conn.QueryContext(ctx, columnsSQL, database, database)
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

func listSchemas(ctx context.Context, conn *sql.Conn, database string) ([]connectors.Schema, error) {
	rows, err := conn.QueryContext(ctx, schemasSQL, database, database)
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
