-- depends_on: {{ ref('narrow') }}
{% set scratch = api.Relation.create(schema=target.schema ~ '_scratch', identifier='a') -%}
{%- set renamed = scratch.incorporate(path={'identifier': 'b'}) -%}
{%- set r = {} -%}
{%- if execute -%}
  {%- do r.update({'before': adapter.check_schema_exists(none, scratch.schema)}) -%}
  {%- do adapter.create_schema(scratch) -%}
  {%- do r.update({'created': adapter.check_schema_exists(none, scratch.schema)}) -%}
  {%- do run_query('create table ' ~ scratch ~ ' (x int, y text)') -%}
  {%- do run_query("insert into " ~ scratch ~ " values (1, 'a')") -%}
  {%- do adapter.truncate_relation(scratch) -%}
  {%- do r.update({'rows_left': run_query('select count(*) from ' ~ scratch).columns[0].values()[0]}) -%}
  {%- do adapter.rename_relation(scratch, renamed) -%}
  {%- do r.update({'a_gone': not adapter.already_exists(scratch.schema, 'a'), 'b_kind': load_relation(renamed).type}) -%}
  {%- do r.update({'missing': adapter.get_missing_columns(renamed, ref('narrow')) | map(attribute='name') | join(',')}) -%}
  {%- do adapter.drop_relation(renamed) -%}
  {%- do r.update({'b_gone': load_relation(renamed) is none}) -%}
  {%- do adapter.drop_schema(scratch) -%}
  {%- do r.update({'schema_gone': not adapter.check_schema_exists(none, scratch.schema)}) -%}
{%- endif -%}
select
{%- for k in ['before', 'created', 'rows_left', 'a_gone', 'b_kind', 'missing', 'b_gone', 'schema_gone'] %}
  '{{ r.get(k) }}' as {{ k }}{{ ',' if not loop.last }}
{%- endfor %}
