{{ config(materialized='table') }}
{#- Packages read graph only when executing: while parsing it is empty, as in dbt. -#}
{%- set v = {} -%}
{%- if execute -%}
  {%- set tests = [] -%}
  {%- set srcs = [] -%}
  {%- for id, node in graph.nodes.items() if node.resource_type == 'test' -%}
    {%- do tests.append(node.test_metadata.name ~ '@' ~ node.column_name ~ '>' ~ node.attached_node) -%}
  {%- endfor -%}
  {%- for s in graph.sources.values() -%}
    {%- do srcs.append(s.source_name ~ '.' ~ s.name ~ '=' ~ s.identifier ~ ':' ~ (s.columns.keys() | list | join(','))) -%}
  {%- endfor -%}
  {%- set stg = graph.nodes['model.compat_dbt_graph.stg_people'] -%}
  {%- do v.update({
    'tests': tests | join('|'), 'sources': srcs | join('|'),
    'stg_file': stg.original_file_path, 'stg_path': stg.path, 'stg_fqn': stg.fqn | join('.'),
    'stg_tags': stg.tags | join(','), 'stg_description': stg.description,
    'stg_columns': stg.columns.keys() | sort | join(','), 'stg_package': stg.package_name,
    'count_owner': graph.nodes['model.compat_dbt_graph.people_count'].config.meta.owner,
    'seed_type': graph.nodes['seed.compat_dbt_graph.people'].resource_type,
    'has_macro': 'macro.compat_dbt_graph.model_listing' in graph.macros,
    'macro_file': graph.macros['macro.compat_dbt_graph.model_listing'].original_file_path
  }) -%}
{%- endif -%}
select
  '{{ model_listing() }}' as models,
  '{{ graph.nodes | length }}' as n_nodes,
{%- for k in ['tests', 'sources', 'stg_file', 'stg_path', 'stg_fqn', 'stg_tags', 'stg_description', 'stg_columns', 'stg_package', 'count_owner', 'seed_type', 'has_macro', 'macro_file'] %}
  '{{ v.get(k) }}' as {{ k }}{{ ',' if not loop.last }}
{%- endfor %}
