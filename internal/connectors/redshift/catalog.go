package redshift

import (
	"context"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/internal/connectors"
)

// userSchemas leaves out the system's schemas: PostgreSQL and Redshift reserve the pg_ prefix
// for them (pg_catalog, pg_toast, pg_temp_N, pg_internal, pg_automv…). substring rather than
// LIKE 'pg\_%' because the two servers read backslashes in literals differently.
const userSchemas = `substring(n.nspname, 1, 3) <> 'pg_'
  AND n.nspname NOT IN ('information_schema', 'catalog_history')`

const schemasSQL = `SELECT n.nspname FROM pg_catalog.pg_namespace n
WHERE ` + userSchemas + `
ORDER BY n.nspname`

// columnsSQL lists tables and views with their columns. Redshift keeps primary keys (which it
// does not enforce) as constraints, read here through information_schema rather than
// pg_constraint's arrays.
const columnsSQL = `SELECT n.nspname, c.relname,
       CASE WHEN c.relkind = 'v' THEN 'view' ELSE 'table' END,
       a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       pk.column_name IS NOT NULL
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN (
  SELECT k.table_schema, k.table_name, k.column_name
  FROM information_schema.table_constraints tc
  JOIN information_schema.key_column_usage k
    ON k.constraint_schema = tc.constraint_schema AND k.constraint_name = tc.constraint_name
   AND k.table_schema = tc.table_schema AND k.table_name = tc.table_name
  WHERE tc.constraint_type = 'PRIMARY KEY'
) pk ON pk.table_schema = n.nspname AND pk.table_name = c.relname AND pk.column_name = a.attname
WHERE c.relkind IN ('r', 'v') AND ` + userSchemas + `
ORDER BY n.nspname, c.relname, a.attnum`

const versionSQL = `SELECT version()`

// lateBindingSQL reads the columns of late-binding views (CREATE VIEW … WITH NO SCHEMA
// BINDING), which Redshift resolves at query time and so keeps out of pg_attribute.
const lateBindingSQL = `SELECT view_schema, view_name, col_name, col_type
FROM pg_get_late_binding_view_cols()
  cols(view_schema name, view_name name, col_name name, col_type varchar, col_num int)
ORDER BY view_schema, view_name, col_num`

// Catalog lists user schemas with their tables, views and columns.
func (c *Connector) Catalog(ctx context.Context) ([]connectors.Schema, error) {
	ctx, cancel := context.WithTimeout(ctx, connectors.TestTimeout+c.statementTimeout)
	defer cancel()
	conn, err := c.connect(ctx)
	if err != nil {
		return nil, connectors.ScrubError(err, c.secrets)
	}
	defer closeConn(ctx, conn)
	out, err := catalog(ctx, conn)
	if err != nil {
		return nil, connectors.ScrubError(err, c.secrets)
	}
	return out, nil
}

func catalog(ctx context.Context, conn *pgx.Conn) ([]connectors.Schema, error) {
	rows, err := conn.Query(ctx, schemasSQL)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	b := newCatalogBuilder(names)
	rows, err = conn.Query(ctx, columnsSQL)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var schemaName, table, kind string
		var col connectors.Column
		if err := rows.Scan(&schemaName, &table, &kind, &col.Name, &col.Type, &col.Nullable, &col.PrimaryKey); err != nil {
			rows.Close()
			return nil, err
		}
		b.add(schemaName, table, kind, col)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	var version string
	if err := conn.QueryRow(ctx, versionSQL).Scan(&version); err != nil {
		return nil, err
	}
	if !isRedshift(version) {
		return b.schemas(), nil
	}
	// Late-binding views come after the others; each is one run of rows, appended as a view
	// and then sorted into place.
	rows, err = conn.Query(ctx, lateBindingSQL)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var schemaName, view string
		col := connectors.Column{Nullable: true}
		if err := rows.Scan(&schemaName, &view, &col.Name, &col.Type); err != nil {
			rows.Close()
			return nil, err
		}
		b.add(schemaName, view, connectors.KindView, col)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return b.schemas(), nil
}

// catalogBuilder gathers rows of (schema, table, column) into schemas: the rows of one table
// are consecutive, tables may come in any order (late-binding views come last).
type catalogBuilder struct {
	out   []connectors.Schema
	index map[string]int
}

func newCatalogBuilder(names []string) *catalogBuilder {
	b := &catalogBuilder{out: make([]connectors.Schema, len(names)), index: map[string]int{}}
	for i, n := range names {
		b.out[i] = connectors.Schema{Name: n, Tables: []connectors.Table{}}
		b.index[n] = i
	}
	return b
}

// add appends a column to its table, making the table on its first column. Columns of
// schemas that were not listed are dropped.
func (b *catalogBuilder) add(schemaName, table, kind string, col connectors.Column) {
	si, ok := b.index[schemaName]
	if !ok {
		return
	}
	s := &b.out[si]
	if n := len(s.Tables); n == 0 || s.Tables[n-1].Name != table {
		s.Tables = append(s.Tables, connectors.Table{Name: table, Kind: kind})
	}
	t := &s.Tables[len(s.Tables)-1]
	t.Columns = append(t.Columns, col)
}

// schemas returns the schemas with their tables sorted by name.
func (b *catalogBuilder) schemas() []connectors.Schema {
	for i := range b.out {
		tables := b.out[i].Tables
		sort.SliceStable(tables, func(x, y int) bool { return tables[x].Name < tables[y].Name })
	}
	return b.out
}
