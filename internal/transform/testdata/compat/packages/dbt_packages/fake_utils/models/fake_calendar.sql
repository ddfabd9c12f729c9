select {{ var('calendar_days') }} as days, '{{ var("label_prefix") }}' as label, {{ _times(3, 3) }} as nine
