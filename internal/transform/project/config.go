package project

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Config is a node's configuration: dbt's keys (materialized, schema, tags, unique_key…) with
// the values YAML or config() gave them. A map keeps unknown keys, which dbt projects use freely.
type Config map[string]any

// Merge applies over on top of c, as dbt does when a more specific level sets a key: the later
// value wins, except tags and hooks, which accumulate. Hooks are kept under pre-hook and
// post-hook however they were spelled (config() and properties files say pre_hook).
func (c Config) Merge(over map[string]any) Config {
	out := maps.Clone(c)
	if out == nil {
		out = Config{}
	}
	for k, v := range over {
		k = strings.TrimPrefix(k, "+")
		switch k {
		case "pre_hook", "post_hook":
			k = strings.ReplaceAll(k, "_", "-")
		}
		if k == "pre-hook" || k == "post-hook" {
			out[k] = append(out.Strings(k), toStrings(v)...)
			continue
		}
		if k == "tags" {
			tags := out.Strings("tags")
			for _, t := range toStrings(v) {
				if !slices.Contains(tags, t) {
					tags = append(tags, t)
				}
			}
			out["tags"] = tags
			continue
		}
		out[k] = v
	}
	return out
}

// String is the value of key as a string, "" when absent.
func (c Config) String(key string) string {
	v, ok := c[key]
	if !ok || v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// Strings is the value of key as a list: a string is a list of one.
func (c Config) Strings(key string) []string { return toStrings(c[key]) }

// Bool is the value of key as a boolean, def when absent.
func (c Config) Bool(key string, def bool) bool {
	switch v := c[key].(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return def
}

// Materialized is the materialization, view when unset (dbt's default for models).
func (c Config) Materialized() string {
	if m := c.String("materialized"); m != "" {
		return m
	}
	return "view"
}

// Enabled reports whether the node takes part in the project.
func (c Config) Enabled() bool { return c.Bool("enabled", true) }

func toStrings(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if x == "" {
			return nil
		}
		return []string{x}
	case []string:
		return slices.Clone(x)
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, toStrings(e)...)
		}
		return out
	case map[string]any:
		// A hook in map form: {sql: "…", transaction: false}. Hooks here run on the node's
		// connection outside any transaction, so transaction: changes nothing.
		if sql, ok := x["sql"]; ok {
			return toStrings(sql)
		}
	}
	return []string{fmt.Sprint(v)}
}
