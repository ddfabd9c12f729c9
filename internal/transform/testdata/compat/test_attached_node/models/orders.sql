select 1 as id, 3 as customer_id
