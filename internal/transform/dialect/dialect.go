package dialect

import (
	"fmt"
	"strings"
)

// Dialect describes one database's SQL. The flags capture where databases differ; everything
// else is shared, so a new dialect is a new value, not new code paths.
type Dialect struct {
	Name string
	// open and close quote characters of identifiers.
	quoteOpen, quoteClose string
	// TransactionalDDL: DDL can run inside a transaction (swap in one transaction).
	TransactionalDDL bool
	// RenameTable renders renaming a relation; kind is "view" or "table".
	renameStyle string // "alter" (ALTER TABLE … RENAME TO name), "rename_table" (RENAME TABLE a TO b), "sp_rename"
	// HasMerge: MERGE INTO is available.
	HasMerge bool
	// CTASParens: CREATE TABLE x AS (query) accepts parentheses.
	ctasParens bool
	// createOrReplace: CREATE OR REPLACE TABLE/VIEW is atomic (Snowflake, BigQuery).
	createOrReplace bool
	stringType      string
	timestampType   string
	hashFunc        string // md5 function name
	concatStyle     string // "pipes" or "concat"
	distinctStyle   string // "is_distinct" or "null_safe_eq" (MySQL <=>)
	placeholder     string // "$" numbered or "?"
	limitStyle      string // "limit" or "top"
	dropCascade     bool
	engineSuffix    string
	types           map[string]string // seed types
}

// Quote quotes an identifier, doubling the closing quote inside it.
func (d *Dialect) Quote(id string) string {
	return d.quoteOpen + strings.ReplaceAll(id, d.quoteClose, d.quoteClose+d.quoteClose) + d.quoteClose
}

// Relation renders schema.name, each part quoted; an empty schema is left out.
func (d *Dialect) Relation(schema, name string) string {
	if schema == "" {
		return d.Quote(name)
	}
	return d.Quote(schema) + "." + d.Quote(name)
}

// Placeholder is the n-th (1-based) parameter marker.
func (d *Dialect) Placeholder(n int) string {
	if d.placeholder == "$" {
		return fmt.Sprintf("$%d", n)
	}
	if d.placeholder == "@" {
		return fmt.Sprintf("@p%d", n)
	}
	return "?"
}

// StringType is the type used for free text.
func (d *Dialect) StringType() string { return d.stringType }

// Limit wraps a query to return at most n rows.
func (d *Dialect) Limit(query string, n int) string {
	if d.limitStyle == "top" {
		return fmt.Sprintf("select top %d * from (\n%s\n) as dbt_limit", n, query)
	}
	return fmt.Sprintf("select * from (\n%s\n) as dbt_limit limit %d", query, n)
}

// CastString casts an expression to text.
func (d *Dialect) CastString(expr string) string {
	return fmt.Sprintf("cast(%s as %s)", expr, d.stringType)
}

// Concat concatenates expressions.
func (d *Dialect) Concat(exprs ...string) string {
	if d.concatStyle == "pipes" {
		return strings.Join(exprs, " || ")
	}
	return "concat(" + strings.Join(exprs, ", ") + ")"
}

// Hash is an md5 hex digest of the expressions joined by '|', nulls as empty strings.
func (d *Dialect) Hash(exprs ...string) string {
	parts := make([]string, 0, 2*len(exprs))
	for i, e := range exprs {
		if i > 0 {
			parts = append(parts, "'|'")
		}
		parts = append(parts, fmt.Sprintf("coalesce(%s, '')", d.CastString(e)))
	}
	switch d.hashFunc {
	case "to_hex_md5":
		return "to_hex(md5(" + d.Concat(parts...) + "))"
	case "hashbytes":
		return "lower(convert(varchar(32), hashbytes('MD5', " + d.Concat(parts...) + "), 2))"
	case "lower_hex_md5":
		return "lower(hex(MD5(" + d.Concat(parts...) + ")))"
	}
	return "md5(" + d.Concat(parts...) + ")"
}

// Distinct is a null-safe inequality of two expressions.
func (d *Dialect) Distinct(a, b string) string {
	if d.distinctStyle == "null_safe_eq" {
		return fmt.Sprintf("not (%s <=> %s)", a, b)
	}
	return fmt.Sprintf("%s is distinct from %s", a, b)
}

// CurrentTimestamp is the database's current time as a timestamp without time zone.
func (d *Dialect) CurrentTimestamp() string {
	switch d.Name {
	case "postgres", "redshift":
		return "localtimestamp"
	case "mssql":
		return "sysdatetime()"
	case "bigquery":
		return "current_datetime()"
	case "clickhouse":
		return "now()"
	case "snowflake":
		return "current_timestamp()::timestamp_ntz"
	}
	return "current_timestamp"
}

// AgeSeconds is how many seconds ago a timestamp expression was.
func (d *Dialect) AgeSeconds(expr string) string {
	switch d.Name {
	case "mysql":
		return fmt.Sprintf("timestampdiff(second, %s, current_timestamp)", expr)
	case "snowflake":
		return fmt.Sprintf("datediff(second, %s, current_timestamp())", expr)
	case "bigquery":
		return fmt.Sprintf("timestamp_diff(current_timestamp(), timestamp(%s), second)", expr)
	case "mssql":
		return fmt.Sprintf("datediff(second, %s, sysdatetime())", expr)
	case "clickhouse":
		return fmt.Sprintf("dateDiff('second', %s, now())", expr)
	}
	return fmt.Sprintf("extract(epoch from (current_timestamp - %s))", expr)
}

