select count(*) as n from {{ ref('good') }}
