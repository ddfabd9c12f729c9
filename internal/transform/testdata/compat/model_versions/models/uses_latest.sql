select label from {{ ref('dim_customers') }}
