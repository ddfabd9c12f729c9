-- view, first build
create view "analytics"."orders__dbt_tmp" as (
select id, status from "raw".orders
);
alter table "analytics"."orders__dbt_tmp" rename to "orders";

-- view over an existing view, leftovers present
drop view if exists "analytics"."orders__dbt_tmp" cascade;
drop table if exists "analytics"."orders__dbt_backup" cascade;
create view "analytics"."orders__dbt_tmp" as (
select id, status from "raw".orders
);
alter table "analytics"."orders" rename to "orders__dbt_backup";
alter table "analytics"."orders__dbt_tmp" rename to "orders";
drop view if exists "analytics"."orders__dbt_backup" cascade;

-- table over an existing view
create table "analytics"."orders__dbt_tmp" as (
select id, status from "raw".orders
);
alter table "analytics"."orders" rename to "orders__dbt_backup";
alter table "analytics"."orders__dbt_tmp" rename to "orders";
drop view if exists "analytics"."orders__dbt_backup" cascade;

-- incremental append
insert into "analytics"."events" ("id", "status", "odd ""name""")
select "id", "status", "odd ""name""" from "analytics"."events__dbt_tmp";

-- incremental delete+insert
delete from "analytics"."events"
where exists (select 1 from "analytics"."events__dbt_tmp" as dbt_source where dbt_source."id" = "analytics"."events"."id");
insert into "analytics"."events" ("id", "status", "odd ""name""")
select "id", "status", "odd ""name""" from "analytics"."events__dbt_tmp";

-- incremental merge
update "analytics"."events" set "id" = dbt_source."id", "status" = dbt_source."status", "odd ""name""" = dbt_source."odd ""name"""
from "analytics"."events__dbt_tmp" as dbt_source where dbt_source."id" = "analytics"."events"."id";
insert into "analytics"."events" ("id", "status", "odd ""name""")
select dbt_source."id", dbt_source."status", dbt_source."odd ""name""" from "analytics"."events__dbt_tmp" as dbt_source
where not exists (select 1 from "analytics"."events" as dbt_target where dbt_target."id" = dbt_source."id");

-- on_schema_change sync_all_columns, inserting id, added
alter table "analytics"."events" add column "added" varchar(65535);
alter table "analytics"."events" drop column "removed";

-- snapshot, first run (timestamp)
create table "snapshots"."orders_snapshot" as (
select dbt_snapshot_source.*,
  md5(coalesce(cast(id as varchar), '') || '|' || coalesce(cast(updated_at as varchar), '')) as dbt_scd_id,
  updated_at as dbt_updated_at,
  updated_at as dbt_valid_from,
  nullif(updated_at, updated_at) as dbt_valid_to
from (
select id, status from "raw".orders
) as dbt_snapshot_source
);

-- snapshot, staging changes (timestamp)
create table "snapshots"."orders_snapshot__dbt_tmp" as (
with dbt_current as (
  select dbt_snapshotted.*, id as dbt_unique_key from "snapshots"."orders_snapshot" as dbt_snapshotted where dbt_valid_to is null
),
dbt_new as (
  select dbt_source_rows.*, id as dbt_unique_key from (
select dbt_snapshot_source.*,
  md5(coalesce(cast(id as varchar), '') || '|' || coalesce(cast(updated_at as varchar), '')) as dbt_scd_id,
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
where dbt_new.dbt_unique_key is null
);

-- snapshot, staging changes (check)
create table "snapshots"."orders_snapshot__dbt_tmp" as (
with dbt_current as (
  select dbt_snapshotted.*, id as dbt_unique_key from "snapshots"."orders_snapshot" as dbt_snapshotted where dbt_valid_to is null
),
dbt_new as (
  select dbt_source_rows.*, id as dbt_unique_key from (
select dbt_snapshot_source.*,
  md5(coalesce(cast(id as varchar), '') || '|' || coalesce(cast(cast('2026-01-02 03:04:05.000000' as timestamp) as varchar), '')) as dbt_scd_id,
  cast('2026-01-02 03:04:05.000000' as timestamp) as dbt_updated_at,
  cast('2026-01-02 03:04:05.000000' as timestamp) as dbt_valid_from,
  nullif(cast('2026-01-02 03:04:05.000000' as timestamp), cast('2026-01-02 03:04:05.000000' as timestamp)) as dbt_valid_to
from (
select id, status from "raw".orders
) as dbt_snapshot_source
  ) as dbt_source_rows
)
select 'insert' as dbt_change_type, dbt_current.dbt_scd_id as dbt_closes_scd_id, dbt_new.*
from dbt_new left join dbt_current on dbt_current.dbt_unique_key = dbt_new.dbt_unique_key
where dbt_current.dbt_unique_key is null or (dbt_current."status" is distinct from dbt_new."status")
union all
select 'delete' as dbt_change_type, dbt_current.dbt_scd_id as dbt_closes_scd_id, dbt_new.*
from dbt_current left join dbt_new on dbt_current.dbt_unique_key = dbt_new.dbt_unique_key
where dbt_new.dbt_unique_key is null
);

-- snapshot, apply
update "snapshots"."orders_snapshot" set dbt_valid_to = (
  select dbt_changes.dbt_valid_from from "snapshots"."orders_snapshot__dbt_tmp" as dbt_changes
  where dbt_changes.dbt_closes_scd_id = "snapshots"."orders_snapshot".dbt_scd_id and dbt_changes.dbt_change_type = 'insert'
)
where dbt_valid_to is null and dbt_scd_id in (
  select dbt_closes_scd_id from "snapshots"."orders_snapshot__dbt_tmp" where dbt_change_type = 'insert' and dbt_closes_scd_id is not null
);
update "snapshots"."orders_snapshot" set dbt_valid_to = cast('2026-01-02 03:04:05.000000' as timestamp)
where dbt_valid_to is null and dbt_scd_id in (select dbt_closes_scd_id from "snapshots"."orders_snapshot__dbt_tmp" where dbt_change_type = 'delete');
insert into "snapshots"."orders_snapshot" ("id", "status", "dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to")
select "id", "status", "dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to" from "snapshots"."orders_snapshot__dbt_tmp" where dbt_change_type = 'insert';

-- seed
create schema if not exists "analytics";
create table "analytics"."raw_orders" ("id" integer, "order_date" date, "status" varchar(65535));
truncate table "analytics"."raw_orders";
insert into "analytics"."raw_orders" ("id", "order_date", "status") values ($1, $2, $3), ($4, $5, $6);

-- test
select count(*) from (
select * from t where x is null
) as dbt_internal_test;
select * from (
select * from t where x is null
) as dbt_limit limit 5;

-- freshness
select extract(epoch from (current_timestamp - max(_loaded_at))) from "raw"."orders";

