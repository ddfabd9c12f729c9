{# A stand-in for the real package: its star() marks its output, so the test sees whose code ran. #}
{% macro star(from, relation_alias=False, except=[]) -%}
{{ return(adapter.dispatch('star', 'dbt_utils')(from, relation_alias, except)) }}
{%- endmacro %}

{% macro default__star(from, relation_alias=False, except=[]) -%}
'installed star of {{ from.identifier }}' as star_of
{%- endmacro %}
