select id, customer_id, amount, status
from {{ ref('raw_orders') }}
where status <> 'cancelled'
