select id,
  {{ no_such_macro('name') }} as shouted
from {{ ref('customers') }}
