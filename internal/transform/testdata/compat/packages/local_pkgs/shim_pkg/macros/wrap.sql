{% macro default__wrap(x) %}'shim:' || {{ x }}{% endmacro %}
