{%- set it = modules.itertools -%}
{%- set paris = modules.pytz.timezone('Europe/Paris') -%}
{%- set winter = paris.localize(modules.datetime.datetime(2024, 1, 15, 9, 30)) -%}
{%- set summer = modules.datetime.datetime(2024, 7, 1, 12, 0, tzinfo=modules.pytz.utc) -%}
select
  '{{ it.chain([1, 2], [3]) | join(",") }}' as chained,
  '{{ it.chain.from_iterable([[1], [2, 3]]) | join(",") }}' as flat,
  '{% for a, b in it.product(["x", "y"], [1, 2]) %}{{ a }}{{ b }}{% if not loop.last %},{% endif %}{% endfor %}' as product,
  '{{ it.product([0, 1], repeat=3) | length }}' as product_repeat,
  '{% for c in it.combinations("abc", 2) %}{{ c | join("") }}{% if not loop.last %},{% endif %}{% endfor %}' as combinations,
  '{% for c in it.permutations([1, 2, 3], 2) %}{{ c | join("") }}{% if not loop.last %},{% endif %}{% endfor %}' as permutations,
  '{{ it.islice("abcdef", 1, 5, 2) | join("") }}{{ it.islice([1, 2, 3], 2) | join("") }}' as sliced,
  '{% for k, g in it.groupby([1, 1, 2, 1]) %}{{ k }}x{{ g | length }}{% if not loop.last %},{% endif %}{% endfor %}' as grouped,
  '{{ it.zip_longest([1, 2], ["a"], fillvalue="-") | map("join", "") | join(",") }}' as zipped,
  '{{ modules.pytz.utc }}' as utc_name,
  '{{ paris.zone }}' as zone,
  '{{ winter }}' as winter,
  '{{ winter.astimezone(modules.pytz.utc) }}' as winter_utc,
  '{{ summer.astimezone(paris) }}' as summer_paris,
  '{{ summer.astimezone(paris).strftime("%Y-%m-%d %H:%M") }}' as summer_fmt,
  '{{ run_started_at.astimezone(paris).tzinfo.zone }}' as started_zone,
  {{ modules.datetime.datetime.now(modules.pytz.timezone('Asia/Tokyo')).year >= 2024 }} as has_now_in_tz
