-- bigquery (transactional: true)
-- note: Begin through Commit run as ONE script (one query job): BigQuery transactions live within a script.
-- note: no DDL inside the transaction: dataset, bookkeeping tables, a new target (empty until the first commit) and added columns are created before it; staging is a table that expires after 24 hours, so a crash leaves nothing for long.
-- note: replace is DELETE + INSERT in the transaction (not CREATE OR REPLACE), so the state commits with the data; a replace that changes a column's type is not expressed here (the table must be recreated first).

-- prepare
CREATE SCHEMA IF NOT EXISTS `raw_data`;
CREATE TABLE IF NOT EXISTS `raw_data`.`_dnk_state` (pipeline STRING NOT NULL, table_name STRING NOT NULL, cursor_value STRING NOT NULL, updated_at TIMESTAMP NOT NULL, PRIMARY KEY (pipeline, table_name) NOT ENFORCED);
CREATE TABLE IF NOT EXISTS `raw_data`.`_dnk_rejected` (run_id STRING NOT NULL, table_name STRING NOT NULL, column_name STRING NOT NULL, reason STRING NOT NULL, `row` JSON NOT NULL, rejected_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS `raw_data`.`Order Lines-ü` (`id` INT64 NOT NULL, `Kéy ключ` STRING NOT NULL, `Where` INT64, `a-b` INT64, `a&b` BIGNUMERIC(38, 10), `a=b` NUMERIC(12, 2), `a'b` FLOAT64, `Zoë naïve` FLOAT64, `flag` BOOL, `by tes` BYTES, `day` DATE, `clock` TIME, `wall` DATETIME, `ts tz` TIMESTAMP, `span` STRING, `doc` JSON, `uid` STRING, `unbounded` BIGNUMERIC, `_dnk_loaded_at` TIMESTAMP NOT NULL, `_dnk_run_id` STRING NOT NULL, PRIMARY KEY (`id`, `Kéy ключ`) NOT ENFORCED);
CREATE OR REPLACE TABLE `raw_data`.`_dnk_stage_3e7240c70f7f` (`id` INT64, `Kéy ключ` STRING, `Where` INT64, `a-b` INT64, `a&b` BIGNUMERIC(38, 10), `a=b` NUMERIC(12, 2), `a'b` FLOAT64, `Zoë naïve` FLOAT64, `flag` BOOL, `by tes` BYTES, `day` DATE, `clock` TIME, `wall` DATETIME, `ts tz` TIMESTAMP, `span` STRING, `doc` JSON, `uid` STRING, `unbounded` BIGNUMERIC, `_dnk_seq` INT64 NOT NULL) OPTIONS (expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 24 HOUR));

-- stage: bulk load into `raw_data`.`_dnk_stage_3e7240c70f7f` (id, Kéy ключ, Where, a-b, a&b, a=b, a'b, Zoë naïve, flag, by tes, day, clock, wall, ts tz, span, doc, uid, unbounded, _dnk_seq)

-- begin
BEGIN TRANSACTION;

-- data
-- args: run_id="run-2026-01-01T00:00:00Z-7"
MERGE INTO `raw_data`.`Order Lines-ü` AS t USING (SELECT `id`, `Kéy ключ`, `Where`, `a-b`, `a&b`, `a=b`, `a'b`, `Zoë naïve`, `flag`, `by tes`, `day`, `clock`, `wall`, `ts tz`, `span`, `doc`, `uid`, `unbounded` FROM (SELECT `id`, `Kéy ключ`, `Where`, `a-b`, `a&b`, `a=b`, `a'b`, `Zoë naïve`, `flag`, `by tes`, `day`, `clock`, `wall`, `ts tz`, `span`, `doc`, `uid`, `unbounded`, ROW_NUMBER() OVER (PARTITION BY `id`, `Kéy ключ` ORDER BY `_dnk_seq` DESC) AS `_dnk_rn` FROM `raw_data`.`_dnk_stage_3e7240c70f7f`) AS s0 WHERE s0.`_dnk_rn` = 1) AS s ON t.`id` = s.`id` AND t.`Kéy ключ` = s.`Kéy ключ` WHEN MATCHED THEN UPDATE SET `Where` = s.`Where`, `a-b` = s.`a-b`, `a&b` = s.`a&b`, `a=b` = s.`a=b`, `a'b` = s.`a'b`, `Zoë naïve` = s.`Zoë naïve`, `flag` = s.`flag`, `by tes` = s.`by tes`, `day` = s.`day`, `clock` = s.`clock`, `wall` = s.`wall`, `ts tz` = s.`ts tz`, `span` = s.`span`, `doc` = s.`doc`, `uid` = s.`uid`, `unbounded` = s.`unbounded`, `_dnk_loaded_at` = CURRENT_TIMESTAMP(), `_dnk_run_id` = @run_id WHEN NOT MATCHED THEN INSERT (`id`, `Kéy ключ`, `Where`, `a-b`, `a&b`, `a=b`, `a'b`, `Zoë naïve`, `flag`, `by tes`, `day`, `clock`, `wall`, `ts tz`, `span`, `doc`, `uid`, `unbounded`, `_dnk_loaded_at`, `_dnk_run_id`) VALUES (s.`id`, s.`Kéy ключ`, s.`Where`, s.`a-b`, s.`a&b`, s.`a=b`, s.`a'b`, s.`Zoë naïve`, s.`flag`, s.`by tes`, s.`day`, s.`clock`, s.`wall`, s.`ts tz`, s.`span`, s.`doc`, s.`uid`, s.`unbounded`, CURRENT_TIMESTAMP(), @run_id);

-- rejected: one per rejected row (BigQuery: one for all)
-- args: run_id="run-2026-01-01T00:00:00Z-7", table_name="Order Lines-ü", rejected=<per row>
INSERT INTO `raw_data`.`_dnk_rejected` (run_id, table_name, column_name, reason, `row`, rejected_at) SELECT @run_id, @table_name, r.column_name, r.reason, PARSE_JSON(r.row), CURRENT_TIMESTAMP() FROM UNNEST(@rejected) AS r;

-- state
-- args: state_pipeline="orders sync", state_table="Order Lines-ü", state_cursor="2026-01-01T00:00:00Z"
MERGE INTO `raw_data`.`_dnk_state` AS t USING (SELECT @state_pipeline AS pipeline, @state_table AS table_name, @state_cursor AS cursor_value) AS s ON t.pipeline = s.pipeline AND t.table_name = s.table_name WHEN MATCHED THEN UPDATE SET cursor_value = s.cursor_value, updated_at = CURRENT_TIMESTAMP() WHEN NOT MATCHED THEN INSERT (pipeline, table_name, cursor_value, updated_at) VALUES (s.pipeline, s.table_name, s.cursor_value, CURRENT_TIMESTAMP());

-- commit
COMMIT TRANSACTION;

-- cleanup (on success and on abort)
DROP TABLE IF EXISTS `raw_data`.`_dnk_stage_3e7240c70f7f`;
