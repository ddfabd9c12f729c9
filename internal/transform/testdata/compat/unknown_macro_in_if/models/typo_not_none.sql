select 1 as id
{%- if legacy_mode() is not none %}, 'legacy' as mode{% endif %}
