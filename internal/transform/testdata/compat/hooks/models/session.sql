{{ config(materialized='table', pre_hook="insert into {{ this.schema }}.audit values ('config pre {{ this.name }}')") }}
-- Hooks add up: the project's, schema.yml's (whose setting is seen here, as it runs on this
-- model's connection) and config()'s all run.
select current_setting('compat.marker') as marker, count(*) as n from {{ ref('letters') }}
