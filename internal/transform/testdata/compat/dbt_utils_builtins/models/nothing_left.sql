select {{ dbt_utils.star(from=ref('shop_b'), except=['status', 'id', 'note']) }}
from {{ ref('shop_b') }}
