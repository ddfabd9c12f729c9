select 2 as id, 'two' as label, true as is_new
