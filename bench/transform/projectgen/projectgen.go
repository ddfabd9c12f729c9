// Package projectgen writes a synthetic dbt project for benchmarks: a wide DAG (each model
// refers to the model at half its index, and every seventh to a third one too, so there are
// long chains and fan-outs), a project macro, a Jinja loop per model and generic tests on every
// fifth model.
package projectgen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Generate writes a project of n view models into dir.
func Generate(dir string, n int) error {
	files := map[string]string{
		"dbt_project.yml": "name: bench\nversion: '1.0.0'\nconfig-version: 2\nmodels:\n  bench:\n    +materialized: view\n",
		"macros/add.sql":  "{% macro add(column, amount=1) -%}({{ column }} + {{ amount }}){%- endmacro %}\n",
	}
	var props strings.Builder
	props.WriteString("version: 2\nmodels:\n")
	for i := range n {
		folder := fmt.Sprintf("models/layer_%02d", i/100)
		var body string
		if i == 0 {
			body = "select 1 as id, 'a' as name, 0 as score\n"
		} else {
			parent := fmt.Sprintf("m%04d", (i-1)/2)
			body = fmt.Sprintf("{{ config(tags=['%s']) }}\n{%% set bumps = [1, 2, 3] %%}\nselect\n    id,\n    name,\n    {%% for b in bumps -%%}\n    {{ add('score', b) }} as score_%%s{{ b }},\n    {%% endfor -%%}\n    {{ add('score') }} as score\nfrom {{ ref('%s') }}\n",
				[]string{"even", "odd"}[i%2], parent)
			body = strings.ReplaceAll(body, "%s{{ b }}", "{{ b }}")
			if i%7 == 0 && i > 3 {
				other := fmt.Sprintf("m%04d", i/3)
				if other != parent {
					body += fmt.Sprintf("union all\nselect id, name, {%% for b in bumps %%}score as score_{{ b }}, {%% endfor %%}score from {{ ref('%s') }}\n", other)
				}
			}
		}
		files[filepath.Join(folder, fmt.Sprintf("m%04d.sql", i))] = body
		if i%5 == 0 {
			fmt.Fprintf(&props, "  - name: m%04d\n    columns:\n      - name: id\n        tests: [not_null]\n      - name: name\n        tests:\n          - accepted_values:\n              values: ['a']\n", i)
		}
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
