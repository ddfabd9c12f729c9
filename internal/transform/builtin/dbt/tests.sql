{% macro test_not_null(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is null
{% endmacro %}

{% macro test_unique(model, column_name) %}
select {{ column_name }} as unique_field, count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1
{% endmacro %}

{% macro test_accepted_values(model, column_name, values, quote=True) %}
with all_values as (
  select {{ column_name }} as value_field, count(*) as n_records
  from {{ model }}
  group by {{ column_name }}
)
select *
from all_values
where value_field not in (
  {%- for v in values -%}
  {% if quote %}'{{ v | replace("'", "''") }}'{% else %}{{ v }}{% endif %}{% if not loop.last %}, {% endif %}
  {%- endfor -%}
)
{% endmacro %}

{% macro test_relationships(model, column_name, to, field) %}
with child as (
  select {{ column_name }} as from_field
  from {{ model }}
  where {{ column_name }} is not null
),
parent as (
  select {{ field }} as to_field
  from {{ to }}
)
select from_field
from child
left join parent on child.from_field = parent.to_field
where parent.to_field is null
{% endmacro %}

{# dbt's helper that generic tests of packages (dbt_utils) call; failures are never stored here. #}
{% macro should_store_failures() %}{{ return(config.get('store_failures') or false) }}{% endmacro %}

{# dbt's global: the relation as the target has it (with its type), or none. #}
{% macro load_relation(relation) %}{{ return(adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier)) }}{% endmacro %}
