{{ config(materialized='table', owner='data-team') }}
{{ must_be_table() }}
{% set other = this.incorporate(path={'identifier': 'renamed'}) %}
{% set made = api.Relation.create(database=none, schema='some_schema', identifier='some_table') %}
{% set m = modules.re.search('(\\d+)-(\\d+)', 'order 12-34') %}
select
  '{{ config.get('materialized') }}' as materialized,
  '{{ config.get('owner', 'nobody') }}' as owner,
  '{{ config.get('missing', 'fallback') }}' as missing,
  '{{ config.get('missing', default='kw_fallback') }}' as missing_kw,
  '{{ config.require('owner') }}' as required,
  '{{ log('rendering context_values', info=True) }}' as logged,
  '{{ execute }}' as executing,
  '{{ flags.FULL_REFRESH }}' as full_refresh,
  {{ (invocation_id | length) > 0 }} as has_invocation_id,
  '{{ adapter.quote('Mixed') }}' as quoted,
  '{{ other.identifier }}' as incorporated,
  '{{ other.schema == this.schema }}' as same_schema,
  '{{ made.schema }}.{{ made.identifier }}' as created,
  '{{ m.group(2) }}' as re_group,
  '{{ modules.re.sub('[aeiou]', '_', 'datanika') }}' as re_sub,
  '{{ modules.re.findall('\\d', 'a1b2') | join(',') }}' as re_findall,
  {{ modules.datetime.datetime.now().year >= 2024 }} as has_now
