{%- set which = 2 -%}
select (select label from {{ ref('dim_customers', v=2) }}) as v2,
       (select label from {{ ref('dim_customers', version=which + 1) }}) as v3
