{%- set cols = gram.kept_columns(ref('people'), exclude=['CITY']) -%}
select
  '{{ cols | join(",") }}' as kept,
  {{ gram.as_type("'2024-01-02'", as_date=true) }} as as_date,
  {{ gram.as_type("12") }} as as_text,
  '{{ gram.label("p", "a", "b", sep="/") }}' as labelled,
  (select count(*) from (select id from {{ ref('people') }} {{ dbt.except() }} select id from {{ ref('people') }} where city = 'Oslo') d) as only_rome,
  (select count(*) from (select id from {{ ref('people') }} {{ intersect() }} select id from {{ ref('people') }} where city = 'Oslo') d) as in_oslo
