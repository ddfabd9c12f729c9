{%- set cols = adapter.get_columns_in_relation(ref('typed')) -%}
{%- do exceptions.warn('only a warning') -%}
select
  '{{ flags.WHICH }}' as which,
  {{ invocation_id | length }} as id_len,
  '{{ invocation_id[14] }}' as id_version,
  '{% for c in cols %}{{ c.quoted }}:{{ c.is_string() }}:{{ c.is_number() }}{{ "," if not loop.last }}{% endfor %}' as col_kinds,
  '{{ tojson({"a": [1, 2]}) }}' as json_out,
  '{{ fromjson('{"k": [3, 4]}').k[1] }}' as json_in,
  '{{ fromjson('not json', 'fallback') }}' as json_default,
  '{{ fromyaml("a: 1\nb: [x, y]").b | join(",") }}' as yaml_in,
  '{{ zip([1, 2, 3], ["a", "b"]) | map("join", "") | join(",") }}' as zipped,
  '{{ set([3, 1, 3, 2, 1]) | join(",") }}' as distinct_items,
  '{{ local_md5("abc") }}' as md5,
  '{{ adapter.type() }}' as adapter_type
