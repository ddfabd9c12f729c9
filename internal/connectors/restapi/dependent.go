package restapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/datanika/datanika/internal/apperr"
)

// Nested settings of a resource: how the load engine writes nested objects and arrays.
const (
	// NestedJSON keeps objects and arrays as JSON columns (the default).
	NestedJSON = "json"
	// NestedTables flattens objects into <field>__<key> columns and makes each array a child
	// table <table>__<field>, linked to its parent row by _dnk_parent_id (dlt's convention).
	NestedTables = "tables"
)

// placeholderRE finds {…} in a dependent resource's path or parameters; dlt's rest_api spells a
// parent's field {resources.<parent>.<field>}.
var placeholderRE = regexp.MustCompile(`\{([^{}]*)\}`)

// parentRef is one {resources.<parent>.<field>} placeholder.
type parentRef struct {
	parent, field string
}

// refsOf lists the placeholders of a text; a placeholder of another form is an error.
func refsOf(text string) ([]parentRef, error) {
	var out []parentRef
	for _, m := range placeholderRE.FindAllStringSubmatch(text, -1) {
		parts := strings.SplitN(m[1], ".", 3)
		if len(parts) != 3 || parts[0] != "resources" || parts[1] == "" || parts[2] == "" {
			return nil, fmt.Errorf("placeholder %s: write {resources.<parent resource>.<field>}", m[0])
		}
		out = append(out, parentRef{parent: parts[1], field: parts[2]})
	}
	return out, nil
}

// paramText is a parameter's text when it is a string (the only kind a placeholder can be in).
func paramText(raw json.RawMessage) (string, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// parentOf returns the parent resource a resource depends on ("" for none), checking that all
// its placeholders name the same parent.
func parentOf(r *Resource) (string, error) {
	texts := []string{r.Path}
	for _, raw := range r.Params {
		if s, ok := paramText(raw); ok {
			texts = append(texts, s)
		}
	}
	parent := ""
	for _, t := range texts {
		refs, err := refsOf(t)
		if err != nil {
			return "", err
		}
		for _, ref := range refs {
			if parent != "" && ref.parent != parent {
				return "", fmt.Errorf("depends on both %s and %s: a resource has at most one parent", parent, ref.parent)
			}
			parent = ref.parent
		}
	}
	return parent, nil
}

// Parent returns the resource that resource depends on, "" when it reads on its own.
func (c *Connector) Parent(resource string) string {
	for i := range c.cfg.Resources {
		if c.cfg.Resources[i].Name == resource {
			p, _ := parentOf(&c.cfg.Resources[i])
			return p
		}
	}
	return ""
}

// Resources returns the configured resources, parents before the resources that depend on them.
func (c *Connector) Resources() []Resource { return append([]Resource(nil), c.cfg.Resources...) }

// checkResources refuses what the schema cannot say about the resources: a placeholder of
// another form, a parent that is not an earlier resource, incremental reading of a dependent
// resource, and a bad per-resource paginator. It fills each resource's paginator.
func checkResources(cfg *Config) error {
	invalid := func(i int, field, msg string) error {
		return apperr.Invalidf([]apperr.FieldError{{Field: fmt.Sprintf("config.resources[%d].%s", i, field), Message: msg}},
			"The connection config is invalid.")
	}
	earlier := map[string]bool{}
	for i := range cfg.Resources {
		r := &cfg.Resources[i]
		if strings.Contains(r.Name, "__") {
			return invalid(i, "name", "must not contain __, which names child tables (<resource>__<field>)")
		}
		parent, err := parentOf(r)
		if err != nil {
			return invalid(i, "path", err.Error())
		}
		if parent != "" {
			if !earlier[parent] {
				return invalid(i, "path", fmt.Sprintf("depends on %q, which is not a resource listed before it", parent))
			}
			if r.Incremental != nil {
				return invalid(i, "incremental", "is not supported on a dependent resource (its parent's incremental cursor selects what it reads)")
			}
		} else if len(r.IncludeFromParent) > 0 {
			return invalid(i, "include_from_parent", "needs a dependent resource (a path with {resources.<parent>.<field>})")
		}
		earlier[r.Name] = true
		pg := cfg.Paginator
		if len(r.Paginator) > 0 && string(r.Paginator) != "null" {
			pg = defaults().Paginator
			if err := json.Unmarshal(r.Paginator, &pg); err != nil {
				return invalid(i, "paginator", "is not a paginator")
			}
			if pg.Type == PageCursor && pg.CursorPath == "" {
				return invalid(i, "paginator.cursor_path", "is required when type is cursor")
			}
		}
		r.pager = pg
	}
	return nil
}

// resolve is a dependent resource with its placeholders replaced by the fields of one parent
// record: escaped as a path segment in the path, as they are in parameters.
func resolve(r *Resource, parent map[string]any) (*Resource, error) {
	if parent == nil {
		return r, nil
	}
	var failed error
	sub := func(escape func(string) string) func(string) string {
		return func(m string) string {
			refs, err := refsOf(m)
			if err != nil || len(refs) != 1 {
				failed = fmt.Errorf("resource %s: bad placeholder %s", r.Name, m)
				return m
			}
			v, ok := lookup(parent, refs[0].field)
			text, isScalar := scalarText(v)
			if !ok || !isScalar {
				failed = fmt.Errorf("resource %s: the %s record has no value at %q for %s", r.Name, refs[0].parent, refs[0].field, m)
				return m
			}
			return escape(text)
		}
	}
	out := *r
	out.Path = placeholderRE.ReplaceAllStringFunc(r.Path, sub(url.PathEscape))
	if len(r.Params) > 0 {
		out.Params = make(map[string]json.RawMessage, len(r.Params))
		for k, raw := range r.Params {
			if s, ok := paramText(raw); ok && strings.Contains(s, "{") {
				b, _ := json.Marshal(placeholderRE.ReplaceAllStringFunc(s, sub(func(s string) string { return s })))
				raw = b
			}
			out.Params[k] = raw
		}
	}
	return &out, failed
}

// ReadChild starts reading a dependent resource for one record of its parent (as Read gave it).
func (c *Connector) ReadChild(ctx context.Context, resource string, parent map[string]any, state State) (*Records, error) {
	return c.read(ctx, resource, parent, state)
}

// CursorOf returns the text of a record's incremental cursor; ok is false when the resource is
// not incremental or the record has no scalar there.
func (r *Resource) CursorOf(rec map[string]any) (string, bool) {
	if r.Incremental == nil {
		return "", false
	}
	v, ok := lookup(rec, r.Incremental.CursorPath)
	if !ok {
		return "", false
	}
	return scalarText(v)
}

// InitialCursor is the text of the resource's incremental initial_value; ok is false without one.
func (r *Resource) InitialCursor() (string, bool) {
	if r.Incremental == nil {
		return "", false
	}
	return scalarText(rawValue(r.Incremental.InitialValue))
}

// CompareCursor orders two cursor values as the connector does: as numbers when both are
// numbers, as instants when both are RFC 3339 timestamps, else as text.
func CompareCursor(a, b string) int { return compareCursor(a, b) }

// Lookup follows a dot path through a decoded record.
func Lookup(doc any, path string) (any, bool) { return lookup(doc, path) }
