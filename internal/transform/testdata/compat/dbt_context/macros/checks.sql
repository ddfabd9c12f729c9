{% macro must_be_table() %}
  {% if execute and config.get('materialized') != 'table' %}
    {{ exceptions.raise_compiler_error("model " ~ this.identifier ~ " must be a table, not " ~ config.get('materialized')) }}
  {% endif %}
  {{ return('') }}
{% endmacro %}
