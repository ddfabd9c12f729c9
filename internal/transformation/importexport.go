package transformation

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v3"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/transform/project"
)

// ImportCounts counts what an import did per kind.
type ImportCounts struct {
	Transformations, Macros, Seeds, Sources, Tests, Snapshots int
}

// ImportReport is the answer of an import (SPEC §7).
type ImportReport struct {
	Created, Updated, Skipped ImportCounts
	Warnings                  []string
}

// Conflict policies of an import.
const (
	OnConflictSkip      = "skip"
	OnConflictOverwrite = "overwrite"
)

// MaxImportBytes bounds an imported zip.
const MaxImportBytes = 50 << 20

// propsEntry is a model's or snapshot's entry in a properties file, as far as import keeps it.
type propsEntry struct {
	Columns []struct {
		Name        string `yaml:"name"`
		Description string `yaml:"description"`
		Tests       []any  `yaml:"tests"`
		DataTests   []any  `yaml:"data_tests"`
	} `yaml:"columns"`
	Tests     []any `yaml:"tests"`
	DataTests []any `yaml:"data_tests"`
}

// testsByModel reads the generic tests of every model and snapshot from the properties files,
// as written (so export writes them back the same): tests_config per name, the count, and
// warnings for what the properties say that is not kept (column descriptions).
func testsByModel(proj *project.Project) (map[string]map[string]any, map[string]int, []string) {
	out, counts := map[string]map[string]any{}, map[string]int{}
	var warnings []string
	names := make([]string, 0, len(proj.Files))
	for n := range proj.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		if (!strings.HasSuffix(name, ".yml") && !strings.HasSuffix(name, ".yaml")) || name == "dbt_project.yml" || strings.Contains(name, "dbt_packages/") {
			continue
		}
		var pf struct {
			Models    []map[string]any `yaml:"models"`
			Snapshots []map[string]any `yaml:"snapshots"`
		}
		if yaml.Unmarshal(proj.Files[name], &pf) != nil {
			continue
		}
		for _, raw := range append(pf.Models, pf.Snapshots...) {
			modelName, _ := raw["name"].(string)
			b, err := yaml.Marshal(raw)
			if err != nil || modelName == "" {
				continue
			}
			var e propsEntry
			if yaml.Unmarshal(b, &e) != nil {
				continue
			}
			cfg := map[string]any{}
			cols := map[string]any{}
			described := 0
			for _, c := range e.Columns {
				if c.Description != "" {
					described++
				}
				list := append(append([]any{}, c.Tests...), c.DataTests...)
				if len(list) > 0 {
					cols[c.Name] = jsonSafe(list)
					counts[modelName] += len(list)
				}
			}
			if len(cols) > 0 {
				cfg["columns"] = cols
			}
			if list := append(append([]any{}, e.Tests...), e.DataTests...); len(list) > 0 {
				cfg["tests"] = jsonSafe(list)
				counts[modelName] += len(list)
			}
			if len(cfg) > 0 {
				out[modelName] = cfg
			}
			if described > 0 {
				warnings = append(warnings, fmt.Sprintf("%s: the descriptions of %d column(s) of %s are not kept (column descriptions are not stored yet)", name, described, modelName))
			}
		}
	}
	return out, counts, warnings
}

// jsonSafe turns YAML-decoded values into what JSON stores (map[string]any keys).
func jsonSafe(v any) []any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out []any
	_ = json.Unmarshal(b, &out)
	return out
}

