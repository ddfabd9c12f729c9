select id, kind from {{ ref('things') }}
