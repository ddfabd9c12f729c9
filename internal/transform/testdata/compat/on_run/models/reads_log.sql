{{ config(materialized='table') }}
-- on-run-start made this table before any model ran.
select what from {{ target.schema }}.run_log
