{# The root project overrides one of fake_utils' dispatched macros: searched first. #}
{% macro default__label(x) %}'root:' || {{ x }}{% endmacro %}
