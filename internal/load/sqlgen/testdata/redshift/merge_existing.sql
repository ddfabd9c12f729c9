-- redshift (transactional: true)
-- note: Redshift has no COPY FROM STDIN: the engine writes gzip CSV files and a manifest to S3 (NULL as \N, bytes hex-encoded) and Load COPYs them into a TEMP table, which vanishes with the session on a crash.
-- note: DDL is transactional: target creation, added columns, replace's DROP + CREATE + INSERT, merge's DELETE + INSERT, rejected rows and state commit together; TRUNCATE (which commits implicitly) is never used.
-- note: primary keys are declared but not enforced by Redshift; merge's DELETE of the staged keys keeps them unique.

-- session
SET enable_case_sensitive_identifier TO true;
SET timezone TO 'UTC';

-- prepare
CREATE SCHEMA IF NOT EXISTS "raw data";
CREATE TABLE IF NOT EXISTS "raw data"."_dnk_state" (pipeline varchar(512) NOT NULL, table_name varchar(512) NOT NULL, cursor_value varchar(65535) NOT NULL, updated_at timestamptz NOT NULL, PRIMARY KEY (pipeline, table_name));
CREATE TABLE IF NOT EXISTS "raw data"."_dnk_rejected" (run_id varchar(100) NOT NULL, table_name varchar(512) NOT NULL, column_name varchar(512) NOT NULL, reason varchar(65535) NOT NULL, "row" varchar(65535) NOT NULL, rejected_at timestamptz NOT NULL);
DROP TABLE IF EXISTS "_dnk_stage_7d0a9ba6bc9d";
CREATE TEMP TABLE "_dnk_stage_7d0a9ba6bc9d" ("id" bigint, "Kéy ключ" varchar(65535), "Where" smallint, "a""b" integer, "a`b" decimal(38,10), "a]b" decimal(12,2), "a'b;--" real, "Zoë naïve" double precision, "flag" boolean, "by tes" varbyte(1024000), "day" date, "clock" time, "wall" timestamp, "ts tz" timestamptz, "span" varchar(100), "doc" varchar(65535), "uid" char(36), "unbounded" decimal(38,10), "_dnk_seq" bigint NOT NULL);

-- stage: bulk load into "_dnk_stage_7d0a9ba6bc9d" (id, Kéy ключ, Where, a"b, a`b, a]b, a'b;--, Zoë naïve, flag, by tes, day, clock, wall, ts tz, span, doc, uid, unbounded, _dnk_seq)

-- load
COPY "_dnk_stage_7d0a9ba6bc9d" ("id", "Kéy ключ", "Where", "a""b", "a`b", "a]b", "a'b;--", "Zoë naïve", "flag", "by tes", "day", "clock", "wall", "ts tz", "span", "doc", "uid", "unbounded", "_dnk_seq") FROM 's3://dnk-bucket/raw/run-7/order_lines.manifest' IAM_ROLE 'arn:aws:iam::123456789012:role/datanika-load' MANIFEST FORMAT AS CSV GZIP NULL AS '\\N' TIMEFORMAT 'auto' DATEFORMAT 'auto' COMPUPDATE OFF STATUPDATE OFF;

-- begin
BEGIN;

-- guard: a count > 0 means this run already published; skip data
-- args: run_id="run-2026-01-01T00:00:00Z-7"
SELECT count(*) FROM "raw data"."Order ""Lines""" WHERE "_dnk_run_id" = CAST($1 AS varchar(100));

-- data
ALTER TABLE "raw data"."Order ""Lines""" ADD COLUMN "unbounded" decimal(38,10);
DELETE FROM "raw data"."Order ""Lines""" USING (SELECT DISTINCT "id", "Kéy ключ" FROM "_dnk_stage_7d0a9ba6bc9d") AS s WHERE "raw data"."Order ""Lines"""."id" = s."id" AND "raw data"."Order ""Lines"""."Kéy ключ" = s."Kéy ключ";
-- args: run_id="run-2026-01-01T00:00:00Z-7"
INSERT INTO "raw data"."Order ""Lines""" ("id", "Kéy ключ", "Where", "a""b", "a`b", "a]b", "a'b;--", "Zoë naïve", "flag", "by tes", "day", "clock", "wall", "ts tz", "span", "doc", "uid", "unbounded", "_dnk_loaded_at", "_dnk_run_id") SELECT "id", "Kéy ключ", "Where", "a""b", "a`b", "a]b", "a'b;--", "Zoë naïve", "flag", "by tes", "day", "clock", "wall", "ts tz", "span", JSON_PARSE("doc"), "uid", "unbounded", GETDATE(), CAST($1 AS varchar(100)) FROM (SELECT "id", "Kéy ключ", "Where", "a""b", "a`b", "a]b", "a'b;--", "Zoë naïve", "flag", "by tes", "day", "clock", "wall", "ts tz", "span", "doc", "uid", "unbounded" FROM (SELECT "id", "Kéy ключ", "Where", "a""b", "a`b", "a]b", "a'b;--", "Zoë naïve", "flag", "by tes", "day", "clock", "wall", "ts tz", "span", "doc", "uid", "unbounded", ROW_NUMBER() OVER (PARTITION BY "id", "Kéy ключ" ORDER BY "_dnk_seq" DESC) AS "_dnk_rn" FROM "_dnk_stage_7d0a9ba6bc9d") AS s0 WHERE s0."_dnk_rn" = 1) AS s1;

-- rejected: one per rejected row (BigQuery: one for all)
-- args: run_id="run-2026-01-01T00:00:00Z-7", table_name="Order \"Lines\"", column_name=<per row>, reason=<per row>, row=<per row>
INSERT INTO "raw data"."_dnk_rejected" (run_id, table_name, column_name, reason, "row", rejected_at) VALUES ($1, $2, $3, $4, $5, GETDATE());

-- state
-- args: pipeline="orders sync", table_name="Order \"Lines\""
DELETE FROM "raw data"."_dnk_state" WHERE pipeline = $1 AND table_name = $2;
-- args: pipeline="orders sync", table_name="Order \"Lines\"", cursor_value="2026-01-01T00:00:00Z"
INSERT INTO "raw data"."_dnk_state" (pipeline, table_name, cursor_value, updated_at) VALUES ($1, $2, $3, GETDATE());

-- commit
COMMIT;

-- cleanup (on success and on abort)
DROP TABLE IF EXISTS "_dnk_stage_7d0a9ba6bc9d";
