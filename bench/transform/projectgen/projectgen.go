// Package projectgen writes a synthetic dbt project for benchmarks, shaped like a real one: a
// wide DAG (each model refers to the model at half its index, and every seventh to a third one
// too, so there are long chains and fan-outs), sources read by every tenth model, project
// macros (one dispatched, one reading a var), config() calls and folder configs, and a
// schema.yml with descriptions and generic tests (not_null, accepted_values, unique,
// relationships) on models and sources.
package projectgen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Counts are the nodes a generated project holds.
type Counts struct {
	Models, Sources, Tests int
}

// Count is what Generate(dir, n) writes.
func Count(n int) Counts {
	c := Counts{Models: n, Sources: sourceTables(n)}
	for i := range n {
		if i%5 == 0 {
			c.Tests += 2 // not_null(id), accepted_values(name)
		}
		if i%10 == 0 {
			c.Tests++ // unique(id)
			if i > 0 {
				c.Tests++ // relationships(id) to its parent
			}
		}
	}
	c.Tests += c.Sources // not_null on every source table's id
	return c
}

// sourceTables is how many tables the raw source declares: one per ten models.
func sourceTables(n int) int { return (n + 9) / 10 }

const projectYML = `name: bench
version: '1.0.0'
config-version: 2
profile: bench
vars:
  start_date: '2020-01-01'
  score_scale: 2
models:
  bench:
    +materialized: view
    layer_00:
      +materialized: table
      +tags: ['base']
    layer_01:
      +schema: marts
`

var macros = map[string]string{
	"macros/add.sql": "{% macro add(column, amount=1) -%}({{ column }} + {{ amount }}){%- endmacro %}\n",
	"macros/money.sql": `{% macro cents_to_dollars(column, scale=var('score_scale')) -%}
    round({{ column }} / 100.0, {{ scale }})
{%- endmacro %}

{% macro since(column) -%}
    {{ column }} >= '{{ var("start_date") }}'
{%- endmacro %}
`,
	"macros/safe_divide.sql": `{% macro safe_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('safe_divide')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__safe_divide(numerator, denominator) -%}
    case when {{ denominator }} = 0 then null else {{ numerator }} / {{ denominator }} end
{%- endmacro %}
`,
}

// Generate writes a project of n models into dir.
func Generate(dir string, n int) error {
	files := map[string]string{"dbt_project.yml": projectYML}
	for k, v := range macros {
		files[k] = v
	}
	var props strings.Builder
	props.WriteString("version: 2\n\nsources:\n  - name: raw\n    schema: raw_data\n    tables:\n")
	for t := range sourceTables(n) {
		fmt.Fprintf(&props, "      - name: t%04d\n        description: raw table %d\n        columns:\n          - name: id\n            tests: [not_null]\n", t, t)
	}
	props.WriteString("\nmodels:\n")
	for i := range n {
		files[filepath.Join(fmt.Sprintf("models/layer_%02d", i/100), fmt.Sprintf("m%04d.sql", i))] = model(i)
		if i%5 != 0 {
			continue
		}
		fmt.Fprintf(&props, "  - name: m%04d\n    description: model %d of the benchmark\n    config:\n      tags: ['documented']\n    columns:\n      - name: id\n        description: the key\n        tests:\n          - not_null\n", i, i)
		if i%10 == 0 {
			props.WriteString("          - unique\n")
			if i > 0 {
				fmt.Fprintf(&props, "          - relationships:\n              to: ref('m%04d')\n              field: id\n", (i-1)/2)
			}
		}
		props.WriteString("      - name: name\n        tests:\n          - accepted_values:\n              values: ['a', 'b']\n")
	}
	files["models/schema.yml"] = props.String()
	for name, text := range files {
		full := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(text), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// model is the SQL of model i.
func model(i int) string {
	if i == 0 {
		return "{{ config(materialized='table') }}\nselect 1 as id, 'a' as name, 0 as score, 100 as cents\n"
	}
	var b strings.Builder
	cfg := fmt.Sprintf("tags=['%s']", []string{"even", "odd"}[i%2])
	if i%13 == 0 {
		cfg += ", materialized='table'"
	}
	fmt.Fprintf(&b, "{{ config(%s) }}\n", cfg)
	b.WriteString("{% set bumps = [1, 2, 3] %}\n\nwith parent as (\n    select * from {{ ref('" + name((i-1)/2) + "') }}\n)\n\n")
	b.WriteString("select\n    id,\n    name,\n    {% for b in bumps -%}\n    {{ add('score', b) }} as score_{{ b }},\n    {% endfor -%}\n")
	b.WriteString("    {{ cents_to_dollars('cents') }} as dollars,\n    {{ safe_divide('score', 'cents') }} as ratio,\n    {{ add('score') }} as score,\n    cents\nfrom parent\n")
	if i%10 == 0 {
		fmt.Fprintf(&b, "where {{ since(\"'2024-01-01'\") }}\nunion all\nselect id, name, {%% for b in bumps %%}score as score_{{ b }}, {%% endfor %%}0 as dollars, 0 as ratio, score, cents from {{ source('raw', 't%04d') }}\n", i/10)
	}
	if i%7 == 0 && i > 3 {
		if other := name(i / 3); other != name((i-1)/2) {
			fmt.Fprintf(&b, "union all\nselect id, name, {%% for b in bumps %%}score as score_{{ b }}, {%% endfor %%}0 as dollars, 0 as ratio, score, cents from {{ ref('%s') }}\n", other)
		}
	}
	return b.String()
}

func name(i int) string { return fmt.Sprintf("m%04d", i) }
