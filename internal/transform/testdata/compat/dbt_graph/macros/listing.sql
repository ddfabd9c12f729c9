{% macro model_listing() %}
  {%- set out = [] -%}
  {%- if execute -%}
    {%- for node in graph.nodes.values() | selectattr('resource_type', 'equalto', 'model') | sort(attribute='name') -%}
      {%- do out.append(node.name ~ ':' ~ node.config.materialized ~ ':' ~ (node.depends_on.nodes | sort | join('+'))) -%}
    {%- endfor -%}
  {%- endif -%}
  {{ return(out | join('|')) }}
{% endmacro %}
