select 1 as id, 'x' as label union all select 2, 'y'
