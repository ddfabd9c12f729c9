select
  {{ dbt_utils.pivot('status', ["o'pen", 'closed']) }},
  {{ dbt_utils.pivot('status', ["o'pen", 'closed'], prefix='n_', quote_identifiers=false) }}
from {{ ref('shop_a') }}
