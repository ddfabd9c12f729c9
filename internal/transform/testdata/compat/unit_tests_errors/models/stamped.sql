select id, '{{ today_label() }}' as label, {{ dbt.concat(["'a'", "'b'"]) }} as joined,
  '{{ var("region", "eu") }}' as region, '{{ env_var("DEPLOY", "dev") }}' as deploy
from {{ ref('things') }}