// SeedType maps an inferred seed column type (integer, number, boolean, date, timestamp, text)
// to the dialect's type.
func (d *Dialect) SeedType(kind string) string { return d.types[kind] }

// SupportsSnapshots reports whether the snapshot statements (UPDATE with correlated
// subqueries) run on the dialect; ClickHouse has no such UPDATE.
func (d *Dialect) SupportsSnapshots() bool { return d.Name != "clickhouse" }

// ByName returns a dialect by its name, or nil.
func ByName(name string) *Dialect {
	switch name {
	case "postgres", "postgresql":
		return Postgres
	case "mysql", "mariadb":
		return MySQL
	case "snowflake":
		return Snowflake
	case "bigquery":
		return BigQuery
	case "clickhouse":
		return ClickHouse
	case "mssql", "sqlserver":
		return MSSQL
	case "redshift":
		return Redshift
	}
	return nil
}

var pgTypes = map[string]string{"integer": "integer", "number": "numeric", "boolean": "boolean", "date": "date", "timestamp": "timestamp", "text": "text"}

// The dialects. Postgres and MySQL are run live; the others are checked by golden SQL.
var (
	Postgres = &Dialect{Name: "postgres", quoteOpen: `"`, quoteClose: `"`, TransactionalDDL: true, renameStyle: "alter",
		HasMerge: true, ctasParens: true, stringType: "varchar", timestampType: "timestamp", hashFunc: "md5",
		concatStyle: "pipes", distinctStyle: "is_distinct", placeholder: "$", limitStyle: "limit", dropCascade: true, types: pgTypes}
	Redshift = &Dialect{Name: "redshift", quoteOpen: `"`, quoteClose: `"`, TransactionalDDL: true, renameStyle: "alter_table",
		HasMerge: false, ctasParens: true, stringType: "varchar", timestampType: "timestamp", hashFunc: "md5",
		concatStyle: "pipes", distinctStyle: "is_distinct", placeholder: "$", limitStyle: "limit", dropCascade: true,
		types: map[string]string{"integer": "integer", "number": "numeric(38,6)", "boolean": "boolean", "date": "date", "timestamp": "timestamp", "text": "varchar(65535)"}}
	MySQL = &Dialect{Name: "mysql", quoteOpen: "`", quoteClose: "`", TransactionalDDL: false, renameStyle: "rename_table",
		HasMerge: false, ctasParens: false, stringType: "char", timestampType: "datetime", hashFunc: "md5",
		concatStyle: "concat", distinctStyle: "null_safe_eq", placeholder: "?", limitStyle: "limit",
		types: map[string]string{"integer": "bigint", "number": "double", "boolean": "boolean", "date": "date", "timestamp": "datetime", "text": "text"}}
	Snowflake = &Dialect{Name: "snowflake", quoteOpen: `"`, quoteClose: `"`, TransactionalDDL: false, renameStyle: "alter",
		HasMerge: true, ctasParens: true, createOrReplace: true, stringType: "varchar", timestampType: "timestamp_ntz", hashFunc: "md5",
		concatStyle: "pipes", distinctStyle: "is_distinct", placeholder: "?", limitStyle: "limit",
		types: map[string]string{"integer": "integer", "number": "float", "boolean": "boolean", "date": "date", "timestamp": "timestamp_ntz", "text": "varchar"}}
	BigQuery = &Dialect{Name: "bigquery", quoteOpen: "`", quoteClose: "`", TransactionalDDL: false, renameStyle: "alter",
		HasMerge: true, ctasParens: true, createOrReplace: true, stringType: "string", timestampType: "datetime", hashFunc: "to_hex_md5",
		concatStyle: "concat", distinctStyle: "is_distinct", placeholder: "?", limitStyle: "limit",
		types: map[string]string{"integer": "int64", "number": "float64", "boolean": "bool", "date": "date", "timestamp": "datetime", "text": "string"}}
	ClickHouse = &Dialect{Name: "clickhouse", quoteOpen: "`", quoteClose: "`", TransactionalDDL: false, renameStyle: "exchange",
		HasMerge: false, ctasParens: true, stringType: "String", timestampType: "DateTime", hashFunc: "lower_hex_md5",
		concatStyle: "concat", distinctStyle: "is_distinct", placeholder: "?", limitStyle: "limit", engineSuffix: " engine = MergeTree() order by tuple()",
		types: map[string]string{"integer": "Int64", "number": "Float64", "boolean": "Bool", "date": "Date", "timestamp": "DateTime", "text": "String"}}
	MSSQL = &Dialect{Name: "mssql", quoteOpen: "[", quoteClose: "]", TransactionalDDL: true, renameStyle: "sp_rename",
		HasMerge: true, ctasParens: false, stringType: "varchar(max)", timestampType: "datetime2", hashFunc: "hashbytes",
		concatStyle: "concat", distinctStyle: "is_distinct", placeholder: "@", limitStyle: "top",
		types: map[string]string{"integer": "bigint", "number": "float", "boolean": "bit", "date": "date", "timestamp": "datetime2", "text": "varchar(max)"}}
)

// TimestampLiteral is a timestamp constant (microseconds, no time zone).
func (d *Dialect) TimestampLiteral(t string) string {
	typ := d.timestampType
	if d.Name == "mysql" {
		typ = "datetime(6)"
	}
	return fmt.Sprintf("cast('%s' as %s)", strings.ReplaceAll(t, "'", "''"), typ)
}
