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
{%- set all_cols = adapter.get_columns_in_relation(from) -%}
{%- for col in all_cols -%}
{%- set lowered = col.name | lower -%}
{%- if lowered not in excluded -%}{%- do cols.append(col.name) -%}{%- endif -%}
{%- endfor -%}
{#- A relation not built yet (or no catalog, at parse) gives *; every column excluded gives
    none, as dbt_utils does, never all of them. -#}
{%- if all_cols | length == 0 -%}*{%- elif cols | length == 0 -%}/* no columns returned from star() macro */{%- else -%}
{%- for col in cols -%}
{%- if relation_alias %}{{ relation_alias }}.{% endif %}{% if quote_identifiers %}{{ adapter.quote(col) }}{% else %}{{ col }}{% endif %}{% if prefix or suffix %} as {{ adapter.quote(prefix ~ col ~ suffix) }}{% endif %}{% if not loop.last %},
  {% endif -%}
{%- endfor -%}
{%- endif -%}
{%- endmacro %}

{#- As dbt_utils: columns line up by name (include/exclude ignore case), each cast to the type
    it has in the first relation that has it (or column_override), so a relation lacking it
    gives a typed null. -#}
{% macro union_relations(relations, column_override=none, include=[], exclude=[], source_column_name='_dbt_source_relation', where=none) -%}
{%- set include_lower = [] -%}{%- for x in include %}{% do include_lower.append(x | lower) %}{% endfor -%}
{%- set exclude_lower = [] -%}{%- for x in exclude %}{% do exclude_lower.append(x | lower) %}{% endfor -%}
{%- set overrides = column_override or {} -%}
{%- set ns = namespace(names=[], types=[], present=[]) -%}
{%- for relation in relations -%}
{%- set here = [] -%}
{%- for col in adapter.get_columns_in_relation(relation) -%}
{%- set lowered = col.name | lower -%}
{%- if (include_lower | length == 0 or lowered in include_lower) and lowered not in exclude_lower -%}
{%- do here.append(col.name) -%}
{%- if col.name not in ns.names -%}
{%- set ns.names = ns.names + [col.name] -%}
{%- set col_type = overrides[col.name] if col.name in overrides else col.data_type -%}
{%- set ns.types = ns.types + [col_type] -%}
{%- endif -%}
{%- endif -%}
{%- endfor -%}
{%- set ns.present = ns.present + [here] -%}
{%- endfor -%}
{%- for relation in relations %}
{%- set present = ns.present[loop.index0] %}
select
  {%- if source_column_name is not none %}
  cast({{ dbt.string_literal(relation) }} as {{ dbt.type_string() }}) as {{ adapter.quote(source_column_name) }}{% if ns.names | length > 0 %},{% endif %}
  {%- endif %}
  {%- for name in ns.names %}
  {%- set expr_name = name if name in present else none %}
  {{ dbt_utils.union_column_expr(expr_name, ns.types[loop.index0]) }} as {{ adapter.quote(name) }}{% if not loop.last %},{% endif %}
  {%- endfor %}
from {{ relation }}
{%- if where %}
where {{ where }}
{%- endif %}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- endmacro %}

{% macro union_column_expr(name, data_type) -%}
{{ return(adapter.dispatch('union_column_expr')(name, data_type)) }}
{%- endmacro %}

{% macro default__union_column_expr(name, data_type) -%}
cast({% if name is none %}null{% else %}{{ adapter.quote(name) }}{% endif %} as {{ data_type }})
{%- endmacro %}

{#- MySQL's CAST takes few of its own column types (not int(11), varchar(255)); its UNION
    types each column over every branch, so an untyped null is enough. -#}
{% macro mysql__union_column_expr(name, data_type) -%}
{% if name is none %}null{% else %}{{ adapter.quote(name) }}{% endif %}
{%- endmacro %}

{% macro pivot(column, values, alias=True, agg='sum', cmp='=', prefix='', suffix='', then_value=1, else_value=0, quote_identifiers=True, distinct=False) -%}
{%- for value in values %}
  {{ agg }}({% if distinct %}distinct {% endif %}case when {{ column }} {{ cmp }} '{{ value | replace("'", "''") }}' then {{ then_value }} else {{ else_value }} end)
  {%- if alias %} as {% if quote_identifiers %}{{ adapter.quote(prefix ~ value ~ suffix) }}{% else %}{{ dbt_utils.slugify(prefix ~ value ~ suffix) }}{% endif %}{% endif -%}
  {%- if not loop.last %},{% endif -%}
{%- endfor %}
{%- endmacro %}

{#- As dbt_utils' slugify: lower case, runs of spaces and dashes to _, only [a-z0-9_],
    a leading digit prefixed with _, so an unquoted alias is always a valid identifier. -#}
{% macro slugify(string) -%}
{%- set ns = namespace(out='', dash=false) -%}
{%- for ch in string | string | lower -%}
{%- if ch == ' ' or ch == '-' -%}
{%- if not ns.dash %}{% set ns.out = ns.out ~ '_' %}{% endif -%}
{%- set ns.dash = true -%}
{%- else -%}
{%- set ns.dash = false -%}
{%- if ch in 'abcdefghijklmnopqrstuvwxyz0123456789_' %}{% set ns.out = ns.out ~ ch %}{% endif -%}
{%- endif -%}
{%- endfor -%}
{%- if ns.out != '' and ns.out[0] in '0123456789' %}{% set ns.out = '_' ~ ns.out %}{% endif -%}
{{ return(ns.out) }}
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
