select 1 as id
{%- if feature_enabld('beta') is sameas true %}, 'beta' as flag{% endif %}
