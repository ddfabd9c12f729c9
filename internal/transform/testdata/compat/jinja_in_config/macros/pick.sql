{% macro pick(values, n=1,) %}
{{- values[n] -}}
{% endmacro %}
