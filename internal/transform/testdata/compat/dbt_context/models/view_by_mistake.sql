{{ config(materialized='view') }}
{{ must_be_table() }}
select 1 as id
