package load

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/datanika/datanika/internal/connectors"
)

// RESTPreview is the table a load makes of the first page of a REST API resource, named as the
// destination names it.
type RESTPreview struct {
	Table      string
	Columns    []Column
	PrimaryKey []string
	// Rows are in the order of Columns; dates, timestamps, decimals and JSON as text.
	Rows [][]any
	// Truncated says the page held more rows than the limit.
	Truncated bool
	// ChildTables are the tables the page's arrays make with nested "tables".
	ChildTables []string
}

// PreviewREST reads the first page of a rest_api connection's resource (its parents' first
// pages too, for a dependent resource) and returns at most limit rows of the table a run of cfg
// would load from it: the same requests, filters, flattening, typing and naming as a run,
// stopped after one page (max_pages 1). An incremental resource starts where a first run does,
// at its initial_value. Nothing is kept: the spool is removed before PreviewREST returns.
func PreviewREST(ctx context.Context, config map[string]any, env connectors.Env, resource string, cfg Config, limit int) (*RESTPreview, error) {
	if refused := SourceConfigErrors("rest_api", cfg); refused != nil {
		return nil, refused
	}
	onePage := maps.Clone(config)
	onePage["max_pages"] = 1
	src, err := OpenRESTSource(ctx, onePage, env)
	if err != nil {
		return nil, err
	}
	defer func() { _ = src.Close() }()
	rs := src.(*restSource) //nolint:forcetypeassert // OpenRESTSource makes nothing else
	i := rs.resourceFor(resource)
	if i < 0 || !strings.EqualFold(rs.res[i].Name, resource) {
		return nil, noTable("", resource)
	}
	resource = rs.res[i].Name
	none := func(context.Context, string) (string, bool, error) { return "", false, nil }
	if err := rs.prepare(ctx, slog.New(slog.DiscardHandler), []string{resource}, cfg.Filters, none); err != nil {
		return nil, err
	}
	tables, err := rs.Tables(ctx, "", []string{resource})
	if err != nil {
		return nil, err
	}
	out := &RESTPreview{Table: (&Table{nestedNames: true}).destName(cfg.Naming, resource), Columns: []Column{}, Rows: [][]any{}, ChildTables: []string{}}
	var root *Table
	for _, t := range tables {
		if t.Name == resource {
			root = t
			continue
		}
		out.ChildTables = append(out.ChildTables, t.destName(cfg.Naming, t.Name))
	}
	if root == nil {
		return out, nil // the page held no record (that passed the filters)
	}
	p, err := plan(Spec{}, cfg, root)
	if err != nil {
		return nil, err
	}
	out.Table, out.PrimaryKey = p.Name, p.PrimaryKey
	for i, c := range root.Columns {
		c.Name = p.Columns[i]
		out.Columns = append(out.Columns, c)
	}
	errEnough := errors.New("enough rows")
	err = rs.Read(ctx, root, Window{}, limit+1, func(b *Batch) (*Batch, error) {
		for r := range b.Len() {
			if len(out.Rows) == limit {
				out.Truncated = true
				return nil, errEnough
			}
			row := make([]any, len(root.Columns))
			for j, v := range b.Row(r) {
				row[j] = previewValue(root.Columns[j].Type.Kind, v)
			}
			out.Rows = append(out.Rows, row)
		}
		b.Reset()
		return b, nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, err
	}
	return out, nil
}

// previewValue is a column value as JSON shows it without losing anything: dates, timestamps
// and decimals as text.
func previewValue(kind Kind, v any) any {
	switch x := v.(type) {
	case time.Time:
		switch kind {
		case KindDate:
			return x.Format(time.DateOnly)
		case KindTimestamp:
			return x.Format("2006-01-02T15:04:05.999999999")
		default:
			return x.Format(time.RFC3339Nano)
		}
	case pgtype.Numeric:
		s, err := x.Value()
		if err != nil {
			return nil
		}
		return s
	default:
		return v
	}
}
