{#- Written the way dbt_utils writes its macros: filters on both sides of `not in`, a
    conditional expression inside parentheses, a multi-line condition broken after `and`, and
    arguments handed on with *varargs / **kwargs through adapter.dispatch. -#}
{% macro kept_columns(relation, exclude=[]) %}
  {%- set kept = [] -%}
  {%- for col in adapter.get_columns_in_relation(relation) -%}
    {%- if (
          col.name|lower not in exclude|map('lower') and
          col.name|lower != 'id'
        ) -%}
      {%- do kept.append(col.name|lower) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(kept) }}
{% endmacro %}

{% macro as_type(expr, as_date=false) %}cast({{ expr }} as {{ ('date' if as_date else dbt.type_string()) }}){% endmacro %}

{% macro label(prefix) %}{{ return(adapter.dispatch('label', 'gram')(prefix, *varargs, **kwargs)) }}{% endmacro %}
{% macro default__label(prefix) %}{%- set sep = kwargs.get('sep', '-') -%}{{ return(prefix ~ sep ~ (varargs | join(sep))) }}{% endmacro %}
