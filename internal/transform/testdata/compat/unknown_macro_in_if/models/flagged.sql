select 1 as id
{%- if feature_enabled('beta') is sameas true %}, 'beta' as flag{% endif %}
