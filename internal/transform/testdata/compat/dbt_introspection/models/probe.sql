-- depends_on: {{ ref('statuses') }}
{% set rel = adapter.get_relation(database=none, schema=this.schema, identifier='statuses') %}
{% set missing = adapter.get_relation(this.database, this.schema, 'no_such_table') %}
{% set cols = adapter.get_columns_in_relation(ref('statuses')) %}
{% if execute %}
  {% set found = run_query("select distinct status from " ~ ref('statuses') ~ " order by status") %}
  {% set statuses = found.columns[0].values() %}
  {% set n = run_query("select count(*) as n from " ~ ref('statuses')).rows[0][0] %}
{% else %}
  {% set statuses = [] %}
  {% set n = 0 %}
{% endif %}
select
  '{{ rel is not none and rel.is_table }}' as found_table,
  '{{ missing is none }}' as missing_is_none,
  '{{ cols | map(attribute='name') | join(',') }}' as cols,
  '{{ statuses | join(',') }}' as statuses,
  {{ n }} as n
{% for s in statuses %}
  , (select count(*) from {{ ref('statuses') }} where status = '{{ s }}') as n_{{ s }}
{% endfor %}
