package transform

import (
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"

	"github.com/datanika/datanika/internal/transform/project"
)

// graph is dbt's graph context variable: the project's nodes, sources and macros as plain
// dicts, so packages can loop over them ({% for n in graph.nodes.values() | selectattr(
// 'resource_type', 'equalto', 'model') %}). As in dbt, it is filled only when executing;
// while parsing (execute is false) its dicts are empty.

// lazyGraph is graph when executing: the dicts are built on the first template that reads
// them, so a project that never does (most) pays nothing.
type lazyGraph struct{ e *Engine }

func (g lazyGraph) GetAttribute(name string) (*exec.Value, bool) {
	v, ok := g.e.graphContext()[name]
	return exec.AsValue(v), ok
}

func (g lazyGraph) GetItem(key any) (*exec.Value, bool) {
	name, _ := key.(string)
	return g.GetAttribute(name)
}

// parseGraph is the graph while parsing: empty, shared by every render.
var parseGraph = emptyGraph()

func emptyGraph() map[string]any {
	return map[string]any{"nodes": map[string]any{}, "sources": map[string]any{}, "macros": map[string]any{},
		"exposures": map[string]any{}, "metrics": map[string]any{}, "groups": map[string]any{},
		"semantic_models": map[string]any{}, "saved_queries": map[string]any{}}
}

// graphContext builds the graph once, after parsing, when every node's config is final.
func (e *Engine) graphContext() map[string]any {
	e.graphOnce.Do(func() {
		g := emptyGraph()
		nodes, sources, macros := g["nodes"].(map[string]any), g["sources"].(map[string]any), g["macros"].(map[string]any)
		for id, n := range e.nodes {
			switch n.ResourceType {
			case project.Source:
				sources[id] = e.graphSource(n)
			case project.UnitTest:
				// dbt keeps unit tests out of graph.nodes.
			default:
				nodes[id] = e.graphNode(n)
			}
		}
		for _, m := range e.env.Macros() {
			pkg := m.Namespace
			if pkg == "" {
				pkg = e.proj.Name
				if strings.HasPrefix(m.Path, "builtin/") {
					pkg = "dbt"
				}
			}
			id := "macro." + pkg + "." + m.Name
			macros[id] = map[string]any{"unique_id": id, "name": m.Name, "resource_type": "macro",
				"package_name": pkg, "original_file_path": m.Path, "path": m.Path}
		}
		e.graphCtx = g
	})
	return e.graphCtx
}

func (e *Engine) graphNode(n *node) map[string]any {
	deps := make([]any, 0, len(n.refs)+len(n.sources))
	for _, id := range append(append([]string{}, n.refs...), n.sources...) {
		deps = append(deps, id)
	}
	cfg := map[string]any{"enabled": true, "tags": anyList(n.config.Strings("tags"))}
	for k, v := range n.config {
		if k != "tags" {
			cfg[k] = v
		}
	}
	if n.ResourceType == project.Model {
		cfg["materialized"] = n.config.Materialized()
	}
	out := map[string]any{
		"unique_id": n.UniqueID, "resource_type": n.ResourceType, "name": n.Name,
		"package_name": e.proj.Name, "original_file_path": n.Path, "path": relPath(n.Path),
		"fqn": anyList(n.FQN), "tags": anyList(n.config.Strings("tags")), "config": cfg,
		"schema": n.schema, "database": "", "alias": n.alias(), "description": n.Description,
		"meta":       metaOf(n.config),
		"depends_on": map[string]any{"nodes": deps, "macros": []any{}},
		"columns":    graphColumns(n.Columns),
		"raw_code":   n.Raw, "raw_sql": n.Raw,
		"refs": []any{}, "sources": []any{},
		"relation_name": nil,
	}
	for _, call := range n.refCalls {
		out["refs"] = append(out["refs"].([]any), graphRef(call))
	}
	for _, id := range n.sources {
		if s := e.nodes[id].Source; s != nil {
			out["sources"] = append(out["sources"].([]any), []any{s.SourceName, e.nodes[id].Name})
		}
	}
	ephemeral := n.ResourceType == project.Model && n.config.Materialized() == "ephemeral"
	if n.ResourceType != project.Test && !ephemeral {
		out["relation_name"] = n.relation(e.d).String()
	}
	if t := n.Test; t != nil {
		short, ns := t.Name, any(nil)
		if i := strings.LastIndex(t.Name, "."); i >= 0 {
			short, ns = t.Name[i+1:], t.Name[:i]
		}
		kwargs := map[string]any{"model": "{{ get_where_subquery(" + t.Attached + ") }}"}
		for k, v := range t.Kwargs {
			kwargs[k] = v
		}
		if t.Column != "" {
			kwargs["column_name"] = t.Column
			out["column_name"] = t.Column
		}
		out["test_metadata"] = map[string]any{"name": short, "namespace": ns, "kwargs": kwargs}
		// dbt's path of a generic test is its compiled file: the short name, .sql.
		out["path"] = t.CompiledName + ".sql"
		out["attached_node"] = t.AttachedID
	}
	return out
}

func (e *Engine) graphSource(n *node) map[string]any {
	s := n.Source
	return map[string]any{
		"unique_id": n.UniqueID, "resource_type": project.Source, "name": n.Name, "source_name": s.SourceName,
		"package_name": e.proj.Name, "original_file_path": n.Path, "path": n.Path, "fqn": anyList(n.FQN),
		"schema": s.Schema, "database": s.Database, "identifier": s.Identifier, "loaded_at_field": s.LoadedAtField,
		"description": n.Description, "columns": graphColumns(n.Columns), "tags": anyList(n.config.Strings("tags")),
		"meta": metaOf(n.config), "config": map[string]any{"enabled": true}, "loader": "",
		"relation_name": n.relation(e.d).String(),
	}
}

// graphRef is a ref() call as dbt's manifest lists it: name, package and version as the call
// gave them, nil where it did not (an unpinned ref to a versioned model has no version).
func graphRef(call [2]string) map[string]any {
	name, version, pinned := strings.Cut(call[1], project.VersionSep)
	out := map[string]any{"name": name, "package": nil, "version": nil}
	if call[0] != "" {
		out["package"] = call[0]
	}
	if pinned {
		out["version"] = version
	}
	return out
}

func graphColumns(cols []project.Column) map[string]any {
	out := map[string]any{}
	for _, c := range cols {
		out[c.Name] = map[string]any{"name": c.Name, "description": c.Description, "data_type": nil,
			"meta": map[string]any{}, "tags": []any{}, "quote": nil}
	}
	return out
}

func metaOf(c project.Config) map[string]any {
	if m, ok := c["meta"].(map[string]any); ok {
		return m
	}
	return map[string]any{}
}

func anyList(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// relPath is a node's path below its resource folder (models/staging/a.sql → staging/a.sql).
func relPath(p string) string {
	if _, rest, ok := strings.Cut(p, "/"); ok {
		return rest
	}
	return p
}
