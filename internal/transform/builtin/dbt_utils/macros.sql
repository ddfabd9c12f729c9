{% macro generate_surrogate_key(field_list) %}
{%- set fields = [] -%}
{%- for field in field_list -%}
{%- do fields.append("coalesce(" ~ dbt.cast_string(field) ~ ", '_dbt_utils_surrogate_key_null_')") -%}
{%- if not loop.last %}{% do fields.append("'-'") %}{% endif -%}
{%- endfor -%}
{{ dbt.hash(dbt.concat(fields)) }}
{%- endmacro %}

{% macro star(from, relation_alias=False, except=[], prefix='', suffix='', quote_identifiers=True) -%}
{%- set cols = [] -%}
{%- set excluded = [] -%}
{%- for x in except -%}{%- do excluded.append(x | lower) -%}{%- endfor -%}
{%- for col in adapter.get_columns_in_relation(from) -%}
{%- set lowered = col.name | lower -%}
{%- if lowered not in excluded -%}{%- do cols.append(col.name) -%}{%- endif -%}
{%- endfor -%}
{%- if cols | length == 0 -%}*{%- else -%}
{%- for col in cols -%}
{%- if relation_alias %}{{ relation_alias }}.{% endif %}{% if quote_identifiers %}{{ adapter.quote(col) }}{% else %}{{ col }}{% endif %}{% if prefix or suffix %} as {{ adapter.quote(prefix ~ col ~ suffix) }}{% endif %}{% if not loop.last %},
  {% endif -%}
{%- endfor -%}
{%- endif -%}
{%- endmacro %}

{% macro union_relations(relations, column_override=none, include=[], exclude=[], source_column_name='_dbt_source_relation') -%}
{%- set ns = namespace(names=[], types={}) -%}
{%- for relation in relations -%}
{%- for col in adapter.get_columns_in_relation(relation) -%}
{%- if col.name not in ns.names and (include | length == 0 or col.name in include) and col.name not in exclude -%}
{%- set ns.names = ns.names + [col.name] -%}
{%- endif -%}
{%- endfor -%}
{%- endfor -%}
{%- for relation in relations %}
select
  cast({{ dbt.string_literal(relation) }} as {{ dbt.type_string() }}) as {{ adapter.quote(source_column_name) }}
  {%- set present = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
  {%- for name in ns.names %},
  {% if name in present %}{{ adapter.quote(name) }}{% else %}null{% endif %} as {{ adapter.quote(name) }}
  {%- endfor %}
from {{ relation }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- endmacro %}

{% macro pivot(column, values, alias=True, agg='sum', cmp='=', prefix='', suffix='', then_value=1, else_value=0, quote_identifiers=True, distinct=False) -%}
{%- for value in values %}
  {{ agg }}({% if distinct %}distinct {% endif %}case when {{ column }} {{ cmp }} '{{ value | replace("'", "''") }}' then {{ then_value }} else {{ else_value }} end)
  {%- if alias %} as {% if quote_identifiers %}{{ adapter.quote(prefix ~ value ~ suffix) }}{% else %}{{ prefix ~ value ~ suffix }}{% endif %}{% endif -%}
  {%- if not loop.last %},{% endif -%}
{%- endfor %}
{%- endmacro %}

{% macro date_spine(datepart, start_date, end_date) -%}
with dbt_digits as (
  select 0 as d union all select 1 union all select 2 union all select 3 union all select 4
  union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
),
dbt_numbers as (
  select a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d as n
  from dbt_digits a cross join dbt_digits b cross join dbt_digits c cross join dbt_digits e cross join dbt_digits f
),
dbt_spine as (
  select {{ dbt.dateadd(datepart, 'n', start_date) }} as date_{{ datepart }}
  from dbt_numbers
)
select * from dbt_spine
where date_{{ datepart }} < {{ end_date }}
{%- endmacro %}

{% macro deduplicate(relation, partition_by, order_by) -%}
{{ return(adapter.dispatch('deduplicate')(relation, partition_by, order_by)) }}
{%- endmacro %}

{% macro default__deduplicate(relation, partition_by, order_by) -%}
with dbt_row_numbered as (
  select dbt_inner.*, row_number() over (partition by {{ partition_by }} order by {{ order_by }}) as dbt_rn
  from {{ relation }} as dbt_inner
)
select distinct dbt_data.*
from {{ relation }} as dbt_data
natural join (select * from dbt_row_numbered where dbt_rn = 1) as dbt_first
{%- endmacro %}

{% macro postgres__deduplicate(relation, partition_by, order_by) -%}
select distinct on ({{ partition_by }}) *
from {{ relation }} as dbt_inner
order by {{ partition_by }}, {{ order_by }}
{%- endmacro %}
