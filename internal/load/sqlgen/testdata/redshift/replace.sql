-- redshift (transactional: true)
-- note: Redshift has no COPY FROM STDIN: the engine writes gzip CSV files and a manifest to S3 (NULL as \N, bytes hex-encoded) and Load COPYs them into a TEMP table, which vanishes with the session on a crash.
-- note: DDL is transactional: target creation, added columns, replace's DROP + CREATE + INSERT, merge's DELETE + INSERT, rejected rows and state commit together; TRUNCATE (which commits implicitly) is never used.
-- note: primary keys are declared but not enforced by Redshift; merge's DELETE of the staged keys keeps them unique.

-- session
SET enable_case_sensitive_identifier TO true;
SET timezone TO 'UTC';

-- prepare
CREATE SCHEMA IF NOT EXISTS "raw data";
CREATE TABLE IF NOT EXISTS "raw data"."_dnk_rejected" (run_id varchar(100) NOT NULL, table_name varchar(512) NOT NULL, column_name varchar(512) NOT NULL, reason varchar(65535) NOT NULL, "row" varchar(65535) NOT NULL, rejected_at timestamptz NOT NULL);
DROP TABLE IF EXISTS "_dnk_stage_7d0a9ba6bc9d";
CREATE TEMP TABLE "_dnk_stage_7d0a9ba6bc9d" ("id" bigint, "Kéy ключ" varchar(65535), "Where" smallint, "a""b" integer, "a`b" decimal(38,10), "a]b" decimal(12,2), "a'b;--" real, "Zoë naïve" double precision, "flag" boolean, "by tes" varbyte(1024000), "day" date, "clock" time, "wall" timestamp, "ts tz" timestamptz, "span" varchar(100), "doc" varchar(65535), "uid" char(36), "unbounded" decimal(38,10));

-- stage: bulk load into "_dnk_stage_7d0a9ba6bc9d" (id, Kéy ключ, Where, a"b, a`b, a]b, a'b;--, Zoë naïve, flag, by tes, day, clock, wall, ts tz, span, doc, uid, unbounded)

-- load
COPY "_dnk_stage_7d0a9ba6bc9d" ("id", "Kéy ключ", "Where", "a""b", "a`b", "a]b", "a'b;--", "Zoë naïve", "flag", "by tes", "day", "clock", "wall", "ts tz", "span", "doc", "uid", "unbounded") FROM 's3://dnk-bucket/raw/run-7/order_lines.manifest' IAM_ROLE 'arn:aws:iam::123456789012:role/datanika-load' MANIFEST FORMAT AS CSV GZIP NULL AS '\\N' TIMEFORMAT 'auto' DATEFORMAT 'auto' COMPUPDATE OFF STATUPDATE OFF;

-- begin
BEGIN;

-- data
DROP TABLE IF EXISTS "raw data"."Order ""Lines""";
CREATE TABLE "raw data"."Order ""Lines""" ("id" bigint NOT NULL, "Kéy ключ" varchar(65535) NOT NULL, "Where" smallint, "a""b" integer, "a`b" decimal(38,10), "a]b" decimal(12,2), "a'b;--" real, "Zoë naïve" double precision, "flag" boolean, "by tes" varbyte(1024000), "day" date, "clock" time, "wall" timestamp, "ts tz" timestamptz, "span" varchar(100), "doc" super, "uid" char(36), "unbounded" decimal(38,10), "_dnk_loaded_at" timestamptz NOT NULL, "_dnk_run_id" varchar(100) NOT NULL, PRIMARY KEY ("id", "Kéy ключ"));
-- args: run_id="run-2026-01-01T00:00:00Z-7"
INSERT INTO "raw data"."Order ""Lines""" ("id", "Kéy ключ", "Where", "a""b", "a`b", "a]b", "a'b;--", "Zoë naïve", "flag", "by tes", "day", "clock", "wall", "ts tz", "span", "doc", "uid", "unbounded", "_dnk_loaded_at", "_dnk_run_id") SELECT "id", "Kéy ключ", "Where", "a""b", "a`b", "a]b", "a'b;--", "Zoë naïve", "flag", "by tes", "day", "clock", "wall", "ts tz", "span", JSON_PARSE("doc"), "uid", "unbounded", GETDATE(), CAST($1 AS varchar(100)) FROM "_dnk_stage_7d0a9ba6bc9d";

-- rejected: one per rejected row (BigQuery: one for all)
-- args: run_id="run-2026-01-01T00:00:00Z-7", table_name="Order \"Lines\"", column_name=<per row>, reason=<per row>, row=<per row>
INSERT INTO "raw data"."_dnk_rejected" (run_id, table_name, column_name, reason, "row", rejected_at) VALUES ($1, $2, $3, $4, $5, GETDATE());

-- commit
COMMIT;

-- cleanup (on success and on abort)
DROP TABLE IF EXISTS "_dnk_stage_7d0a9ba6bc9d";
