select {{ shout("name") }} as loud from {{ ref('customers') }}
