package transformation

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/transform"
	"github.com/datanika/datanika/internal/transform/project"
)

// LoadProject reads the project of destination destID as stored: what a run builds.
func (s *Service) LoadProject(ctx context.Context, p auth.Principal, destID int64) (Input, string, dbgen.Connection, error) {
	var l *loaded
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		conn, err := q.GetConnection(ctx, dbgen.GetConnectionParams{OrgID: p.OrgID, ID: destID})
		if err != nil {
			return err
		}
		l, err = s.load(ctx, q, p, conn)
		return err
	})
	if err != nil {
		return Input{}, "", dbgen.Connection{}, err
	}
	return l.in, l.schema, l.conn, nil
}

// dbt's artifact schema versions this platform writes.
const (
	runResultsSchema = "https://schemas.getdbt.com/dbt/run-results/v6.json"
	manifestSchema   = "https://schemas.getdbt.com/dbt/manifest/v12.json"
)

// dbtStatus is a node's status as run_results.json spells it.
func dbtStatus(status string) string {
	return status // success, error, skipped, pass, fail, warn: dbt's own words
}

// RunResults is dbt's run_results.json of a run: one result per node, with timing and rows.
func RunResults(s *transform.Summary, invocationID, command string, generated time.Time) ([]byte, error) {
	results := make([]map[string]any, 0, len(s.Nodes))
	for _, r := range s.Nodes {
		var failures any
		if r.ResourceType == project.Test {
			failures = r.Failures
		}
		results = append(results, map[string]any{
			"unique_id": r.UniqueID, "status": dbtStatus(r.Status), "execution_time": r.Seconds, "message": r.Message,
			"failures": failures, "thread_id": "Thread-1", "timing": []any{},
			"adapter_response": map[string]any{"rows_affected": r.RowsAffected}, "compiled": r.CompiledSQL != "",
			"compiled_code": r.CompiledSQL, "relation_name": nil,
		})
	}
	return json.MarshalIndent(map[string]any{
		"metadata": map[string]any{"dbt_schema_version": runResultsSchema, "dbt_version": "1.8.0",
			"generated_at": generated.UTC().Format(time.RFC3339Nano), "invocation_id": invocationID, "env": map[string]any{}},
		"results": results, "elapsed_time": s.Seconds, "args": map[string]any{"which": command},
	}, "", "  ")
}

// Manifest is dbt's manifest.json of a parsed project: its nodes, sources, parent and child maps.
func Manifest(p *Parsed, invocationID string, generated time.Time) ([]byte, error) {
	e := p.Engine
	nodes, sources := map[string]any{}, map[string]any{}
	parentMap, childMap := map[string][]string{}, map[string][]string{}
	for id, n := range e.Project().Nodes {
		parents := p.DependsOn(id)
		children := append([]string{}, e.Graph().Children(id)...)
		parentMap[id], childMap[id] = parents, children
		if parentMap[id] == nil {
			parentMap[id] = []string{}
		}
		if childMap[id] == nil {
			childMap[id] = []string{}
		}
		schema, alias, _, _ := e.RelationOf(id)
		entry := map[string]any{
			"unique_id": id, "name": n.Name, "resource_type": n.ResourceType, "package_name": n.Package,
			"path": n.Path, "original_file_path": n.Path, "fqn": n.FQN, "raw_code": n.Raw, "description": n.Description,
			"config": n.Config, "schema": schema, "alias": alias, "database": nil, "tags": n.Config.Strings("tags"),
			"depends_on": map[string]any{"nodes": parents, "macros": []string{}},
		}
		if n.Source != nil {
			entry["schema"], entry["identifier"], entry["source_name"] = n.Source.Schema, n.Source.Identifier, n.Source.SourceName
			entry["loaded_at_field"] = n.Source.LoadedAtField
			sources[id] = entry
			continue
		}
		nodes[id] = entry
	}
	return json.MarshalIndent(map[string]any{
		"metadata": map[string]any{"dbt_schema_version": manifestSchema, "dbt_version": "1.8.0",
			"generated_at": generated.UTC().Format(time.RFC3339Nano), "invocation_id": invocationID, "adapter_type": p.Adapter},
		"nodes": nodes, "sources": sources, "macros": map[string]any{}, "docs": map[string]any{}, "exposures": map[string]any{},
		"metrics": map[string]any{}, "groups": map[string]any{}, "selectors": map[string]any{}, "disabled": map[string]any{},
		"parent_map": parentMap, "child_map": childMap, "group_map": map[string]any{}, "semantic_models": map[string]any{},
		"unit_tests": map[string]any{}, "saved_queries": map[string]any{},
	}, "", "  ")
}
