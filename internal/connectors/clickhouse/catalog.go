package clickhouse

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/datanika/datanika/internal/connectors"
)

// systemDatabases are ClickHouse's own.
const systemDatabases = `('system', 'INFORMATION_SCHEMA', 'information_schema')`

const schemasSQL = `SELECT name FROM system.databases
WHERE name NOT IN ` + systemDatabases + `
ORDER BY name`

// columnsSQL lists tables and views of every user database. Nullability is in the type
// (Nullable(T), LowCardinality(Nullable(T))); is_in_primary_key marks the columns of the
// primary key (the sorting key unless one is declared).
const columnsSQL = `SELECT t.database, t.name,
       if(t.engine IN ('View', 'MaterializedView', 'LiveView', 'WindowView'), 'view', 'table'),
       c.name, c.type,
       toUInt8(startsWith(c.type, 'Nullable(') OR startsWith(c.type, 'LowCardinality(Nullable(')),
       toUInt8(c.is_in_primary_key)
FROM system.tables AS t
INNER JOIN system.columns AS c ON c.database = t.database AND c.table = t.name
WHERE t.database NOT IN ` + systemDatabases + ` AND t.is_temporary = 0
ORDER BY t.database, t.name, c.position`

// Catalog lists user databases (schemas) with their tables, views and columns.
func (c *Connector) Catalog(ctx context.Context) ([]connectors.Schema, error) {
	ctx, cancel := context.WithTimeout(ctx, connectors.TestTimeout+c.statementTimeout)
	defer cancel()
	var out []connectors.Schema
	err := c.run(ctx, c.sessionSettings(), func(ctx context.Context, conn driver.Conn) error {
		var err error
		out, err = catalog(ctx, conn)
		return err
	})
	if err != nil {
		return nil, connectors.ScrubError(err, c.secrets)
	}
	return out, nil
}

func catalog(ctx context.Context, conn driver.Conn) ([]connectors.Schema, error) {
	rows, err := conn.Query(ctx, schemasSQL)
	if err != nil {
		return nil, err
	}
	var out []connectors.Schema
	index := map[string]int{}
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

	rows, err = conn.Query(ctx, columnsSQL)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var schemaName, table, kind string
		var nullable, pk uint8
		var col connectors.Column
		if err := rows.Scan(&schemaName, &table, &kind, &col.Name, &col.Type, &nullable, &pk); err != nil {
			return nil, err
		}
		col.Nullable, col.PrimaryKey = nullable != 0, pk != 0
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
	return out, rows.Err()
}
