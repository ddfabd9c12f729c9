select * from {{ ref('alpha') }}
