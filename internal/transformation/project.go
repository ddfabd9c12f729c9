package transformation

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ProjectName is the name of the dbt project an org's models form: unique ids read
// model.datanika.<name>, and export writes it as dbt_project.yml's name.
const ProjectName = "datanika"

// Model is one transformation as the project needs it.
type Model struct {
	Name            string
	Description     string
	Path            string
	SQL             string
	Materialization string
	Schema          *string
	Tags            []string
	Incremental     map[string]any
	Snapshot        map[string]any
	Tests           map[string]any
	Config          map[string]any
}

// MacroFile is one org macro file.
type MacroFile struct {
	Name string
	SQL  string
}

// SeedFile is one seed: its CSV and config.
type SeedFile struct {
	Name        string
	Description string
	CSV         []byte
	Schema      *string
	ColumnTypes map[string]string
}

// SourceDef is one source: a schema and its tables ([]SourceTable as stored).
type SourceDef struct {
	Name        string
	Description string
	Schema      string
	Tables      []SourceTable
}

// SourceTable is one table of a source.
type SourceTable struct {
	Name          string         `json:"name" yaml:"name"`
	Identifier    string         `json:"identifier,omitempty" yaml:"identifier,omitempty"`
	Description   string         `json:"description,omitempty" yaml:"description,omitempty"`
	LoadedAtField string         `json:"loaded_at_field,omitempty" yaml:"loaded_at_field,omitempty"`
	Freshness     map[string]any `json:"freshness,omitempty" yaml:"freshness,omitempty"`
	Columns       []SourceColumn `json:"columns,omitempty" yaml:"columns,omitempty"`
}

