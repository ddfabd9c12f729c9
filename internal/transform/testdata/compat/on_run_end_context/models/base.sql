{{ config(materialized='table', post_hook={'sql': "insert into " ~ target.schema ~ ".hook_log values ('config post base')", 'transaction': false}) }}
select 1 as id union all select 2
