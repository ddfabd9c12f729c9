{% macro mark(who) %}insert into {{ target.schema }}.hook_log (who) values ('{{ who }}'){% endmacro %}
