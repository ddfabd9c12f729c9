package snowflake

import (
	"context"
	"database/sql"
	"strings"

	"github.com/datanika/datanika/internal/connectors"
)

// columnsSQL lists the columns of the session's database (the config's "database"), which
// INFORMATION_SCHEMA of that database shows only as far as the role may see them. Types are
// spelled with their precision and length, as Snowflake shows them in DESCRIBE TABLE.
const columnsSQL = `SELECT c.table_schema, c.table_name,
       CASE WHEN t.table_type IN ('VIEW', 'MATERIALIZED VIEW') THEN 'view' ELSE 'table' END,
       c.column_name,
       CASE
         WHEN c.data_type = 'NUMBER' THEN 'NUMBER(' || c.numeric_precision || ',' || c.numeric_scale || ')'
         WHEN c.data_type = 'TEXT' THEN 'VARCHAR(' || c.character_maximum_length || ')'
         WHEN c.data_type = 'BINARY' THEN 'BINARY(' || c.character_maximum_length || ')'
         ELSE c.data_type
       END,
       c.is_nullable = 'YES'
FROM information_schema.columns c
JOIN information_schema.tables t
  ON t.table_catalog = c.table_catalog AND t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema <> 'INFORMATION_SCHEMA'
ORDER BY c.table_schema, c.table_name, c.ordinal_position`

// schemasSQL lists the user schemas of the database, empty ones included.
const schemasSQL = `SELECT schema_name FROM information_schema.schemata
WHERE schema_name <> 'INFORMATION_SCHEMA' ORDER BY schema_name`

// primaryKeysSQL: INFORMATION_SCHEMA has no KEY_COLUMN_USAGE in Snowflake; SHOW does.
const primaryKeysSQL = `SHOW PRIMARY KEYS IN DATABASE`

// Catalog lists the schemas of the configured database with their tables, views and columns.
func (c *Connector) Catalog(ctx context.Context) ([]connectors.Schema, error) {
	ctx, cancel := context.WithTimeout(ctx, connectors.TestTimeout+c.statementTimeout)
	defer cancel()
	h, err := c.open(ctx, session{})
	if err != nil {
		return nil, connectors.ScrubError(describe(err), c.secrets)
	}
	defer h.close()
	out, err := catalog(ctx, h.conn)
	if err != nil {
		return nil, connectors.ScrubError(describe(err), c.secrets)
	}
	return out, nil
}

func catalog(ctx context.Context, conn *sql.Conn) ([]connectors.Schema, error) {
	var out []connectors.Schema
	index := map[string]int{}
	rows, err := conn.QueryContext(ctx, schemasSQL)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			_ = rows.Close()
			return nil, err
		}
		index[name] = len(out)
		out = append(out, connectors.Schema{Name: name, Tables: []connectors.Table{}})
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	keys, err := primaryKeys(ctx, conn)
	if err != nil {
		return nil, err
	}

	rows, err = conn.QueryContext(ctx, columnsSQL)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var schemaName, table, kind string
		var col connectors.Column
		if err := rows.Scan(&schemaName, &table, &kind, &col.Name, &col.Type, &col.Nullable); err != nil {
			return nil, err
		}
		si, ok := index[schemaName]
		if !ok {
			continue
		}
		col.PrimaryKey = keys[[3]string{schemaName, table, col.Name}]
		s := &out[si]
		if n := len(s.Tables); n == 0 || s.Tables[n-1].Name != table {
			s.Tables = append(s.Tables, connectors.Table{Name: table, Kind: kind})
		}
		t := &s.Tables[len(s.Tables)-1]
		t.Columns = append(t.Columns, col)
	}
	return out, rows.Err()
}

// primaryKeys reads SHOW PRIMARY KEYS by column name: SHOW's columns are not a stable list.
func primaryKeys(ctx context.Context, conn *sql.Conn) (map[[3]string]bool, error) {
	rows, err := conn.QueryContext(ctx, primaryKeysSQL)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	at := map[string]int{}
	for i, name := range cols {
		at[strings.ToLower(name)] = i
	}
	si, ok1 := at["schema_name"]
	ti, ok2 := at["table_name"]
	ci, ok3 := at["column_name"]
	keys := map[[3]string]bool{}
	if !ok1 || !ok2 || !ok3 {
		return keys, nil // an unknown layout: no keys rather than wrong ones
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		keys[[3]string{vals[si].String, vals[ti].String, vals[ci].String}] = true
	}
	return keys, rows.Err()
}
