select id from {{ ref('customers') }}
