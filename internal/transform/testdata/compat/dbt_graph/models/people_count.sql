{{ config(materialized='table', meta={'owner': 'ops'}) }}
select count(*) as n from {{ ref('stg_people') }} cross join {{ ref('people') }}
