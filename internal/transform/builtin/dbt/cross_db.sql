{% macro dateadd(datepart, interval, from_date_or_timestamp) %}{{ return(adapter.dispatch('dateadd')(datepart, interval, from_date_or_timestamp)) }}{% endmacro %}
{% macro default__dateadd(datepart, interval, from_date_or_timestamp) %}dateadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }}){% endmacro %}
{% macro postgres__dateadd(datepart, interval, from_date_or_timestamp) %}({{ from_date_or_timestamp }} + (({{ interval }}) * interval '1 {{ datepart }}')){% endmacro %}
{% macro mysql__dateadd(datepart, interval, from_date_or_timestamp) %}date_add({{ from_date_or_timestamp }}, interval ({{ interval }}) {{ datepart }}){% endmacro %}
{% macro bigquery__dateadd(datepart, interval, from_date_or_timestamp) %}datetime_add(cast({{ from_date_or_timestamp }} as datetime), interval {{ interval }} {{ datepart }}){% endmacro %}

{% macro date_trunc(datepart, date) %}{{ return(adapter.dispatch('date_trunc')(datepart, date)) }}{% endmacro %}
{% macro default__date_trunc(datepart, date) %}date_trunc('{{ datepart }}', {{ date }}){% endmacro %}
{% macro mysql__date_trunc(datepart, date) %}{% if datepart == 'day' %}date({{ date }}){% elif datepart == 'month' %}date_format({{ date }}, '%Y-%m-01'){% elif datepart == 'year' %}date_format({{ date }}, '%Y-01-01'){% else %}{{ date }}{% endif %}{% endmacro %}

{% macro safe_cast(field, type) %}{{ return(adapter.dispatch('safe_cast')(field, type)) }}{% endmacro %}
{% macro default__safe_cast(field, type) %}cast({{ field }} as {{ type }}){% endmacro %}
{% macro snowflake__safe_cast(field, type) %}try_cast({{ field }} as {{ type }}){% endmacro %}
{% macro bigquery__safe_cast(field, type) %}safe_cast({{ field }} as {{ type }}){% endmacro %}

{% macro string_literal(value) %}'{{ value | replace("'", "''") }}'{% endmacro %}
{% macro escape_single_quotes(expression) %}{{ expression | replace("'", "''") }}{% endmacro %}
