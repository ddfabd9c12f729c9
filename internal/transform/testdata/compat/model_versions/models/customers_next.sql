select 3 as id, 'three' as label
