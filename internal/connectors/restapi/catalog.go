package restapi

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/datanika/datanika/internal/connectors"
)

// CatalogSchema is the one schema a REST API shows: each resource is a table of it.
const CatalogSchema = "api"

// Column types, the names internal/files gives the columns it recognises.
const (
	TypeInteger   = "integer"
	TypeNumber    = "number"
	TypeBoolean   = "boolean"
	TypeDate      = "date"
	TypeTimestamp = "timestamp"
	TypeString    = "string"
	TypeJSON      = "json"
)

// Catalog reads the first page of every resource (with the usual retries, each bounded by
// connectors.StatementTimeout) and shows each resource as a table whose columns are the
// top-level keys of those records, typed from their JSON values; nested objects and arrays are
// json. The configured primary key is marked (and listed first).
func (c *Connector) Catalog(ctx context.Context) ([]connectors.Schema, error) {
	s := c.newSession(ctx)
	defer s.close()
	tables := make([]connectors.Table, 0, len(c.cfg.Resources))
	firstRecord := map[string]map[string]any{} // a dependent resource is shown for its parent's first record
	for i := range c.cfg.Resources {
		r := &c.cfg.Resources[i]
		if parent, _ := parentOf(r); parent != "" {
			rec, ok := firstRecord[parent]
			if !ok {
				tables = append(tables, connectors.Table{Name: r.Name, Kind: connectors.KindTable, Columns: inferColumns(nil, r.PrimaryKey)})
				continue
			}
			resolved, err := resolve(r, rec)
			if err != nil {
				return nil, err
			}
			r = resolved
		}
		u, err := c.firstURL(r, rawValueOf(r), newPager(r.pager))
		if err != nil {
			return nil, err
		}
		rctx, cancel := context.WithTimeout(ctx, connectors.StatementTimeout)
		pg, err := s.fetch(rctx, u, r, c.cfg.Retry.MaxAttempts)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("resource %s: %w", r.Name, err)
		}
		if len(pg.records) > 0 {
			firstRecord[r.Name] = toRecord(pg.records[0])
		}
		tables = append(tables, connectors.Table{Name: r.Name, Kind: connectors.KindTable,
			Columns: inferColumns(pg.records, r.PrimaryKey)})
	}
	return []connectors.Schema{{Name: CatalogSchema, Tables: tables}}, nil
}

func rawValueOf(r *Resource) any {
	if r.Incremental == nil {
		return nil
	}
	return rawValue(r.Incremental.InitialValue)
}

// inferColumns types each top-level key with the narrowest type all its non-null values fit.
func inferColumns(records []any, pk KeyList) []connectors.Column {
	types := map[string]string{}
	for _, raw := range records {
		for k, v := range toRecord(raw) {
			types[k] = widen(types[k], valueType(v))
		}
	}
	isKey := map[string]bool{}
	cols := make([]connectors.Column, 0, len(types)+len(pk))
	for _, k := range pk {
		if isKey[k] {
			continue
		}
		isKey[k] = true
		cols = append(cols, connectors.Column{Name: k, Type: orString(types[k]), PrimaryKey: true})
	}
	names := make([]string, 0, len(types))
	for k := range types {
		if !isKey[k] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		cols = append(cols, connectors.Column{Name: k, Type: orString(types[k]), Nullable: true})
	}
	return cols
}

func orString(t string) string {
	if t == "" {
		return TypeString // only nulls seen
	}
	return t
}

var integerRE = regexp.MustCompile(`^-?\d+$`)

// valueType is the type of one JSON value; "" for null.
func valueType(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		return TypeBoolean
	case json.Number:
		// Beyond 18 digits an integer may not fit 64 bits: a decimal keeps it exact.
		if integerRE.MatchString(x.String()) && len(x.String()) < 19 {
			return TypeInteger
		}
		return TypeNumber
	case float64:
		return TypeNumber
	case string:
		return stringType(x)
	case map[string]any, []any:
		return TypeJSON
	default:
		return TypeString
	}
}

var timestampLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04:05.999999"}

func stringType(s string) string {
	if len(s) == 10 {
		if _, err := time.Parse(time.DateOnly, s); err == nil {
			return TypeDate
		}
	}
	if len(s) >= 19 {
		for _, layout := range timestampLayouts {
			if _, err := time.Parse(layout, s); err == nil {
				return TypeTimestamp
			}
		}
	}
	return TypeString
}

// widen is the narrowest type that holds values of both types.
func widen(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "" || a == b:
		return a
	case a == TypeJSON || b == TypeJSON:
		return TypeJSON
	case (a == TypeInteger && b == TypeNumber) || (a == TypeNumber && b == TypeInteger):
		return TypeNumber
	case (a == TypeDate && b == TypeTimestamp) || (a == TypeTimestamp && b == TypeDate):
		return TypeTimestamp
	default:
		return TypeString
	}
}
