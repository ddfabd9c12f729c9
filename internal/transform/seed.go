package transform

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/datanika/datanika/internal/transform/dialect"
)

var (
	dateRe      = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	timestampRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$`)
)

// inferKind guesses a column's kind from its values as dbt's agate does: integer, number,
// boolean, date, timestamp, else text. Empty cells are nulls and do not vote.
func inferKind(values []string) string {
	kinds := []struct {
		name string
		ok   func(string) bool
	}{
		{"integer", func(v string) bool { _, err := strconv.ParseInt(v, 10, 64); return err == nil }},
		{"number", func(v string) bool { _, err := strconv.ParseFloat(v, 64); return err == nil }},
		{"boolean", func(v string) bool { l := strings.ToLower(v); return l == "true" || l == "false" }},
		{"date", dateRe.MatchString},
		{"timestamp", timestampRe.MatchString},
	}
	for _, k := range kinds {
		all, any := true, false
		for _, v := range values {
			if v == "" {
				continue
			}
			any = true
			if !k.ok(v) {
				all = false
				break
			}
		}
		if all && any {
			return k.name
		}
	}
	return "text"
}

type seedData struct {
	columns []dialect.Column
	rows    [][]any
}

func parseSeed(n *node, d *dialect.Dialect) (*seedData, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(n.SeedCSV, []byte("\xef\xbb\xbf"))))
	if delim := n.config.String("delimiter"); delim != "" {
		r.Comma = []rune(delim)[0]
	}
	records, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", n.Path, err)
	}
	if len(records) == 0 {
		return nil, fmt.Errorf("%s is empty: a seed needs a header row", n.Path)
	}
	header := records[0]
	body := records[1:]
	overrides, _ := n.config["column_types"].(map[string]any)
	sd := &seedData{}
	var kinds []string
	for i, name := range header {
		name = strings.TrimSpace(name)
		vals := make([]string, len(body))
		for j, rec := range body {
			if i < len(rec) {
				vals[j] = rec[i]
			}
		}
		kind := inferKind(vals)
		typ := d.SeedType(kind)
		if o, ok := overrides[name]; ok {
			typ = fmt.Sprint(o)
			kind = "text"
		}
		kinds = append(kinds, kind)
		if !n.config.Bool("quote_columns", true) && d.Name == dialect.Postgres.Name {
			// quote_columns: false leaves the header's names unquoted, which PostgreSQL folds
			// to lower case (MySQL's column names ignore case either way).
			name = strings.ToLower(name)
		}
		sd.columns = append(sd.columns, dialect.Column{Name: name, Type: typ})
	}
	for _, rec := range body {
		row := make([]any, len(header))
		for i := range header {
			if i < len(rec) && rec[i] != "" {
				row[i] = rec[i]
				if kinds[i] == "boolean" {
					// MySQL's boolean is a tinyint and does not read 'true'.
					row[i] = strings.EqualFold(rec[i], "true")
				}
			}
		}
		sd.rows = append(sd.rows, row)
	}
	return sd, nil
}

// runSeed loads a seed: an existing table is emptied and refilled in place (so views on it
// survive), as dbt does; --full-refresh or a new seed creates the table.
func (e *Engine) runSeed(ctx context.Context, q querier, tx txRunner, n *node) (int64, string, error) {
	sd, err := parseSeed(n, e.d)
	if err != nil {
		return 0, "", err
	}
	cat := dbCatalog{q: q, d: e.d}
	name := n.alias()
	kind, err := cat.Kind(ctx, n.schema, name)
	if err != nil {
		return 0, "", err
	}
	var stmts []string
	var msg string
	same := false
	if kind == dialect.Table {
		existing, err := cat.Columns(ctx, n.schema, name)
		if err != nil {
			return 0, "", err
		}
		same = len(existing) == len(sd.columns)
		for i := 0; same && i < len(existing); i++ {
			same = strings.EqualFold(existing[i].Name, sd.columns[i].Name)
		}
	}
	// A table with other columns cannot be refilled; dbt fails there, we recreate it.
	if kind == dialect.Table && same && !e.fullRefresh(n) {
		stmts = append(stmts, e.d.Truncate(n.schema, name))
		msg = "reloaded in place"
	} else {
		if kind != "" {
			stmts = append(stmts, e.d.Drop(kind, n.schema, name))
		}
		stmts = append(stmts, e.d.CreateTable(n.schema, name, sd.columns))
		msg = "created"
	}
	cols := make([]string, len(sd.columns))
	for i, c := range sd.columns {
		cols[i] = c.Name
	}
	var total int64
	// Reloading in place is only DML, so even MySQL can do it all or nothing.
	inPlace := msg == "reloaded in place"
	err = tx(ctx, e.d.TransactionalDDL || inPlace, func(q querier) error {
		for _, s := range stmts {
			if _, err := q.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%w\n%s", err, s)
			}
		}
		batch := max(1, min(500, 60000/max(1, len(cols))))
		for start := 0; start < len(sd.rows); start += batch {
			end := min(start+batch, len(sd.rows))
			args := make([]any, 0, (end-start)*len(cols))
			for _, row := range sd.rows[start:end] {
				args = append(args, row...)
			}
			res, err := q.ExecContext(ctx, e.d.InsertRows(n.schema, name, cols, end-start), args...)
			if err != nil {
				return fmt.Errorf("insert into %s: %w", name, err)
			}
			ra, _ := res.RowsAffected()
			total += ra
		}
		return nil
	})
	return total, msg, err
}
