package transformation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
)

// loaded is the project of one destination as stored.
type loaded struct {
	conn   dbgen.Connection
	schema string
	in     Input
	// byID maps a transformation id to its index in in.Models.
	byID map[int64]int
	// seedIDs and sourceIDs map ids to indexes in in.Seeds and in.Sources.
	seedIDs, sourceIDs map[int64]int
	// cache, when set, keeps parse results of this project between parses.
	cache *projectCache
}

// parse parses in as this project's destination does, through its cache when it has one.
func (l *loaded) parse(ctx context.Context, in Input) (*Parsed, error) {
	if l.cache == nil {
		return Parse(ctx, in, DialectOf(l.conn.Type), l.schema, nil)
	}
	l.cache.mu.Lock()
	defer l.cache.mu.Unlock()
	return Parse(ctx, in, DialectOf(l.conn.Type), l.schema, l.cache.cache)
}

func modelOf(t dbgen.Transformation) (Model, error) {
	m := Model{Name: t.Name, Description: t.Description, Path: t.Path, SQL: t.SqlBody,
		Materialization: t.Materialization, Schema: t.SchemaName, Tags: t.Tags}
	if m.Path == "" {
		m.Path = t.Name + ".sql" // written without one (migration 000014)
	}
	var err error
	if m.Incremental, err = decodeMap(t.IncrementalConfig); err != nil {
		return m, fmt.Errorf("transformation %d incremental_config: %w", t.ID, err)
	}
	if m.Snapshot, err = decodeMap(t.SnapshotConfig); err != nil {
		return m, fmt.Errorf("transformation %d snapshot_config: %w", t.ID, err)
	}
	if m.Tests, err = decodeMap(t.TestsConfig); err != nil {
		return m, fmt.Errorf("transformation %d tests_config: %w", t.ID, err)
	}
	if m.Config, err = decodeMap(t.Config); err != nil {
		return m, fmt.Errorf("transformation %d config: %w", t.ID, err)
	}
	return m, nil
}

func seedOf(s dbgen.Seed) (SeedFile, error) {
	out := SeedFile{Name: s.Name, Description: s.Description, CSV: s.Csv, Schema: s.SchemaName}
	if len(s.ColumnTypes) > 0 {
		if err := json.Unmarshal(s.ColumnTypes, &out.ColumnTypes); err != nil {
			return out, fmt.Errorf("seed %d column_types: %w", s.ID, err)
		}
	}
	return out, nil
}

func sourceOf(s dbgen.Source) (SourceDef, error) {
	out := SourceDef{Name: s.Name, Description: s.Description, Schema: s.SchemaName}
	if err := json.Unmarshal(s.Tables, &out.Tables); err != nil {
		return out, fmt.Errorf("source %d tables: %w", s.ID, err)
	}
	return out, nil
}

// projectOf loads the project of destination id (nil: the org's Warehouse) for a request that
// names it in destination_connection_id: 422 when it is no destination that can hold models.
func (s *Service) projectOf(ctx context.Context, q *dbgen.Queries, p auth.Principal, id *int64) (*loaded, error) {
	conn, f, err := destination(ctx, q, p, id, "destination_connection_id")
	if err != nil {
		return nil, err
	}
	if f != nil {
		return nil, apperr.Invalidf([]apperr.FieldError{*f}, "The destination cannot hold models.")
	}
	return s.load(ctx, q, p, conn)
}

// load is loadProject with the service's parse cache of the project.
func (s *Service) load(ctx context.Context, q *dbgen.Queries, p auth.Principal, conn dbgen.Connection) (*loaded, error) {
	l, err := loadProject(ctx, q, p, conn)
	if err != nil {
		return nil, err
	}
	l.cache = s.caches.get(p.OrgID, conn.ID)
	return l, nil
}

