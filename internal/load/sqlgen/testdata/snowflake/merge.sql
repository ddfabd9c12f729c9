-- snowflake (transactional: true)
-- note: DDL commits implicitly in Snowflake, so every DDL statement is in Prepare; the transaction holds DML only (data, rejected rows, state).
-- note: staging is a TEMPORARY table, gone with the session on a crash; the driver fills it through StageInsert with array binding (gosnowflake stages large arrays as files).
-- note: replace is DELETE + INSERT in the transaction rather than ALTER TABLE … SWAP WITH, which would commit apart from the state.

-- session
ALTER SESSION SET QUOTED_IDENTIFIERS_IGNORE_CASE = FALSE;
ALTER SESSION SET TIMEZONE = 'UTC';
ALTER SESSION SET ERROR_ON_NONDETERMINISTIC_MERGE = TRUE;

-- prepare
CREATE SCHEMA IF NOT EXISTS "raw data";
CREATE TABLE IF NOT EXISTS "raw data"."_dnk_state" (pipeline VARCHAR NOT NULL, table_name VARCHAR NOT NULL, cursor_value VARCHAR NOT NULL, updated_at TIMESTAMP_TZ(6) NOT NULL, PRIMARY KEY (pipeline, table_name));
CREATE TABLE IF NOT EXISTS "raw data"."_dnk_rejected" (run_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL, column_name VARCHAR NOT NULL, reason VARCHAR NOT NULL, "row" VARIANT NOT NULL, rejected_at TIMESTAMP_TZ(6) NOT NULL);
CREATE TABLE IF NOT EXISTS "raw data"."Order ""Lines""" ("id" BIGINT NOT NULL, "Kéy ключ" VARCHAR NOT NULL, "Where" SMALLINT, "a""b" INTEGER, "a`b" NUMBER(38,10), "a]b" NUMBER(12,2), "a'b;--" FLOAT, "Zoë naïve" FLOAT, "flag" BOOLEAN, "by tes" BINARY, "day" DATE, "clock" TIME(6), "wall" TIMESTAMP_NTZ(6), "ts tz" TIMESTAMP_TZ(6), "span" VARCHAR, "doc" VARIANT, "uid" VARCHAR(36), "unbounded" NUMBER(38,10), "_dnk_loaded_at" TIMESTAMP_TZ(6) NOT NULL, "_dnk_run_id" VARCHAR NOT NULL, PRIMARY KEY ("id", "Kéy ключ"));
CREATE OR REPLACE TEMPORARY TABLE "raw data"."_dnk_stage_7d0a9ba6bc9d" ("id" BIGINT, "Kéy ключ" VARCHAR, "Where" SMALLINT, "a""b" INTEGER, "a`b" NUMBER(38,10), "a]b" NUMBER(12,2), "a'b;--" FLOAT, "Zoë naïve" FLOAT, "flag" BOOLEAN, "by tes" BINARY, "day" DATE, "clock" TIME(6), "wall" TIMESTAMP_NTZ(6), "ts tz" TIMESTAMP_TZ(6), "span" VARCHAR, "doc" VARCHAR, "uid" VARCHAR(36), "unbounded" NUMBER(38,10), "_dnk_seq" BIGINT NOT NULL);

