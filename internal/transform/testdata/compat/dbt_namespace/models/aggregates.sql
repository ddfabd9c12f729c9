select
  {{ dbt.listagg('name', "','", 'order by id') }} as names,
  {{ listagg('name', "'|'", 'order by id desc', 2) }} as last_two,
  {{ dbt.listagg('name') }} is not null as has_names,
  {{ dbt.any_value('id') }} > 0 as any_id,
  {{ any_value("'same'") }} as any_same,
  {{ dbt.bool_or('flag') }} as some_flag,
  {{ bool_or('id > 5') }} as some_big
from {{ ref('events') }}
