-- view, first build
create view [analytics].[orders__dbt_tmp] as
select id, status from "raw".orders;
exec sp_rename 'analytics.orders__dbt_tmp', 'orders';

-- view over an existing view, leftovers present
drop view if exists [analytics].[orders__dbt_tmp];
drop table if exists [analytics].[orders__dbt_backup];
create view [analytics].[orders__dbt_tmp] as
select id, status from "raw".orders;
exec sp_rename 'analytics.orders', 'orders__dbt_backup';
exec sp_rename 'analytics.orders__dbt_tmp', 'orders';
drop view if exists [analytics].[orders__dbt_backup];

-- table over an existing view
create view [analytics].[orders__dbt_tmp__dbt_tmp_vw] as
select id, status from "raw".orders;
select * into [analytics].[orders__dbt_tmp] from [analytics].[orders__dbt_tmp__dbt_tmp_vw];
drop view [analytics].[orders__dbt_tmp__dbt_tmp_vw];
exec sp_rename 'analytics.orders', 'orders__dbt_backup';
exec sp_rename 'analytics.orders__dbt_tmp', 'orders';
drop view if exists [analytics].[orders__dbt_backup];

-- incremental append
insert into [analytics].[events] ([id], [status], [odd "name"])
select [id], [status], [odd "name"] from [analytics].[events__dbt_tmp];

-- incremental delete+insert
delete from [analytics].[events]
where exists (select 1 from [analytics].[events__dbt_tmp] as dbt_source where dbt_source.[id] = [analytics].[events].[id]);
insert into [analytics].[events] ([id], [status], [odd "name"])
select [id], [status], [odd "name"] from [analytics].[events__dbt_tmp];

-- incremental merge
merge into [analytics].[events] as dbt_target
using [analytics].[events__dbt_tmp] as dbt_source
on dbt_source.[id] = dbt_target.[id]
when matched then update set [id] = dbt_source.[id], [status] = dbt_source.[status], [odd "name"] = dbt_source.[odd "name"]
when not matched then insert ([id], [status], [odd "name"]) values (dbt_source.[id], dbt_source.[status], dbt_source.[odd "name"]);

-- on_schema_change sync_all_columns, inserting id, added
alter table [analytics].[events] add [added] varchar(max);
alter table [analytics].[events] drop column [removed];

-- snapshot, first run (timestamp)
create view [snapshots].[orders_snapshot__dbt_tmp_vw] as
select dbt_snapshot_source.*,
  lower(convert(varchar(32), hashbytes('MD5', concat(coalesce(cast(id as varchar(max)), ''), '|', coalesce(cast(updated_at as varchar(max)), ''))), 2)) as dbt_scd_id,
  updated_at as dbt_updated_at,
  updated_at as dbt_valid_from,
  nullif(updated_at, updated_at) as dbt_valid_to
from (
select id, status from "raw".orders
) as dbt_snapshot_source;
select * into [snapshots].[orders_snapshot] from [snapshots].[orders_snapshot__dbt_tmp_vw];
drop view [snapshots].[orders_snapshot__dbt_tmp_vw];

-- snapshot, staging changes (timestamp)
create view [snapshots].[orders_snapshot__dbt_tmp__dbt_tmp_vw] as
with dbt_current as (
  select dbt_snapshotted.*, id as dbt_unique_key from [snapshots].[orders_snapshot] as dbt_snapshotted where dbt_valid_to is null
),
dbt_new as (
  select dbt_source_rows.*, id as dbt_unique_key from (
select dbt_snapshot_source.*,
  lower(convert(varchar(32), hashbytes('MD5', concat(coalesce(cast(id as varchar(max)), ''), '|', coalesce(cast(updated_at as varchar(max)), ''))), 2)) as dbt_scd_id,
  updated_at as dbt_updated_at,
  updated_at as dbt_valid_from,
  nullif(updated_at, updated_at) as dbt_valid_to
from (
select id, status from "raw".orders
) as dbt_snapshot_source
  ) as dbt_source_rows
)
select 'insert' as dbt_change_type, dbt_current.dbt_scd_id as dbt_closes_scd_id, dbt_new.*
from dbt_new left join dbt_current on dbt_current.dbt_unique_key = dbt_new.dbt_unique_key
where dbt_current.dbt_unique_key is null or dbt_new.dbt_updated_at > dbt_current.dbt_updated_at
union all
select 'delete' as dbt_change_type, dbt_current.dbt_scd_id as dbt_closes_scd_id, dbt_new.*
from dbt_current left join dbt_new on dbt_current.dbt_unique_key = dbt_new.dbt_unique_key
where dbt_new.dbt_unique_key is null;
select * into [snapshots].[orders_snapshot__dbt_tmp] from [snapshots].[orders_snapshot__dbt_tmp__dbt_tmp_vw];
drop view [snapshots].[orders_snapshot__dbt_tmp__dbt_tmp_vw];