-- stage: bulk load into "raw data"."_dnk_stage_7d0a9ba6bc9d" (id, Kéy ключ, Where, a"b, a`b, a]b, a'b;--, Zoë naïve, flag, by tes, day, clock, wall, ts tz, span, doc, uid, unbounded, _dnk_seq)

-- stage insert (batched by the driver)
INSERT INTO "raw data"."_dnk_stage_7d0a9ba6bc9d" ("id", "Kéy ключ", "Where", "a""b", "a`b", "a]b", "a'b;--", "Zoë naïve", "flag", "by tes", "day", "clock", "wall", "ts tz", "span", "doc", "uid", "unbounded", "_dnk_seq") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- begin
BEGIN TRANSACTION;

-- data
-- args: run_id="run-2026-01-01T00:00:00Z-7", run_id="run-2026-01-01T00:00:00Z-7"
MERGE INTO "raw data"."Order ""Lines""" AS t USING (SELECT "id", "Kéy ключ", "Where", "a""b", "a`b", "a]b", "a'b;--", "Zoë naïve", "flag", "by tes", "day", "clock", "wall", "ts tz", "span", "doc", "uid", "unbounded" FROM (SELECT "id", "Kéy ключ", "Where", "a""b", "a`b", "a]b", "a'b;--", "Zoë naïve", "flag", "by tes", "day", "clock", "wall", "ts tz", "span", "doc", "uid", "unbounded", ROW_NUMBER() OVER (PARTITION BY "id", "Kéy ключ" ORDER BY "_dnk_seq" DESC) AS "_dnk_rn" FROM "raw data"."_dnk_stage_7d0a9ba6bc9d") AS s0 WHERE s0."_dnk_rn" = 1) AS s ON t."id" = s."id" AND t."Kéy ключ" = s."Kéy ключ" WHEN MATCHED THEN UPDATE SET t."Where" = s."Where", t."a""b" = s."a""b", t."a`b" = s."a`b", t."a]b" = s."a]b", t."a'b;--" = s."a'b;--", t."Zoë naïve" = s."Zoë naïve", t."flag" = s."flag", t."by tes" = s."by tes", t."day" = s."day", t."clock" = s."clock", t."wall" = s."wall", t."ts tz" = s."ts tz", t."span" = s."span", t."doc" = PARSE_JSON(s."doc"), t."uid" = s."uid", t."unbounded" = s."unbounded", t."_dnk_loaded_at" = CURRENT_TIMESTAMP(), t."_dnk_run_id" = ? WHEN NOT MATCHED THEN INSERT ("id", "Kéy ключ", "Where", "a""b", "a`b", "a]b", "a'b;--", "Zoë naïve", "flag", "by tes", "day", "clock", "wall", "ts tz", "span", "doc", "uid", "unbounded", "_dnk_loaded_at", "_dnk_run_id") VALUES (s."id", s."Kéy ключ", s."Where", s."a""b", s."a`b", s."a]b", s."a'b;--", s."Zoë naïve", s."flag", s."by tes", s."day", s."clock", s."wall", s."ts tz", s."span", PARSE_JSON(s."doc"), s."uid", s."unbounded", CURRENT_TIMESTAMP(), ?);

-- rejected: one per rejected row (BigQuery: one for all)
-- args: run_id="run-2026-01-01T00:00:00Z-7", table_name="Order \"Lines\"", column_name=<per row>, reason=<per row>, row=<per row>
INSERT INTO "raw data"."_dnk_rejected" (run_id, table_name, column_name, reason, "row", rejected_at) SELECT ?, ?, ?, ?, PARSE_JSON(?), CURRENT_TIMESTAMP();

-- state
-- args: pipeline="orders sync", table_name="Order \"Lines\"", cursor_value="2026-01-01T00:00:00Z"
MERGE INTO "raw data"."_dnk_state" AS t USING (SELECT ? AS pipeline, ? AS table_name, ? AS cursor_value) AS s ON t.pipeline = s.pipeline AND t.table_name = s.table_name WHEN MATCHED THEN UPDATE SET t.cursor_value = s.cursor_value, t.updated_at = CURRENT_TIMESTAMP() WHEN NOT MATCHED THEN INSERT (pipeline, table_name, cursor_value, updated_at) VALUES (s.pipeline, s.table_name, s.cursor_value, CURRENT_TIMESTAMP());

-- commit
COMMIT;

-- cleanup (on success and on abort)
DROP TABLE IF EXISTS "raw data"."_dnk_stage_7d0a9ba6bc9d";
