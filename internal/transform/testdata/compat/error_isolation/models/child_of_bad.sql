select * from {{ ref('bad_macro') }}
