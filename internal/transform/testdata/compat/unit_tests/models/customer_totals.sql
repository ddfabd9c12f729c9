select c.id as customer_id, c.name, count(o.id) as n_orders,
       coalesce(sum(o.amount), 0) as total, '{{ var("currency") }}' as currency
from {{ source('crm', 'customers') }} as c
left join {{ ref('stg_orders') }} as o on o.customer_id = c.id
group by c.id, c.name
