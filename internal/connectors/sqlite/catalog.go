package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/datanika/datanika/internal/connectors"
)

// The file is one schema, SQLite's "main".
const mainSchema = "main"

const tablesSQL = `SELECT name, type FROM sqlite_master
WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
ORDER BY name`

// The table name is a bound parameter of the table-valued pragma, never spliced into SQL.
const columnsSQL = `SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid`

// Catalog lists the tables and views of the file with their columns.
func (c *Connector) Catalog(ctx context.Context) ([]connectors.Schema, error) {
	ctx, cancel := context.WithTimeout(ctx, connectors.StatementTimeout)
	defer cancel()
	db, conn, hidePath, err := c.open(ctx)
	if err != nil {
		return nil, err
	}
	defer closeAll(db, conn)
	tables, err := listTables(ctx, conn)
	if err != nil {
		return nil, hidePath(err)
	}
	for i := range tables {
		if tables[i].Columns, err = listColumns(ctx, conn, tables[i].Name); err != nil {
			return nil, hidePath(err)
		}
	}
	return []connectors.Schema{{Name: mainSchema, Tables: tables}}, nil
}

func listTables(ctx context.Context, conn *sql.Conn) ([]connectors.Table, error) {
	rows, err := conn.QueryContext(ctx, tablesSQL)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	tables := []connectors.Table{}
	for rows.Next() {
		var t connectors.Table
		if err := rows.Scan(&t.Name, &t.Kind); err != nil {
			return nil, err
		}
		tables = append(tables, t)
	}
	return tables, rows.Err()
}

func listColumns(ctx context.Context, conn *sql.Conn, table string) ([]connectors.Column, error) {
	rows, err := conn.QueryContext(ctx, columnsSQL, table)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var cols []connectors.Column
	for rows.Next() {
		var col connectors.Column
		var notNull, pk int
		if err := rows.Scan(&col.Name, &col.Type, &notNull, &pk); err != nil {
			return nil, err
		}
		// SQLite lets a column have no declared type; say what it holds then.
		if col.Type == "" {
			col.Type = "ANY"
		}
		col.Type = strings.ToUpper(col.Type)
		col.Nullable = notNull == 0 && pk == 0
		col.PrimaryKey = pk > 0
		cols = append(cols, col)
	}
	return cols, rows.Err()
}
