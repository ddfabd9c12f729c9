{{ config(materialized='table', post_hook=["select 1", "insert into no_such_table values (1)"]) }}
select * from {{ ref('letters') }}
