package postgres

import (
	"context"

	"github.com/datanika/datanika/internal/connectors"
)

// userSchemas are the schemas that are not PostgreSQL's own.
const userSchemas = `n.nspname NOT IN ('pg_catalog', 'information_schema')
	AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'`

const schemasSQL = `SELECT n.nspname FROM pg_namespace n WHERE ` + userSchemas + ` ORDER BY n.nspname`

// columnsSQL reads pg_catalog rather than information_schema, which hides the objects the
// user has no privilege on and does not know materialized views.
const columnsSQL = `
SELECT n.nspname, c.relname,
       CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END,
       a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       COALESCE(a.attnum = ANY (i.indkey), false)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND ` + userSchemas + `
ORDER BY n.nspname, c.relname, a.attnum`

// Catalog lists user schemas with their tables, views and columns.
func (c *Connector) Catalog(ctx context.Context) ([]connectors.Schema, error) {
	ctx, cancel := context.WithTimeout(ctx, connectors.StatementTimeout)
	defer cancel()
	conn, err := c.connect(ctx)
	if err != nil {
		return nil, connectors.ScrubError(err, c.secrets)
	}
	defer closeConn(ctx, conn)

	var out []connectors.Schema
	index := map[string]int{}
	rows, err := conn.Query(ctx, schemasSQL)
	if err != nil {
		return nil, connectors.ScrubError(err, c.secrets)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, connectors.ScrubError(err, c.secrets)
		}
		index[name] = len(out)
		out = append(out, connectors.Schema{Name: name, Tables: []connectors.Table{}})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, connectors.ScrubError(err, c.secrets)
	}

	rows, err = conn.Query(ctx, columnsSQL)
	if err != nil {
		return nil, connectors.ScrubError(err, c.secrets)
	}
	defer rows.Close()
	for rows.Next() {
		var schemaName, table, kind string
		var col connectors.Column
		if err := rows.Scan(&schemaName, &table, &kind, &col.Name, &col.Type, &col.Nullable, &col.PrimaryKey); err != nil {
			return nil, connectors.ScrubError(err, c.secrets)
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
	if err := rows.Err(); err != nil {
		return nil, connectors.ScrubError(err, c.secrets)
	}
	return out, nil
}