// loadProject reads the project of destination conn: its models, seeds and sources, every
// macro of the org, and one source per pipeline loading into conn (named by its destination
// schema, listing the tables the catalog knows there) unless a stored source has that name.
func loadProject(ctx context.Context, q *dbgen.Queries, p auth.Principal, conn dbgen.Connection) (*loaded, error) {
	org, err := q.GetOrganization(ctx, p.OrgID)
	if err != nil {
		return nil, err
	}
	l := &loaded{conn: conn, schema: org.DefaultSchema, byID: map[int64]int{}, seedIDs: map[int64]int{}, sourceIDs: map[int64]int{}}
	models, err := q.ProjectTransformations(ctx, dbgen.ProjectTransformationsParams{OrgID: p.OrgID, DestinationConnectionID: conn.ID})
	if err != nil {
		return nil, err
	}
	for _, t := range models {
		m, err := modelOf(t)
		if err != nil {
			return nil, err
		}
		l.byID[t.ID] = len(l.in.Models)
		l.in.Models = append(l.in.Models, m)
	}
	if raw, err := q.GetProjectVars(ctx, dbgen.GetProjectVarsParams{OrgID: p.OrgID, ConnectionID: conn.ID}); err == nil {
		if l.in.Vars, err = decodeMap(raw); err != nil {
			return nil, fmt.Errorf("project vars of connection %d: %w", conn.ID, err)
		}
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	macros, err := q.AllMacros(ctx, p.OrgID)
	if err != nil {
		return nil, err
	}
	for _, m := range macros {
		l.in.Macros = append(l.in.Macros, MacroFile{Name: m.Name, SQL: m.SqlBody})
	}
	seeds, err := q.ProjectSeeds(ctx, dbgen.ProjectSeedsParams{OrgID: p.OrgID, DestinationConnectionID: conn.ID})
	if err != nil {
		return nil, err
	}
	for _, s := range seeds {
		sf, err := seedOf(s)
		if err != nil {
			return nil, err
		}
		l.seedIDs[s.ID] = len(l.in.Seeds)
		l.in.Seeds = append(l.in.Seeds, sf)
	}
	sources, err := q.ProjectSources(ctx, dbgen.ProjectSourcesParams{OrgID: p.OrgID, ConnectionID: conn.ID})
	if err != nil {
		return nil, err
	}
	named := map[string]bool{}
	for _, s := range sources {
		sd, err := sourceOf(s)
		if err != nil {
			return nil, err
		}
		l.sourceIDs[s.ID] = len(l.in.Sources)
		l.in.Sources = append(l.in.Sources, sd)
		named[s.Name] = true
	}
	pipelines, err := q.ProjectPipelineSources(ctx, dbgen.ProjectPipelineSourcesParams{OrgID: p.OrgID, DestinationConnectionID: conn.ID})
	if err != nil {
		return nil, err
	}
	var schemas []string
	for _, pl := range pipelines {
		if !named[pl.DestinationSchema] {
			named[pl.DestinationSchema] = true
			schemas = append(schemas, pl.DestinationSchema)
		}
	}
	if len(schemas) > 0 {
		tables, err := q.CatalogTablesOfSchemas(ctx, dbgen.CatalogTablesOfSchemasParams{OrgID: p.OrgID, ConnectionID: conn.ID, Schemas: schemas})
		if err != nil {
			return nil, err
		}
		bySchema := map[string][]SourceTable{}
		for _, t := range tables {
			bySchema[t.SchemaName] = append(bySchema[t.SchemaName], SourceTable{Name: t.TableName})
		}
		for _, s := range schemas {
			l.in.Sources = append(l.in.Sources, SourceDef{Name: s, Schema: s, Tables: bySchema[s],
				Description: "Loaded by a pipeline into " + s + "."})
		}
	}
	return l, nil
}

// clone copies the input so a change can be tried without touching what was loaded.
func (in Input) clone() Input {
	return Input{
		Vars:    in.Vars,
		Models:  append([]Model{}, in.Models...),
		Macros:  append([]MacroFile{}, in.Macros...),
		Seeds:   append([]SeedFile{}, in.Seeds...),
		Sources: append([]SourceDef{}, in.Sources...),
	}
}

// check parses the project before and after a change and refuses the change (422) when the
// project no longer parses or a model gains an error it did not have.
func (l *loaded) check(ctx context.Context, after Input, what string) (*Parsed, error) {
	parsedAfter, err := l.parse(ctx, after)
	if err != nil {
		return nil, err
	}
	var before map[string]apperr.FieldError
	if parsedBefore, err := l.parse(ctx, l.in); err == nil {
		before = parsedBefore.NodeErrors(l.in)
	}
	if err := newErrors(before, parsedAfter.NodeErrors(after), what); err != nil {
		return nil, err
	}
	return parsedAfter, nil
}
