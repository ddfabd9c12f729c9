package graph

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// atom is one selector term: [N]+ method:value +[N].
var atom = regexp.MustCompile(`^(@)?(?:(\d*)\+)?([^+]+?)(?:\+(\d*))?$`)

// Select returns the ids chosen by dbt selector syntax: terms separated by spaces are a union,
// terms joined by commas an intersection; exclude removes its matches. An empty selection
// means every node. Tests attached to a selected node are selected too (dbt's eager indirect
// selection), unless excluded.
func (g *Graph) Select(selectExpr, excludeExpr string) (map[string]bool, error) {
	var chosen map[string]bool
	if strings.TrimSpace(selectExpr) == "" {
		chosen = map[string]bool{}
		for id := range g.nodes {
			chosen[id] = true
		}
	} else {
		var err error
		if chosen, err = g.evaluate(selectExpr); err != nil {
			return nil, err
		}
		for id, n := range g.nodes {
			for _, t := range n.TestOf {
				if chosen[t] {
					chosen[id] = true
				}
			}
		}
	}
	if strings.TrimSpace(excludeExpr) != "" {
		excluded, err := g.evaluate(excludeExpr)
		if err != nil {
			return nil, err
		}
		for id := range excluded {
			delete(chosen, id)
		}
	}
	return chosen, nil
}

func (g *Graph) evaluate(expr string) (map[string]bool, error) {
	union := map[string]bool{}
	for _, term := range strings.Fields(expr) {
		var inter map[string]bool
		for _, part := range strings.Split(term, ",") {
			if part == "" {
				continue
			}
			got, err := g.evalAtom(part)
			if err != nil {
				return nil, err
			}
			if inter == nil {
				inter = got
				continue
			}
			for id := range inter {
				if !got[id] {
					delete(inter, id)
				}
			}
		}
		for id := range inter {
			union[id] = true
		}
	}
	return union, nil
}

func (g *Graph) evalAtom(s string) (map[string]bool, error) {
	m := atom.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("cannot read the selector %q", s)
	}
	at, upTxt, body, downTxt := m[1] == "@", m[2], m[3], m[4]
	upDepth, downDepth := 0, 0
	if strings.HasPrefix(s, upTxt+"+") || strings.HasPrefix(s, "+") {
		upDepth = depthOf(upTxt)
	}
	if strings.HasSuffix(s, "+"+downTxt) {
		downDepth = depthOf(downTxt)
	}
	method, value := "", body
	if i := strings.Index(body, ":"); i > 0 {
		method, value = body[:i], body[i+1:]
	}
	out := map[string]bool{}
	for id, n := range g.nodes {
		ok, err := matches(n, method, value)
		if err != nil {
			return nil, err
		}
		if ok {
			out[id] = true
		}
	}
	base := make([]string, 0, len(out))
	for id := range out {
		base = append(base, id)
	}
	for _, id := range base {
		if upDepth != 0 {
			g.walk(id, g.parents, upDepth, out)
		}
		if downDepth != 0 || at {
			down := map[string]bool{}
			d := downDepth
			if at {
				d = -1
			}
			g.walk(id, g.children, d, down)
			for c := range down {
				out[c] = true
				if at {
					g.walk(c, g.parents, -1, out)
				}
			}
		}
	}
	return out, nil
}

// depthOf reads the N of N+ (unbounded when absent).
func depthOf(s string) int {
	if s == "" {
		return -1
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

func matches(n *Node, method, value string) (bool, error) {
	switch {
	case method == "":
		if strings.Contains(value, "/") || strings.HasSuffix(value, ".sql") || strings.HasSuffix(value, ".csv") {
			return matchPath(n, value), nil
		}
		return matchFQN(n, value), nil
	case method == "fqn":
		return matchFQN(n, value), nil
	case method == "tag":
		for _, t := range n.Tags {
			if ok, _ := path.Match(value, t); ok {
				return true, nil
			}
		}
		return false, nil
	case method == "path" || method == "file":
		return matchPath(n, value), nil
	case method == "package":
		// The project or installed package a node belongs to: package:dbt_utils.
		pkg := ""
		if len(n.FQN) > 0 {
			pkg = n.FQN[0]
		} else if parts := strings.SplitN(n.ID, ".", 3); len(parts) == 3 {
			pkg = parts[1]
		}
		return pkg == value, nil
	case method == "resource_type":
		return n.ResourceType == value, nil
	case method == "source":
		if n.ResourceType != "source" || len(n.FQN) < 3 {
			return false, nil
		}
		src := n.FQN[len(n.FQN)-2]
		return value == src || value == src+"."+n.Name || value == "*", nil
	case method == "test_type":
		// unit (dbt 1.8's unit tests), data (every data test), generic (defined in a properties
		// file) or singular (a SQL file of its own).
		switch value {
		case "unit":
			return n.ResourceType == "unit_test", nil
		case "data":
			return n.ResourceType == "test", nil
		case "generic":
			return n.ResourceType == "test" && !strings.HasSuffix(n.Path, ".sql"), nil
		case "singular":
			return n.ResourceType == "test" && strings.HasSuffix(n.Path, ".sql"), nil
		}
		return false, fmt.Errorf("test_type:%s is not unit, data, generic or singular", value)
	case method == "test_name":
		return n.ResourceType == "test" && strings.Contains(n.Name, value), nil
	case strings.HasPrefix(method, "config."):
		key := strings.TrimPrefix(method, "config.")
		v, ok := n.Config[key]
		if !ok && key == "materialized" && n.ResourceType == "model" {
			v, ok = "view", true
		}
		if !ok {
			return false, nil
		}
		switch x := v.(type) {
		case []string:
			for _, e := range x {
				if e == value {
					return true, nil
				}
			}
			return false, nil
		case []any:
			for _, e := range x {
				if fmt.Sprint(e) == value {
					return true, nil
				}
			}
			return false, nil
		}
		return fmt.Sprint(v) == value, nil
	}
	return false, fmt.Errorf("unknown selector method %q", method)
}

// matchFQN matches a name, a glob on the name, or a dotted prefix of the fully qualified name
// (staging selects every node under models/staging).
func matchFQN(n *Node, value string) bool {
	if (n.ResourceType == "test" || n.ResourceType == "unit_test") && value != n.Name {
		return false
	}
	if ok, _ := path.Match(value, n.Name); ok {
		return true
	}
	parts := strings.Split(value, ".")
	fqn := n.FQN
	for _, f := range [][]string{fqn, fqn[min(1, len(fqn)):]} {
		if len(parts) <= len(f) {
			match := true
			for i, p := range parts {
				if ok, _ := path.Match(p, f[i]); !ok {
					match = false
					break
				}
			}
			if match {
				return true
			}
		}
	}
	return false
}

func matchPath(n *Node, value string) bool {
	value = strings.TrimSuffix(strings.TrimPrefix(value, "./"), "/")
	p := n.Path
	for _, candidate := range []string{p, strings.SplitN(p, "/", 2)[len(strings.SplitN(p, "/", 2))-1]} {
		if candidate == value || strings.HasPrefix(candidate, value+"/") {
			return true
		}
		if ok, _ := path.Match(value, candidate); ok {
			return true
		}
	}
	return false
}
