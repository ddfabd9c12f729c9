{% macro feature_enabled(name) %}
  {{ return(name in var('features', ['beta'])) }}
{% endmacro %}
