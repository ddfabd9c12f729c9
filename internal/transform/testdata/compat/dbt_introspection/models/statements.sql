{% call statement('open_ids', fetch_result=True) %}
  select id from {{ ref('statuses') }} where status = 'open' order by id
{% endcall %}
{% set loaded = load_result('open_ids') %}
{% set ids = loaded['data'] | map('first') | list if execute else [] %}
{% set ids2 = loaded.table.columns[0].values() if execute else [] %}
select
  '{{ ids | join(',') }}' as open_ids,
  '{{ ids2 | join(',') }}' as open_ids_again,
  '{{ load_result('never_ran') is none }}' as unknown_is_none
