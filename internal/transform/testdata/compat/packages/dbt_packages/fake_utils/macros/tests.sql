{% test is_positive(model, column_name) %}
{#- dbt's own helper, which packages' tests call. -#}
{%- set store_failures = should_store_failures() -%}
select * from {{ model }} where {{ column_name }} <= 0
{% endtest %}

{# One row whatever the counts: its own fail_calc counts the failures, as dbt_utils.equal_rowcount does. #}
{% test same_count(model, compare_model) %}
{{ config(fail_calc = 'sum(diff)') }}
select abs((select count(*) from {{ model }}) - (select count(*) from {{ compare_model }})) as diff
{% endtest %}
