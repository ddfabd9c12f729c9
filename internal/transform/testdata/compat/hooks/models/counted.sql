{{ config(materialized='table', post_hook="insert into {{ this.schema }}.audit select 'counted post ' || count(*) from {{ this }}") }}
select * from {{ ref('letters') }}
