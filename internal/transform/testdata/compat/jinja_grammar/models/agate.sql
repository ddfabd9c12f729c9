{#- What dbt_utils' get_query_results_as_dict, get_relations_by_pattern, get_single_value and
    union_relations do with query results and relations. -#}
{%- call statement('people', fetch_result=True) -%}
  select id, "Name" as name, date '2017-01-02' as d, timestamp '2017-01-02 03:04:05' as ts from {{ ref('people') }} order by id
{%- endcall -%}
{%- set table = load_result('people')['table'] if execute else [] -%}
{%- set by_column = {} -%}
{%- for column_name, column in (table.columns.items() if execute else []) -%}
  {%- do by_column.update({column_name: column.values()}) -%}
{%- endfor -%}
{%- set names = [] -%}
{%- for row in table -%}{%- do names.append(row.name ~ ':' ~ row['id']) -%}{%- endfor -%}
{%- set seen = {} -%}
{%- for rel in [ref('people'), ref('grammar')] -%}
  {%- do seen.update({rel: []}) -%}
  {%- do seen[rel].append(rel.identifier) -%}
{%- endfor -%}
select
  '{{ names | join(",") }}' as names,
  '{{ by_column["id"] | join(",") }}' as ids,
  {% if execute -%}
  cast('{{ table.rows[0]["d"] }}' as date) as d,
  cast('{{ table.rows[0][3] }}' as timestamp) as ts,
  '{{ table.columns | length }} {{ table.column_names | join("|") }}' as shape,
  {%- endif %}
  '{{ seen[ref("grammar")] | join(",") }}' as keyed_by_relation,
  '{{ target.database }}' as db,
  (select count(*) from {{ ref('people').information_schema('columns') }} where table_schema = '{{ ref('people').schema }}' and table_name = 'people') as n_columns
