{#- What dbt-date and dbt-expectations do with modules.datetime: dates, timedeltas and their
    arithmetic. -#}
{%- set d = modules.datetime.date(2024, 2, 28) -%}
{%- set dt = modules.datetime.datetime(2024, 3, 1, 12, 30).replace(hour=0, minute=0) -%}
{%- set week = modules.datetime.timedelta(weeks=1) -%}
select
  '{{ d + modules.datetime.timedelta(days=2) }}' as leap_day_after,
  '{{ dt - modules.datetime.timedelta(1) }}' as day_before,
  '{{ dt - d.replace(day=1) if false else dt - modules.datetime.datetime(2024, 2, 1) }}' as span,
  '{{ (dt - modules.datetime.datetime(2024, 2, 1)).days }}' as span_days,
  '{{ week - modules.datetime.timedelta(hours=1, minutes=30) }}' as delta,
  '{{ modules.datetime.timedelta(days=-1) }}' as negative,
  '{{ d.isoformat() }}|{{ dt.date() }}|{{ d.weekday() }}' as shapes,
  {{ (modules.datetime.date.today() - modules.datetime.timedelta(365)).year >= 2024 }} as today_works,
  {{ 2 + 3 - 1 }} as numbers,
  '{{ [1] + [2] }}{{ "a" + "b" }}' as others
