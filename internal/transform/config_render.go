package transform

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/datanika/datanika/internal/transform/project"
)

// lateRenderedConfigs are rendered when they run, with the node's context, not at parse: hooks,
// and a test's where, which becomes part of the test's own template (so ref() works in it).
var lateRenderedConfigs = map[string]bool{"pre-hook": true, "post-hook": true, "pre_hook": true, "post_hook": true, "where": true}

// renderConfigs renders the Jinja in the nodes' configs from dbt_project.yml and properties
// files (+enabled: "{{ var('x', true) }}", +schema: "{{ target.name }}"), with var(),
// env_var() and target as dbt does, then drops the nodes that turn out disabled. It returns
// the nodes whose config could not be rendered, by unique id, with why.
func (e *Engine) renderConfigs(ctx context.Context) map[string]error {
	broken := map[string]error{}
	ids := make([]string, 0, len(e.proj.Nodes))
	for id := range e.proj.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		n := e.proj.Nodes[id]
		for k, v := range n.Config {
			if lateRenderedConfigs[k] {
				continue
			}
			out, err := e.renderConfigValue(ctx, n, v)
			if err != nil {
				broken[id] = fmt.Errorf("%s: config %s of %s: %w", n.Path, k, n.Name, err)
				continue
			}
			n.Config[k] = out
		}
	}
	e.proj.PruneDisabled()
	return broken
}

func (e *Engine) renderConfigValue(ctx context.Context, n *project.Node, v any) (any, error) {
	switch x := v.(type) {
	case string:
		if !project.HasJinja(x) {
			return x, nil
		}
		tpl, err := e.env.Parse(n.Path, x)
		if err != nil {
			return nil, err
		}
		globals := e.baseGlobals(nil, false)
		if n.Package != "" && n.Package != e.proj.Name {
			globals["var"] = e.varFunc(e.proj.VarsFor(n.Package))
		}
		out, err := e.env.Render(ctx, tpl, globals)
		if err != nil {
			return nil, err
		}
		return nativeValue(out), nil
	case []any:
		out := make([]any, len(x))
		for i, el := range x {
			r, err := e.renderConfigValue(ctx, n, el)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, el := range x {
			r, err := e.renderConfigValue(ctx, n, el)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}

// nativeValue reads rendered text as dbt's native rendering does for the simple literals
// configs hold: booleans, none and integers; anything else stays text.
func nativeValue(s string) any {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "true":
		return true
	case "false":
		return false
	case "none", "null":
		return nil
	}
	if i, err := strconv.Atoi(t); err == nil {
		return i
	}
	return t
}