-- snapshot, staging changes (check)
create view [snapshots].[orders_snapshot__dbt_tmp__dbt_tmp_vw] as
with dbt_current as (
  select dbt_snapshotted.*, id as dbt_unique_key from [snapshots].[orders_snapshot] as dbt_snapshotted where dbt_valid_to is null
),
dbt_new as (
  select dbt_source_rows.*, id as dbt_unique_key from (
select dbt_snapshot_source.*,
  lower(convert(varchar(32), hashbytes('MD5', concat(coalesce(cast(id as varchar(max)), ''), '|', coalesce(cast(cast('2026-01-02 03:04:05.000000' as datetime2) as varchar(max)), ''))), 2)) as dbt_scd_id,
  cast('2026-01-02 03:04:05.000000' as datetime2) as dbt_updated_at,
  cast('2026-01-02 03:04:05.000000' as datetime2) as dbt_valid_from,
  nullif(cast('2026-01-02 03:04:05.000000' as datetime2), cast('2026-01-02 03:04:05.000000' as datetime2)) as dbt_valid_to
from (
select id, status from "raw".orders
) as dbt_snapshot_source
  ) as dbt_source_rows
)
select 'insert' as dbt_change_type, dbt_current.dbt_scd_id as dbt_closes_scd_id, dbt_new.*
from dbt_new left join dbt_current on dbt_current.dbt_unique_key = dbt_new.dbt_unique_key
where dbt_current.dbt_unique_key is null or (dbt_current.[status] is distinct from dbt_new.[status])
union all
select 'delete' as dbt_change_type, dbt_current.dbt_scd_id as dbt_closes_scd_id, dbt_new.*
from dbt_current left join dbt_new on dbt_current.dbt_unique_key = dbt_new.dbt_unique_key
where dbt_new.dbt_unique_key is null;
select * into [snapshots].[orders_snapshot__dbt_tmp] from [snapshots].[orders_snapshot__dbt_tmp__dbt_tmp_vw];
drop view [snapshots].[orders_snapshot__dbt_tmp__dbt_tmp_vw];

-- snapshot, apply
update [snapshots].[orders_snapshot] set dbt_valid_to = (
  select dbt_changes.dbt_valid_from from [snapshots].[orders_snapshot__dbt_tmp] as dbt_changes
  where dbt_changes.dbt_closes_scd_id = [snapshots].[orders_snapshot].dbt_scd_id and dbt_changes.dbt_change_type = 'insert'
)
where dbt_valid_to is null and dbt_scd_id in (
  select dbt_closes_scd_id from [snapshots].[orders_snapshot__dbt_tmp] where dbt_change_type = 'insert' and dbt_closes_scd_id is not null
);
update [snapshots].[orders_snapshot] set dbt_valid_to = cast('2026-01-02 03:04:05.000000' as datetime2)
where dbt_valid_to is null and dbt_scd_id in (select dbt_closes_scd_id from [snapshots].[orders_snapshot__dbt_tmp] where dbt_change_type = 'delete');
insert into [snapshots].[orders_snapshot] ([id], [status], [dbt_scd_id], [dbt_updated_at], [dbt_valid_from], [dbt_valid_to])
select [id], [status], [dbt_scd_id], [dbt_updated_at], [dbt_valid_from], [dbt_valid_to] from [snapshots].[orders_snapshot__dbt_tmp] where dbt_change_type = 'insert';

-- seed
if not exists (select 1 from sys.schemas where name = 'analytics') exec('create schema [analytics]');
create table [analytics].[raw_orders] ([id] bigint, [order_date] date, [status] varchar(max));
delete from [analytics].[raw_orders];
insert into [analytics].[raw_orders] ([id], [order_date], [status]) values (@p1, @p2, @p3), (@p4, @p5, @p6);

-- test
select count(*) from (
select * from t where x is null
) as dbt_internal_test;
select top 5 * from (
select * from t where x is null
) as dbt_limit;

-- freshness
select datediff(second, max(_loaded_at), sysdatetime()) from [raw].[orders];

