-- clickhouse (transactional: false)
-- note: no transactions: each Data statement stands alone; the rows become visible in one step (ATTACH PARTITION tuple() FROM, or EXCHANGE TABLES for replace).
-- note: a retry of the same run finds its run id (Guard) and skips Data; the state (a ReplacingMergeTree row, read with FINAL) is written after the data, so a crash between them re-reads one window: merge absorbs it, append repeats it.
-- note: merge tables are ReplacingMergeTree ordered by the keys and versioned by _dnk_loaded_at: read with FINAL for exactly one row per key before background merges.
-- note: staging and publication tables are ordinary tables named after the run: the next attempt of the run drops what a crash left.

-- prepare
CREATE DATABASE IF NOT EXISTS `raw data`;
CREATE TABLE IF NOT EXISTS `raw data`.`_dnk_state` (pipeline String, table_name String, cursor_value String, updated_at DateTime64(6, 'UTC')) ENGINE = ReplacingMergeTree(updated_at) ORDER BY (pipeline, table_name);
CREATE TABLE IF NOT EXISTS `raw data`.`_dnk_rejected` (run_id String, table_name String, column_name String, reason String, `row` String, rejected_at DateTime64(6, 'UTC')) ENGINE = MergeTree ORDER BY (table_name, run_id);
CREATE TABLE IF NOT EXISTS `raw data`.`Order "Lines"` (`id` Int64, `Kéy ключ` String, `Where` Nullable(Int16), `a"b` Nullable(Int32), `a\`b` Nullable(Decimal(38, 10)), `a]b` Nullable(Decimal(12, 2)), `a'b;--` Nullable(Float32), `Zoë naïve` Nullable(Float64), `flag` Nullable(Bool), `by tes` Nullable(String), `day` Nullable(Date32), `clock` Nullable(String), `wall` Nullable(DateTime64(6, 'UTC')), `ts tz` Nullable(DateTime64(6, 'UTC')), `span` Nullable(String), `doc` Nullable(String), `uid` Nullable(UUID), `unbounded` Nullable(Decimal(76, 38)), `_dnk_loaded_at` DateTime64(6, 'UTC'), `_dnk_run_id` String) ENGINE = ReplacingMergeTree(`_dnk_loaded_at`) ORDER BY (`id`, `Kéy ключ`);
DROP TABLE IF EXISTS `raw data`.`_dnk_stage_7d0a9ba6bc9d`;
CREATE TABLE `raw data`.`_dnk_stage_7d0a9ba6bc9d` (`id` Nullable(Int64), `Kéy ключ` Nullable(String), `Where` Nullable(Int16), `a"b` Nullable(Int32), `a\`b` Nullable(Decimal(38, 10)), `a]b` Nullable(Decimal(12, 2)), `a'b;--` Nullable(Float32), `Zoë naïve` Nullable(Float64), `flag` Nullable(Bool), `by tes` Nullable(String), `day` Nullable(Date32), `clock` Nullable(String), `wall` Nullable(DateTime64(6, 'UTC')), `ts tz` Nullable(DateTime64(6, 'UTC')), `span` Nullable(String), `doc` Nullable(String), `uid` Nullable(UUID), `unbounded` Nullable(Decimal(76, 38)), `_dnk_seq` UInt64) ENGINE = MergeTree ORDER BY tuple();
DROP TABLE IF EXISTS `raw data`.`_dnk_pub_7d0a9ba6bc9d`;

-- stage: bulk load into `raw data`.`_dnk_stage_7d0a9ba6bc9d` (id, Kéy ключ, Where, a"b, a`b, a]b, a'b;--, Zoë naïve, flag, by tes, day, clock, wall, ts tz, span, doc, uid, unbounded, _dnk_seq)

-- stage insert (batched by the driver)
INSERT INTO `raw data`.`_dnk_stage_7d0a9ba6bc9d` (`id`, `Kéy ключ`, `Where`, `a"b`, `a\`b`, `a]b`, `a'b;--`, `Zoë naïve`, `flag`, `by tes`, `day`, `clock`, `wall`, `ts tz`, `span`, `doc`, `uid`, `unbounded`, `_dnk_seq`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- guard: a count > 0 means this run already published; skip data
-- args: run_id="run-2026-01-01T00:00:00Z-7"
SELECT count() FROM `raw data`.`Order "Lines"` WHERE `_dnk_run_id` = ?;

-- data
CREATE TABLE `raw data`.`_dnk_pub_7d0a9ba6bc9d` AS `raw data`.`Order "Lines"`;
-- args: run_id="run-2026-01-01T00:00:00Z-7"
INSERT INTO `raw data`.`_dnk_pub_7d0a9ba6bc9d` (`id`, `Kéy ключ`, `Where`, `a"b`, `a\`b`, `a]b`, `a'b;--`, `Zoë naïve`, `flag`, `by tes`, `day`, `clock`, `wall`, `ts tz`, `span`, `doc`, `uid`, `unbounded`, `_dnk_loaded_at`, `_dnk_run_id`) SELECT `id`, `Kéy ключ`, `Where`, `a"b`, `a\`b`, `a]b`, `a'b;--`, `Zoë naïve`, `flag`, `by tes`, `day`, `clock`, `wall`, `ts tz`, `span`, `doc`, `uid`, `unbounded`, now64(6, 'UTC'), ? FROM `raw data`.`_dnk_stage_7d0a9ba6bc9d` ORDER BY `_dnk_seq` DESC LIMIT 1 BY `id`, `Kéy ключ`;
ALTER TABLE `raw data`.`Order "Lines"` ATTACH PARTITION tuple() FROM `raw data`.`_dnk_pub_7d0a9ba6bc9d`;

-- rejected: one per rejected row (BigQuery: one for all)
-- args: run_id="run-2026-01-01T00:00:00Z-7", table_name="Order \"Lines\"", column_name=<per row>, reason=<per row>, row=<per row>
INSERT INTO `raw data`.`_dnk_rejected` (run_id, table_name, column_name, reason, `row`, rejected_at) VALUES (?, ?, ?, ?, ?, now64(6, 'UTC'));

-- state
-- args: pipeline="orders sync", table_name="Order \"Lines\"", cursor_value="2026-01-01T00:00:00Z"
INSERT INTO `raw data`.`_dnk_state` (pipeline, table_name, cursor_value, updated_at) VALUES (?, ?, ?, now64(6, 'UTC'));

-- cleanup (on success and on abort)
DROP TABLE IF EXISTS `raw data`.`_dnk_stage_7d0a9ba6bc9d`;
DROP TABLE IF EXISTS `raw data`.`_dnk_pub_7d0a9ba6bc9d`;
