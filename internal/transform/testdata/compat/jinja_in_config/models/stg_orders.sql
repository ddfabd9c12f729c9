{{ config(materialized='view',) }}
select id, status from {{ ref('orders',) }}
