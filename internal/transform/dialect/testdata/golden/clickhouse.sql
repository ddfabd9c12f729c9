-- view, first build
create view `analytics`.`orders__dbt_tmp` as (
select id, status from "raw".orders
);
alter view `analytics`.`orders__dbt_tmp` rename to `orders`;

-- view over an existing view, leftovers present
drop view if exists `analytics`.`orders__dbt_tmp`;
drop table if exists `analytics`.`orders__dbt_backup`;
create view `analytics`.`orders__dbt_tmp` as (
select id, status from "raw".orders
);
exchange tables `analytics`.`orders__dbt_tmp` and `analytics`.`orders`;
drop view if exists `analytics`.`orders__dbt_tmp`;

-- table over an existing view
create table `analytics`.`orders__dbt_tmp` engine = MergeTree() order by tuple() as (
select id, status from "raw".orders
);
alter view `analytics`.`orders` rename to `orders__dbt_backup`;
alter table `analytics`.`orders__dbt_tmp` rename to `orders`;
drop view if exists `analytics`.`orders__dbt_backup`;

-- incremental append
insert into `analytics`.`events` (`id`, `status`, `odd "name"`)
select `id`, `status`, `odd "name"` from `analytics`.`events__dbt_tmp`;

-- incremental delete+insert
alter table `analytics`.`events` delete where (`id`) in (select `id` from `analytics`.`events__dbt_tmp`);
insert into `analytics`.`events` (`id`, `status`, `odd "name"`)
select `id`, `status`, `odd "name"` from `analytics`.`events__dbt_tmp`;

-- incremental merge: clickhouse has no merge; use append or delete+insert

-- on_schema_change sync_all_columns, inserting id, added
alter table `analytics`.`events` add column `added` String;
alter table `analytics`.`events` drop column `removed`;

-- snapshots: not supported on clickhouse

-- seed
create database if not exists `analytics`;
create table `analytics`.`raw_orders` (`id` Int64, `order_date` Date, `status` String) engine = MergeTree() order by tuple();
delete from `analytics`.`raw_orders`;
insert into `analytics`.`raw_orders` (`id`, `order_date`, `status`) values (?, ?, ?), (?, ?, ?);

-- test
select count(*) from (
select * from t where x is null
) as dbt_internal_test;
select * from (
select * from t where x is null
) as dbt_limit limit 5;

-- freshness
select dateDiff('second', max(_loaded_at), now()) from `raw`.`orders`;

