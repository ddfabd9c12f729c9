{% macro test_expression_is_true(model, expression, column_name=None) %}
select *
from {{ model }}
where not ({% if column_name %}{{ column_name }} {% endif %}{{ expression }})
{% endmacro %}

{% macro test_accepted_range(model, column_name, min_value=None, max_value=None, inclusive=True) %}
select *
from {{ model }}
where 1 = 2
{%- if min_value is not none %} or not ({{ column_name }} >{% if inclusive %}={% endif %} {{ min_value }}){% endif %}
{%- if max_value is not none %} or not ({{ column_name }} <{% if inclusive %}={% endif %} {{ max_value }}){% endif %}
{% endmacro %}

{% macro test_not_constant(model, column_name) %}
select count(distinct {{ column_name }}) as filler_column
from {{ model }}
having count(distinct {{ column_name }}) = 1
{% endmacro %}

{% macro test_unique_combination_of_columns(model, combination_of_columns, quote_columns=False) %}
{%- set cols = [] -%}
{%- for c in combination_of_columns -%}
{%- if quote_columns %}{% do cols.append(adapter.quote(c)) %}{% else %}{% do cols.append(c) %}{% endif -%}
{%- endfor -%}
select {{ cols | join(', ') }}, count(*) as n_records
from {{ model }}
group by {{ cols | join(', ') }}
having count(*) > 1
{% endmacro %}
