{% macro shout(x) %}upper({{ x }}){% endmacro %}

{% macro half_written() %}
  {% if %}
{% endmacro %}
