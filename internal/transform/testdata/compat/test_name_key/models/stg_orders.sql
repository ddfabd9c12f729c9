select id, status from {{ ref('orders') }}
