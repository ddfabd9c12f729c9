{{ config(materialized='table', post_hook=[{'sql': "insert into " ~ target.schema ~ ".hook_log values ('list post summary')"}]) }}
select count(*) as n from {{ ref('base') }}