// modelFromNode makes a stored model of a project's model or snapshot node.
func modelFromNode(n *project.Node, tests map[string]any) Model {
	dirs := n.FQN[1 : len(n.FQN)-1]
	file := path.Base(n.Path)
	m := Model{Name: n.Name, Description: n.Description, Path: path.Join(append(append([]string{}, dirs...), file)...),
		SQL: n.Raw, Materialization: n.Config.Materialized(), Tests: tests, Config: map[string]any{}}
	if m.Materialization == "" {
		m.Materialization = "view"
	}
	if n.ResourceType == project.Snapshot {
		m.Materialization = "snapshot"
		m.SQL = strings.TrimSuffix(strings.TrimLeft(n.Raw, "\n"), "\n")
	}
	for k, v := range n.Config {
		switch k {
		case "materialized":
		case "schema":
			if s, ok := v.(string); ok && s != "" {
				m.Schema = &s
			}
		case "tags":
			m.Tags = n.Config.Strings("tags")
		case "unique_key", "on_schema_change", "incremental_strategy", "strategy", "updated_at", "check_cols", "invalidate_hard_deletes":
			target := &m.Incremental
			if m.Materialization == "snapshot" {
				target = &m.Snapshot
			}
			if m.Materialization != "incremental" && m.Materialization != "snapshot" {
				m.Config[k] = v
				continue
			}
			if *target == nil {
				*target = map[string]any{}
			}
			key := k
			if k == "incremental_strategy" {
				key = "strategy"
			}
			(*target)[key] = v
		default:
			m.Config[k] = v
		}
	}
	m.Config = jsonMap(m.Config)
	if len(m.Config) == 0 {
		m.Config = nil
	}
	m.Incremental, m.Snapshot = jsonMap(m.Incremental), jsonMap(m.Snapshot)
	return m
}

func jsonMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// Import reads a zipped dbt project into the project of a destination (default: the
// Warehouse): models and snapshots become transformations, macro files macros, seeds seeds,
// sources sources, generic tests the tests_config of their models, vars the project's vars.
// What has no place here is reported as a warning, never dropped silently. A name that exists
// is skipped or overwritten (onConflict). The whole project must parse afterwards, else
// nothing is stored (422).
func (s *Service) Import(ctx context.Context, p auth.Principal, zipped []byte, destID *int64, onConflict string) (ImportReport, error) {
	var rep ImportReport
	if onConflict == "" {
		onConflict = OnConflictSkip
	}
	if onConflict != OnConflictSkip && onConflict != OnConflictOverwrite {
		return rep, apperr.Invalidf([]apperr.FieldError{{Field: "on_conflict", Message: "must be skip or overwrite"}}, "Choose skip or overwrite.")
	}
	fsys, err := project.OpenZip(zipped)
	if err != nil {
		return rep, apperr.Invalidf([]apperr.FieldError{{Field: "file", Message: "is not a zip of a dbt project: " + err.Error()}}, "The file is not a dbt project.")
	}
	proj, err := project.Load(fsys)
	if err != nil {
		f := fieldOf(err, Input{})
		f.Field = "file"
		return rep, apperr.Invalidf([]apperr.FieldError{f}, "The project does not load: %s", f.Message)
	}
	rep.Warnings = append(rep.Warnings, proj.Warnings...)
	tests, testCounts, propWarnings := testsByModel(proj)
	rep.Warnings = append(rep.Warnings, propWarnings...)
	ids := make([]string, 0, len(proj.Nodes))
	for id := range proj.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var models []Model
	var seeds []SeedFile
	sourcesByName := map[string]*SourceDef{}
	var sourceOrder []string
	for _, id := range ids {
		n := proj.Nodes[id]
		if n.Package != proj.Name {
			continue
		}
		if !n.Config.Enabled() {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: %s is disabled (enabled: false) and was not imported", n.Path, n.Name))
			continue
		}
		switch n.ResourceType {
		case project.Model, project.Snapshot:
			models = append(models, modelFromNode(n, tests[n.Name]))
		case project.Seed:
			sf := SeedFile{Name: n.Name, Description: n.Description, CSV: n.SeedCSV}
			if sch := n.Config.String("schema"); sch != "" {
				sf.Schema = &sch
			}
			if ct, ok := n.Config["column_types"].(map[string]any); ok {
				sf.ColumnTypes = map[string]string{}
				for k, v := range ct {
					sf.ColumnTypes[k] = fmt.Sprint(v)
				}
			}
			seeds = append(seeds, sf)
		case project.Source:
			sd, ok := sourcesByName[n.Source.SourceName]
			if !ok {
				sd = &SourceDef{Name: n.Source.SourceName, Schema: n.Source.Schema}
				sourcesByName[n.Source.SourceName] = sd
				sourceOrder = append(sourceOrder, n.Source.SourceName)
			}
			t := SourceTable{Name: n.Name, Description: n.Description, LoadedAtField: n.Source.LoadedAtField}
			if n.Source.Identifier != n.Name {
				t.Identifier = n.Source.Identifier
			}
			if f := n.Source.Freshness; f != nil {
				t.Freshness = map[string]any{}
				if f.WarnAfter != nil {
					t.Freshness["warn_after"] = map[string]any{"count": f.WarnAfter.Count, "period": f.WarnAfter.Period}
				}
				if f.ErrorAfter != nil {
					t.Freshness["error_after"] = map[string]any{"count": f.ErrorAfter.Count, "period": f.ErrorAfter.Period}
				}
				t.Freshness = jsonMap(t.Freshness)
			}
			for _, c := range n.Columns {
				t.Columns = append(t.Columns, SourceColumn{Name: c.Name, Description: c.Description})
			}
			sd.Tables = append(sd.Tables, t)
		case project.Test:
			if n.Test == nil {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: singular test %s was not imported (singular tests are not stored yet)", n.Path, n.Name))
			} else if strings.HasPrefix(n.Test.AttachedID, "source.") {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: test %s on a source was not imported (source tests are not stored yet)", n.Path, n.Name))
			}
		default:
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: %s %s was not imported (%ss are not stored)", n.Path, n.ResourceType, n.Name, n.ResourceType))
		}
	}
	var macros []MacroFile
	for _, f := range proj.Macros {
		if f.Package != proj.Name {
			continue
		}
		name := strings.TrimSuffix(path.Base(f.Path), path.Ext(f.Path))
		if checkIdentifier("name", name) != nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: a macro file must be named as an identifier; not imported", f.Path))
			continue
		}
		macros = append(macros, MacroFile{Name: name, SQL: f.Text})
	}
	// (Packages that are not installed are among proj.Warnings: only the built-in dbt_utils
	// macros are available here.)
	for _, key := range []string{"on-run-start", "on-run-end", "dispatch", "query-comment", "quoting"} {
		if _, ok := proj.Settings[key]; ok {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("dbt_project.yml: %s is not kept (only vars and folder configs are)", key))
		}
	}

	err = database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		conn, f, err := destination(ctx, q, p, destID, "destination_connection_id")
		if err != nil {
			return err
		}
		if f != nil {
			return apperr.Invalidf([]apperr.FieldError{*f}, "The destination cannot hold models.")
		}
		if err := s.importMacros(ctx, q, tx, p, macros, onConflict, &rep); err != nil {
			return err
		}
		if err := s.importSeeds(ctx, q, tx, p, conn.ID, seeds, onConflict, &rep); err != nil {
			return err
		}
		for _, name := range sourceOrder {
			if err := s.importSource(ctx, q, tx, p, conn.ID, *sourcesByName[name], onConflict, &rep); err != nil {
				return err
			}
		}
		for _, m := range models {
			if err := s.importModel(ctx, q, tx, p, conn.ID, m, testCounts[m.Name], onConflict, &rep); err != nil {
				return err
			}
		}
		if len(proj.Vars) > 0 {
			raw, err := json.Marshal(jsonMap(proj.Vars))
			if err != nil {
				return err
			}
			if err := q.PutProjectVars(ctx, dbgen.PutProjectVarsParams{ConnectionID: conn.ID, OrgID: p.OrgID, Vars: raw}); err != nil {
				return err
			}
		}
		// The project as it now stands must parse, every model of it.
		l, err := s.load(ctx, q, p, conn)
		if err != nil {
			return err
		}
		parsed, err := l.parse(ctx, l.in)
		if err != nil {
			return err
		}
		if err := newErrors(nil, parsed.NodeErrors(l.in), "import"); err != nil {
			return err
		}
		return writeAudit(ctx, tx, p, "transformation.import", "transformation", 0, nil, map[string]any{
			"destination_connection_id": conn.ID, "on_conflict": onConflict, "created": rep.Created, "updated": rep.Updated, "skipped": rep.Skipped})
	})
	return rep, err
}

