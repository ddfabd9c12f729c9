{% macro today_label() %}{{ return('real ' ~ run_started_at.strftime('%Y')) }}{% endmacro %}