// SourceColumn is a documented column of a source table, with its tests.
type SourceColumn struct {
	Name        string `json:"name" yaml:"name"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	Tests       []any  `json:"tests,omitempty" yaml:"data_tests,omitempty"`
}

// Input is everything the project of one destination connection is made of.
type Input struct {
	// Vars are dbt_project.yml's vars.
	Vars    map[string]any
	Models  []Model
	Macros  []MacroFile
	Seeds   []SeedFile
	Sources []SourceDef
}

// Files of the generated project that hold the properties the database keeps in columns.
const (
	modelPropsFile  = "models/_datanika_models.yml"
	sourcePropsFile = "models/_datanika_sources.yml"
	seedPropsFile   = "seeds/_datanika_seeds.yml"
)

// FileOf is where a model lives in the project: models/<path>, or snapshots/<path> for a
// snapshot (whose file wraps the SQL in a snapshot block one line above it).
func FileOf(m Model) string {
	if m.Materialization == "snapshot" {
		return "snapshots/" + m.Path
	}
	return "models/" + m.Path
}

// lineOffset is how many lines FileOf's file holds above the model's own SQL.
func lineOffset(m Model) int {
	if m.Materialization == "snapshot" {
		return 1
	}
	return 0
}

// modelConfig is the dbt config of a model, from its columns and its free-form config.
func modelConfig(m Model) map[string]any {
	cfg := map[string]any{}
	for k, v := range m.Config {
		cfg[k] = v
	}
	cfg["materialized"] = m.Materialization
	if m.Schema != nil && *m.Schema != "" {
		cfg["schema"] = *m.Schema
	}
	if len(m.Tags) > 0 {
		cfg["tags"] = m.Tags
	}
	for _, extra := range []map[string]any{m.Incremental, m.Snapshot} {
		for k, v := range extra {
			switch k {
			case "strategy":
				if m.Materialization == "incremental" {
					cfg["incremental_strategy"] = v
				} else {
					cfg["strategy"] = v
				}
			default:
				cfg[k] = v
			}
		}
	}
	return cfg
}

// testsOf turns tests_config ({"columns": {"id": ["not_null", …]}, "tests": [...]}) into
// properties columns and model-level tests.
func testsOf(tests map[string]any) (columns []map[string]any, modelTests []any) {
	if cols, ok := tests["columns"].(map[string]any); ok {
		names := make([]string, 0, len(cols))
		for n := range cols {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			entry := map[string]any{"name": n}
			if list, ok := cols[n].([]any); ok && len(list) > 0 {
				entry["data_tests"] = list
			}
			columns = append(columns, entry)
		}
	}
	if list, ok := tests["tests"].([]any); ok {
		modelTests = list
	}
	return columns, modelTests
}

// Files writes the project: dbt_project.yml, models (and snapshots), their properties, seeds,
// sources and macros, as dbt-core reads them, the properties files in YAML's block style (for
// people: export).
func Files(in Input) (map[string][]byte, error) { return files(in, yaml.Marshal) }

// parseFiles is Files with the properties files in JSON, which is YAML too and an order of
// magnitude faster to write: what the engine parses for every request.
func parseFiles(in Input) (map[string][]byte, error) {
	return files(in, func(v any) ([]byte, error) {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return append(b, '\n'), nil
	})
}

func files(in Input, marshal func(any) ([]byte, error)) (map[string][]byte, error) {
	files := map[string][]byte{}
	settings := "name: " + ProjectName + "\nversion: \"1.0.0\"\nconfig-version: 2\nprofile: " + ProjectName + "\n"
	if len(in.Vars) > 0 {
		b, err := yaml.Marshal(map[string]any{"vars": in.Vars})
		if err != nil {
			return nil, fmt.Errorf("write dbt_project.yml vars: %w", err)
		}
		settings += string(b)
	}
	files["dbt_project.yml"] = []byte(settings)
	var models, snapshots []map[string]any
	for _, m := range in.Models {
		file := FileOf(m)
		body := m.SQL
		cfg := modelConfig(m)
		if m.Materialization == "snapshot" {
			delete(cfg, "materialized")
			body = "{% snapshot " + m.Name + " %}\n" + m.SQL + "\n{% endsnapshot %}\n"
		}
		files[file] = []byte(body)
		entry := map[string]any{"name": m.Name}
		if m.Description != "" {
			entry["description"] = m.Description
		}
		if len(cfg) > 0 {
			entry["config"] = cfg
		}
		cols, tests := testsOf(m.Tests)
		if len(cols) > 0 {
			entry["columns"] = cols
		}
		if len(tests) > 0 {
			entry["data_tests"] = tests
		}
		if m.Materialization == "snapshot" {
			snapshots = append(snapshots, entry)
		} else {
			models = append(models, entry)
		}
	}
	if len(models) > 0 || len(snapshots) > 0 {
		props := map[string]any{"version": 2}
		if len(models) > 0 {
			props["models"] = models
		}
		if len(snapshots) > 0 {
			props["snapshots"] = snapshots
		}
		if err := putYAML(files, modelPropsFile, props, marshal); err != nil {
			return nil, err
		}
	}
	var seeds []map[string]any
	for _, s := range in.Seeds {
		files["seeds/"+s.Name+".csv"] = s.CSV
		cfg := map[string]any{}
		if s.Schema != nil && *s.Schema != "" {
			cfg["schema"] = *s.Schema
		}
		if len(s.ColumnTypes) > 0 {
			cfg["column_types"] = s.ColumnTypes
		}
		entry := map[string]any{"name": s.Name}
		if s.Description != "" {
			entry["description"] = s.Description
		}
		if len(cfg) > 0 {
			entry["config"] = cfg
		}
		if len(entry) > 1 {
			seeds = append(seeds, entry)
		}
	}
	if len(seeds) > 0 {
		if err := putYAML(files, seedPropsFile, map[string]any{"version": 2, "seeds": seeds}, marshal); err != nil {
			return nil, err
		}
	}
	var sources []map[string]any
	for _, s := range in.Sources {
		entry := map[string]any{"name": s.Name, "schema": s.Schema, "tables": s.Tables}
		if s.Description != "" {
			entry["description"] = s.Description
		}
		if s.Tables == nil {
			entry["tables"] = []SourceTable{}
		}
		sources = append(sources, entry)
	}
	if len(sources) > 0 {
		if err := putYAML(files, sourcePropsFile, map[string]any{"version": 2, "sources": sources}, marshal); err != nil {
			return nil, err
		}
	}
	for _, m := range in.Macros {
		files["macros/"+m.Name+".sql"] = []byte(m.SQL)
	}
	// dbt-core needs dbt_utils declared to run what this engine serves from its library.
	for _, b := range files {
		if strings.Contains(string(b), "dbt_utils.") {
			files["packages.yml"] = []byte("packages:\n  - package: dbt-labs/dbt_utils\n    version: [\">=1.0.0\", \"<2.0.0\"]\n")
			break
		}
	}
	return files, nil
}

func putYAML(files map[string][]byte, name string, v any, marshal func(any) ([]byte, error)) error {
	b, err := marshal(v)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	files[name] = b
	return nil
}

// checkPath accepts a relative .sql path of plain segments.
func checkPath(p string) string {
	switch {
	case p == "" || len(p) > 512:
		return "must be 1 to 512 characters"
	case !strings.HasSuffix(p, ".sql"):
		return "must end in .sql"
	case strings.HasPrefix(p, "/") || strings.Contains(p, "\\"):
		return "must be a relative path with / between folders"
	case path.Clean(p) != p:
		return "must be a clean path (no ., .. or empty folders)"
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." || strings.HasPrefix(seg, ".") {
			return "must not hold .. or hidden folders"
		}
	}
	return ""
}
