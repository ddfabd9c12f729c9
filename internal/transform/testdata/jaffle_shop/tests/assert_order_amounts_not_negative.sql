-- Singular test: an order never has a negative total.
select order_id, amount
from {{ ref('orders') }}
where amount < 0
