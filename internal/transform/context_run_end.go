package transform

import (
	"sort"

	"github.com/datanika/datanika/internal/transform/project"
)

// onRunEndContext is what dbt gives on-run-end hooks beyond the usual context: results, one
// per node of the run (node, status, message, execution_time, adapter_response, failures),
// schemas (every schema the run's models, seeds and snapshots live in) and database_schemas
// (the same as [database, schema] pairs; the database is the target's, "" when unnamed).
func (e *Engine) onRunEndContext(ids []string, results []Result) map[string]any {
	out := []any{}
	for _, r := range results {
		n, ok := e.nodes[r.UniqueID]
		if !ok {
			// on-run-start's operations are not nodes of the run.
			continue
		}
		out = append(out, map[string]any{
			"node": e.graphNode(n), "unique_id": r.UniqueID, "status": r.Status, "message": r.Message,
			"execution_time": r.Seconds, "failures": r.Failures, "thread_id": "Thread-1", "timing": []any{},
			"adapter_response": map[string]any{"rows_affected": r.RowsAffected, "_message": r.Message},
		})
	}
	seen := map[string]bool{}
	var schemas []string
	for _, id := range ids {
		n := e.nodes[id]
		switch n.ResourceType {
		case project.Model, project.Seed, project.Snapshot:
		default:
			continue
		}
		if n.schema != "" && !seen[n.schema] {
			seen[n.schema] = true
			schemas = append(schemas, n.schema)
		}
	}
	sort.Strings(schemas)
	list := make([]any, len(schemas))
	pairs := make([]any, len(schemas))
	for i, s := range schemas {
		list[i] = s
		pairs[i] = []any{"", s}
	}
	return map[string]any{"results": out, "schemas": list, "database_schemas": pairs}
}
