select {{ dbt_utils.star(ref('src')) }} from {{ ref('src') }}
