package load

import (
	"strings"

	"github.com/jackc/pgx/v5"
)

// Dialect is what differs in SQL between destinations: quoting and DDL types.
type Dialect interface {
	// Quote quotes one identifier, whatever characters it holds.
	Quote(name string) string
	// Qualified quotes schema.table.
	Qualified(schema, table string) string
	// ColumnType is the DDL of a logical type.
	ColumnType(t Type) string
}

// Postgres is PostgreSQL's dialect.
var Postgres Dialect = postgresDialect{}

// MySQL is MySQL's and MariaDB's dialect.
var MySQL Dialect = mysqlDialect{}

type postgresDialect struct{}

func (postgresDialect) Quote(name string) string { return pgx.Identifier{name}.Sanitize() }
func (postgresDialect) Qualified(schema, table string) string {
	return pgx.Identifier{schema, table}.Sanitize()
}
func (postgresDialect) ColumnType(t Type) string { return PostgresColumnType(t) }

type mysqlDialect struct{}

// Quote doubles backticks; a NUL cannot be in a MySQL identifier at all and is dropped.
func (mysqlDialect) Quote(name string) string {
	name = strings.ReplaceAll(name, "\x00", "")
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
func (d mysqlDialect) Qualified(schema, table string) string {
	if schema == "" {
		return d.Quote(table)
	}
	return d.Quote(schema) + "." + d.Quote(table)
}
func (mysqlDialect) ColumnType(t Type) string { return MySQLColumnType(t) }
