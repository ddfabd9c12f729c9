{% macro wrap(x) %}{{ return(adapter.dispatch('wrap', 'fake_utils')(x)) }}{% endmacro %}
{% macro default__wrap(x) %}'fake_utils:' || {{ x }}{% endmacro %}

{% macro cast_text(x) %}{{ return(adapter.dispatch('cast_text', 'fake_utils')(x)) }}{% endmacro %}
{% macro default__cast_text(x) %}cast({{ x }} as varchar(10)) || ' (default)'{% endmacro %}
{% macro postgres__cast_text(x) %}({{ x }})::text || ' (postgres)'{% endmacro %}

{% macro label(x) %}{{ return(adapter.dispatch('label', 'fake_utils')(x)) }}{% endmacro %}
{% macro default__label(x) %}'{{ var("label_prefix", "none") }}:' || {{ x }}{% endmacro %}

{# double calls its own package's helper by its bare name. #}
{% macro double(x) %}{{ _times(x, 2) }}{% endmacro %}
{% macro _times(x, n) %}({{ x }} * {{ n }}){% endmacro %}

{# As dbt_utils._is_relation checks its argument. #}
{% macro is_relation(obj) %}{{ return(obj is mapping and obj.get('metadata', {}).get('type', '').endswith('Relation')) }}{% endmacro %}

{# An inline if without else, as dbt_utils.get_column_values writes one. #}
{% macro maybe(x) %}{% set y = 'given' if x %}{{ return(y or 'nothing') }}{% endmacro %}
