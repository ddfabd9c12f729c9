select b.id, t.kind from {{ ref('base') }} as b join {{ ref('things') }} as t on t.id = b.id
