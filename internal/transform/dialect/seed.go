package dialect

import (
	"fmt"
	"strings"
)

// CreateTable creates an empty table with the columns.
func (d *Dialect) CreateTable(schema, name string, cols []Column) string {
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = d.Quote(c.Name) + " " + c.Type
	}
	return fmt.Sprintf("create table %s (%s)%s", d.Relation(schema, name), strings.Join(defs, ", "), d.engineSuffix)
}

// Truncate empties a table in place, so views built on it survive a seed reload.
func (d *Dialect) Truncate(schema, name string) string {
	if d.Name == "postgres" || d.Name == "redshift" {
		// Postgres TRUNCATE is transactional; the reload is all or nothing.
		return "truncate table " + d.Relation(schema, name)
	}
	return "delete from " + d.Relation(schema, name)
}

// InsertRows is a parameterised multi-row insert of rows rows.
func (d *Dialect) InsertRows(schema, name string, cols []string, rows int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "insert into %s (%s) values ", d.Relation(schema, name), strings.Join(d.Quoted(cols), ", "))
	n := 1
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteString(d.Placeholder(n))
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// TestCount counts a test's failing rows.
func (d *Dialect) TestCount(query string) string {
	return fmt.Sprintf("select count(*) from (\n%s\n) as dbt_internal_test", query)
}

// Freshness returns the age in seconds of the newest loaded_at value, null when empty.
func (d *Dialect) Freshness(schema, name, loadedAt string) string {
	return fmt.Sprintf("select %s from %s", d.AgeSeconds("max("+loadedAt+")"), d.Relation(schema, name))
}