func (s *Service) importMacros(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, p auth.Principal, macros []MacroFile, onConflict string, rep *ImportReport) error {
	for _, m := range macros {
		old, err := q.GetMacroByName(ctx, dbgen.GetMacroByNameParams{OrgID: p.OrgID, Name: m.Name})
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			row, err := q.CreateMacro(ctx, dbgen.CreateMacroParams{OrgID: p.OrgID, Name: m.Name, SqlBody: m.SQL, CreatedBy: userID(p)})
			if err != nil {
				return err
			}
			rep.Created.Macros++
			if err := writeAudit(ctx, tx, p, "macro.create", "macro", row.ID, nil, macroAudit(row)); err != nil {
				return err
			}
		case err != nil:
			return err
		case onConflict == OnConflictSkip || old.SqlBody == m.SQL:
			rep.Skipped.Macros++
		default:
			row, err := q.UpdateMacro(ctx, dbgen.UpdateMacroParams{OrgID: p.OrgID, ID: old.ID, Name: old.Name, Description: old.Description, SqlBody: m.SQL})
			if err != nil {
				return err
			}
			rep.Updated.Macros++
			if err := writeAudit(ctx, tx, p, "macro.update", "macro", row.ID, macroAudit(old), macroAudit(row)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) importSeeds(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, p auth.Principal, connID int64, seeds []SeedFile, onConflict string, rep *ImportReport) error {
	for _, sf := range seeds {
		if checkIdentifier("name", sf.Name) != nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("seeds/%s.csv: a seed must be named as an identifier; not imported", sf.Name))
			continue
		}
		rows, msg := countCSV(sf.CSV)
		if msg != "" {
			return apperr.Invalidf([]apperr.FieldError{{Field: "file", File: "seeds/" + sf.Name + ".csv", Message: msg}}, "Seed %s %s.", sf.Name, msg)
		}
		types := sf.ColumnTypes
		if types == nil {
			types = map[string]string{}
		}
		rawTypes, _ := json.Marshal(types)
		old, err := q.GetSeedByName(ctx, dbgen.GetSeedByNameParams{OrgID: p.OrgID, Name: sf.Name})
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			row, err := q.CreateSeed(ctx, dbgen.CreateSeedParams{OrgID: p.OrgID, Name: sf.Name, Description: sf.Description,
				DestinationConnectionID: connID, SchemaName: sf.Schema, ColumnTypes: rawTypes, Csv: sf.CSV, RowCount: rows, CreatedBy: userID(p)})
			if err != nil {
				return err
			}
			rep.Created.Seeds++
			if err := writeAudit(ctx, tx, p, "seed.create", "seed", row.ID, nil, seedAudit(row)); err != nil {
				return err
			}
		case err != nil:
			return err
		case onConflict == OnConflictSkip:
			rep.Skipped.Seeds++
		default:
			row, err := q.UpdateSeed(ctx, dbgen.UpdateSeedParams{OrgID: p.OrgID, ID: old.ID, Description: sf.Description, SchemaName: sf.Schema,
				ColumnTypes: rawTypes, Csv: sf.CSV, RowCount: rows, FileID: nil})
			if err != nil {
				return err
			}
			rep.Updated.Seeds++
			if err := writeAudit(ctx, tx, p, "seed.update", "seed", row.ID, seedAudit(old), seedAudit(row)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) importSource(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, p auth.Principal, connID int64, sd SourceDef, onConflict string, rep *ImportReport) error {
	if checkIdentifier("name", sd.Name) != nil || sd.Schema == "" {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("source %s: its name must be an identifier and its schema set; not imported", sd.Name))
		return nil
	}
	if fields := checkTables(sd.Tables); len(fields) > 0 {
		return apperr.Invalidf(fields, "Source %s is invalid: %s %s.", sd.Name, fields[0].Field, fields[0].Message)
	}
	raw, err := json.Marshal(sd.Tables)
	if err != nil {
		return err
	}
	old, err := q.GetSourceByName(ctx, dbgen.GetSourceByNameParams{OrgID: p.OrgID, ConnectionID: connID, Name: sd.Name})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		row, err := q.CreateSource(ctx, dbgen.CreateSourceParams{OrgID: p.OrgID, Name: sd.Name, Description: sd.Description,
			SchemaName: sd.Schema, ConnectionID: connID, Tables: raw, CreatedBy: userID(p)})
		if err != nil {
			return err
		}
		rep.Created.Sources++
		return writeAudit(ctx, tx, p, "source.create", "source", row.ID, nil, sourceAudit(row))
	case err != nil:
		return err
	case onConflict == OnConflictSkip:
		rep.Skipped.Sources++
		return nil
	}
	row, err := q.UpdateSource(ctx, dbgen.UpdateSourceParams{OrgID: p.OrgID, ID: old.ID, Name: old.Name, Description: sd.Description,
		SchemaName: sd.Schema, ConnectionID: connID, Tables: raw})
	if err != nil {
		return err
	}
	rep.Updated.Sources++
	return writeAudit(ctx, tx, p, "source.update", "source", row.ID, sourceAudit(old), sourceAudit(row))
}

