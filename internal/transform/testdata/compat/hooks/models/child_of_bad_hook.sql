select * from {{ ref('bad_hook') }}
