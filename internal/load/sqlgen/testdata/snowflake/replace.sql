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
CREATE TABLE IF NOT EXISTS "raw data"."_dnk_rejected" (run_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL, column_name VARCHAR NOT NULL, reason VARCHAR NOT NULL, "row" VARIANT NOT NULL, rejected_at TIMESTAMP_TZ(6) NOT NULL);
CREATE TABLE IF NOT EXISTS "raw data"."Order ""Lines""" ("id" BIGINT NOT NULL, "Kéy ключ" VARCHAR NOT NULL, "Where" SMALLINT, "a""b" INTEGER, "a`b" NUMBER(38,10), "a]b" NUMBER(12,2), "a'b;--" FLOAT, "Zoë naïve" FLOAT, "flag" BOOLEAN, "by tes" BINARY, "day" DATE, "clock" TIME(6), "wall" TIMESTAMP_NTZ(6), "ts tz" TIMESTAMP_TZ(6), "span" VARCHAR, "doc" VARIANT, "uid" VARCHAR(36), "unbounded" NUMBER(38,10), "_dnk_loaded_at" TIMESTAMP_TZ(6) NOT NULL, "_dnk_run_id" VARCHAR NOT NULL, PRIMARY KEY ("id", "Kéy ключ"));
CREATE OR REPLACE TEMPORARY TABLE "raw data"."_dnk_stage_7d0a9ba6bc9d" ("id" BIGINT, "Kéy ключ" VARCHAR, "Where" SMALLINT, "a""b" INTEGER, "a`b" NUMBER(38,10), "a]b" NUMBER(12,2), "a'b;--" FLOAT, "Zoë naïve" FLOAT, "flag" BOOLEAN, "by tes" BINARY, "day" DATE, "clock" TIME(6), "wall" TIMESTAMP_NTZ(6), "ts tz" TIMESTAMP_TZ(6), "span" VARCHAR, "doc" VARCHAR, "uid" VARCHAR(36), "unbounded" NUMBER(38,10));

-- stage: bulk load into "raw data"."_dnk_stage_7d0a9ba6bc9d" (id, Kéy ключ, Where, a"b, a`b, a]b, a'b;--, Zoë naïve, flag, by tes, day, clock, wall, ts tz, span, doc, uid, unbounded)

-- stage insert (batched by the driver)
INSERT INTO "raw data"."_dnk_stage_7d0a9ba6bc9d" ("id", "Kéy ключ", "Where", "a""b", "a`b", "a]b", "a'b;--", "Zoë naïve", "flag", "by tes", "day", "clock", "wall", "ts tz", "span", "doc", "uid", "unbounded") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- begin
BEGIN TRANSACTION;

-- data
DELETE FROM "raw data"."Order ""Lines""";
-- args: run_id="run-2026-01-01T00:00:00Z-7"
INSERT INTO "raw data"."Order ""Lines""" ("id", "Kéy ключ", "Where", "a""b", "a`b", "a]b", "a'b;--", "Zoë naïve", "flag", "by tes", "day", "clock", "wall", "ts tz", "span", "doc", "uid", "unbounded", "_dnk_loaded_at", "_dnk_run_id") SELECT "id", "Kéy ключ", "Where", "a""b", "a`b", "a]b", "a'b;--", "Zoë naïve", "flag", "by tes", "day", "clock", "wall", "ts tz", "span", PARSE_JSON("doc"), "uid", "unbounded", CURRENT_TIMESTAMP(), ? FROM "raw data"."_dnk_stage_7d0a9ba6bc9d";

-- rejected: one per rejected row (BigQuery: one for all)
-- args: run_id="run-2026-01-01T00:00:00Z-7", table_name="Order \"Lines\"", column_name=<per row>, reason=<per row>, row=<per row>
INSERT INTO "raw data"."_dnk_rejected" (run_id, table_name, column_name, reason, "row", rejected_at) SELECT ?, ?, ?, ?, PARSE_JSON(?), CURRENT_TIMESTAMP();

-- commit
COMMIT;

-- cleanup (on success and on abort)
DROP TABLE IF EXISTS "raw data"."_dnk_stage_7d0a9ba6bc9d";