func (s *Service) importModel(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, p auth.Principal, connID int64, m Model, tests int, onConflict string, rep *ImportReport) error {
	count := func(c *ImportCounts) {
		if m.Materialization == "snapshot" {
			c.Snapshots++
		} else {
			c.Transformations++
		}
		c.Tests += tests
	}
	in := Fields{Name: &m.Name, Description: &m.Description, SQL: &m.SQL, Materialization: &m.Materialization,
		Schema: m.Schema, SchemaSet: true, Tags: &m.Tags, Path: &m.Path,
		Incremental: &m.Incremental, IncrementalSet: true, Snapshot: &m.Snapshot, SnapshotSet: true, Tests: &m.Tests, TestsSet: true}
	if m.Config != nil {
		in.Config = &m.Config
	} else {
		empty := map[string]any{}
		in.Config = &empty
	}
	old, err := q.GetTransformationByName(ctx, dbgen.GetTransformationByNameParams{OrgID: p.OrgID, Name: m.Name})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		row, fields := apply(dbgen.Transformation{}, in, true)
		if len(fields) > 0 {
			return importInvalid(m, fields)
		}
		created, err := q.CreateTransformation(ctx, dbgen.CreateTransformationParams{
			OrgID: p.OrgID, Name: row.Name, Description: row.Description, SqlBody: row.SqlBody, Materialization: row.Materialization,
			SchemaName: row.SchemaName, DestinationConnectionID: connID, Tags: row.Tags, IncrementalConfig: row.IncrementalConfig,
			SnapshotConfig: row.SnapshotConfig, TestsConfig: row.TestsConfig, Path: row.Path, Config: row.Config, CreatedBy: userID(p)})
		if err != nil {
			return storeError(err, row)
		}
		count(&rep.Created)
		return writeAudit(ctx, tx, p, "transformation.create", "transformation", created.ID, nil, transformationAudit(created))
	case err != nil:
		return err
	case onConflict == OnConflictSkip:
		count(&rep.Skipped)
		return nil
	}
	row, fields := apply(old, in, false)
	if len(fields) > 0 {
		return importInvalid(m, fields)
	}
	updated, err := q.UpdateTransformation(ctx, dbgen.UpdateTransformationParams{
		OrgID: p.OrgID, ID: old.ID, Name: row.Name, Description: row.Description, SqlBody: row.SqlBody,
		Materialization: row.Materialization, SchemaName: row.SchemaName, DestinationConnectionID: connID, Tags: row.Tags,
		IncrementalConfig: row.IncrementalConfig, SnapshotConfig: row.SnapshotConfig, TestsConfig: row.TestsConfig, Path: row.Path, Config: row.Config})
	if err != nil {
		return storeError(err, row)
	}
	count(&rep.Updated)
	return writeAudit(ctx, tx, p, "transformation.update", "transformation", old.ID, transformationAudit(old), transformationAudit(updated))
}

func importInvalid(m Model, fields []apperr.FieldError) error {
	for i := range fields {
		fields[i].File = FileOf(m)
	}
	return apperr.Invalidf(fields, "Model %s (%s) cannot be imported: %s %s.", m.Name, FileOf(m), fields[0].Field, fields[0].Message)
}

// Export writes the project of a destination (default: the Warehouse) as a zip dbt-core runs:
// dbt_project.yml, models, snapshots, their properties with tests, seeds, sources, macros.
func (s *Service) Export(ctx context.Context, p auth.Principal, destID *int64) ([]byte, error) {
	var files map[string][]byte
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		l, err := s.projectOf(ctx, q, p, destID)
		if err != nil {
			return err
		}
		// Pipelines' sources are the platform's, not the project's: dbt-core reads them from
		// the exported sources file all the same.
		files, err = Files(l.in)
		return err
	})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: time.Unix(0, 0).UTC()})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(files[n]); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
