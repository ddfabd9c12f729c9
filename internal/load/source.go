package load

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
)

// Table is a source table as the engine sees it.
type Table struct {
	Schema     string
	Name       string
	Columns    []Column
	PrimaryKey []string
	// CastText marks columns the source reads as text (types without a mapping).
	CastText []bool
	// PlainRelation is a PostgreSQL ordinary table, which `COPY table TO` can read; views,
	// materialized views, partitioned and foreign tables need `COPY (SELECT …) TO`.
	PlainRelation bool
	// nestedNames: the names hold dlt's nesting separator "__", kept in the destination (REST
	// sources' child tables and flattened columns).
	nestedNames bool
	// keysFromSource: merge uses PrimaryKey when the config names no keys (REST resources).
	keysFromSource bool
}

// destName maps one of the table's names (its own or a column's) to the destination's.
func (t *Table) destName(naming, name string) string {
	if t.nestedNames {
		return restDestName(naming, name)
	}
	return destName(naming, name)
}

// QualifiedName is "schema.table" (or just the table where the source has no schemas).
func (t *Table) QualifiedName() string {
	if t.Schema == "" {
		return t.Name
	}
	return t.Schema + "." + t.Name
}

// Column finds a column by name: its index and the column, or -1 and nil.
func (t *Table) Column(name string) (int, *Column) {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return i, &t.Columns[i]
		}
	}
	return -1, nil
}

// Window is the part of a table a run reads: filters and the incremental lower bound, both
// pushed into the source's SQL as bind parameters.
type Window struct {
	Filters []Filter
	// Cursor is the incremental cursor column, empty when the table is read whole.
	Cursor string
	// From is the lower bound, a value of the cursor's kind; nil reads from the start.
	From any
	// Inclusive makes the bound >= (a lag window, an initial value) rather than >.
	Inclusive bool
	// Desc orders by the cursor descending (row_order desc).
	Desc bool
	// reject applies the data_type contract to values that do not convert; nil fails.
	reject *rejector
}

// Reject applies the data_type contract to the value of column col that did not convert
// (cause), raw being the row as read: under discard_value it is nulled and kept for
// _dnk_rejected, under discard_row the row is dropped (dropRow); otherwise the read fails with
// cause. Sources call it for every value they cannot convert.
func (w Window) Reject(cols []Column, raw []any, col int, cause error) (dropRow bool, err error) {
	return w.reject.bad(cols, raw, col, cause)
}

// MySQLTextSource is a source that can hand over a window of a table undecoded, each value as
// MySQL's text protocol spells it (MySQL and MariaDB). A destination that reads those
// spellings itself takes it: PostgreSQL's COPY text path (pgload/copy_mysql.go).
type MySQLTextSource interface {
	Source
	// QueryText runs the query that reads the window of t over the text protocol and calls
	// fn with its rows, one driver value per column of t. It fails with ErrNoTextQuery, before
	// fn is called, when the driver will not run the query over the text protocol.
	QueryText(ctx context.Context, t *Table, w Window, fn func(driver.Rows) error) error
	// TextValue decodes a value of kind k as the text protocol spells it.
	TextValue(k Kind, spelled []byte) (any, error)
}

// ErrNoTextQuery says the driver would not run the query over the text protocol (a character
// set it will not interpolate parameters in): the decoding path reads the table instead.
var ErrNoTextQuery = errors.New("the mysql driver cannot run the query over the text protocol")

// Source reads tables. Implementations stream: memory stays bounded by the batch size.
type Source interface {
	// Tables lists the tables of schema (the source's default when empty); names filters them,
	// and a name that does not exist fails with ErrNoTable.
	Tables(ctx context.Context, schema string, names []string) ([]*Table, error)
	// Read streams the window of t to emit in batches of at most batchSize rows. emit takes
	// the full batch and hands back an empty one to fill next, so a reader and a writer can
	// work at once on a fixed set of batches.
	Read(ctx context.Context, t *Table, w Window, batchSize int, emit Emit) error
	// Count counts the rows of the window, for verify=count.
	Count(ctx context.Context, t *Table, w Window) (int64, error)
	Close() error
}

// Emit takes a full batch and returns an empty one.
type Emit func(*Batch) (*Batch, error)

// ErrNoTable is the error of a table that the source does not have.
var ErrNoTable = errors.New("table not found")

// noTableError names the missing table as the user wrote it ("public.orders").
type noTableError struct{ name string }

func (e *noTableError) Error() string        { return fmt.Sprintf("source table %q does not exist", e.name) }
func (e *noTableError) Is(target error) bool { return target == ErrNoTable }

func noTable(schema, name string) error {
	if schema != "" {
		name = schema + "." + name
	}
	return &noTableError{name: name}
}

// SelectTables keeps the tables named in names (all when names is empty), failing on a name
// that is missing. Names match exactly, then case-insensitively.
func SelectTables(all []*Table, schema string, names []string) ([]*Table, error) {
	if len(names) == 0 {
		return all, nil
	}
	out := make([]*Table, 0, len(names))
	for _, n := range names {
		var found *Table
		for _, t := range all {
			if t.Name == n {
				found = t
				break
			}
		}
		if found == nil {
			for _, t := range all {
				if equalFold(t.Name, n) {
					found = t
					break
				}
			}
		}
		if found == nil {
			return nil, noTable(schema, n)
		}
		out = append(out, found)
	}
	return out, nil
}
