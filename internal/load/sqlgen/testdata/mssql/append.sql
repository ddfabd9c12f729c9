-- mssql (transactional: true)
-- note: DDL is transactional: target creation, added columns, data, rejected rows and state commit together (XACT_ABORT ON rolls back on any error).
-- note: append/merge stage in a #temporary table, gone with the session on a crash; replace builds the new table beside the old and swaps it with DROP + sp_rename in the transaction.
-- note: a retry finds its run id in the target (Guard; append also guards in its INSERT) and publishes nothing twice.

-- session
SET XACT_ABORT ON;
SET ANSI_WARNINGS ON;

-- prepare
IF SCHEMA_ID(N'raw data') IS NULL EXEC(N'CREATE SCHEMA [raw data]');
IF OBJECT_ID(N'[raw data].[_dnk_rejected]', N'U') IS NULL CREATE TABLE [raw data].[_dnk_rejected] (run_id nvarchar(100) NOT NULL, table_name nvarchar(128) NOT NULL, column_name nvarchar(128) NOT NULL, reason nvarchar(max) NOT NULL, [row] nvarchar(max) NOT NULL, rejected_at datetimeoffset(6) NOT NULL);
DROP TABLE IF EXISTS [#_dnk_stage_7d0a9ba6bc9d];
CREATE TABLE [#_dnk_stage_7d0a9ba6bc9d] ([id] bigint, [Kéy ключ] nvarchar(450) COLLATE DATABASE_DEFAULT, [Where] smallint, [a"b] int, [a`b] decimal(38,10), [a]]b] decimal(12,2), [a'b;--] real, [Zoë naïve] float, [flag] bit, [by tes] varbinary(max), [day] date, [clock] time(6), [wall] datetime2(6), [ts tz] datetimeoffset(6), [span] nvarchar(100) COLLATE DATABASE_DEFAULT, [doc] nvarchar(max) COLLATE DATABASE_DEFAULT, [uid] uniqueidentifier, [unbounded] decimal(38,10));

-- stage: bulk load into [#_dnk_stage_7d0a9ba6bc9d] (id, Kéy ключ, Where, a"b, a`b, a]b, a'b;--, Zoë naïve, flag, by tes, day, clock, wall, ts tz, span, doc, uid, unbounded)

-- begin
BEGIN TRANSACTION;

-- data
CREATE TABLE [raw data].[Order "Lines"] ([id] bigint NOT NULL, [Kéy ключ] nvarchar(450) NOT NULL, [Where] smallint, [a"b] int, [a`b] decimal(38,10), [a]]b] decimal(12,2), [a'b;--] real, [Zoë naïve] float, [flag] bit, [by tes] varbinary(max), [day] date, [clock] time(6), [wall] datetime2(6), [ts tz] datetimeoffset(6), [span] nvarchar(100), [doc] nvarchar(max), [uid] uniqueidentifier, [unbounded] decimal(38,10), [_dnk_loaded_at] datetimeoffset(6) NOT NULL, [_dnk_run_id] nvarchar(100) NOT NULL);
CREATE INDEX [_dnk_ix_7d0a9ba6bc9d] ON [raw data].[Order "Lines"] ([_dnk_run_id]);
-- args: run_id="run-2026-01-01T00:00:00Z-7"
INSERT INTO [raw data].[Order "Lines"] ([id], [Kéy ключ], [Where], [a"b], [a`b], [a]]b], [a'b;--], [Zoë naïve], [flag], [by tes], [day], [clock], [wall], [ts tz], [span], [doc], [uid], [unbounded], [_dnk_loaded_at], [_dnk_run_id]) SELECT [id], [Kéy ключ], [Where], [a"b], [a`b], [a]]b], [a'b;--], [Zoë naïve], [flag], [by tes], [day], [clock], [wall], [ts tz], [span], [doc], [uid], [unbounded], SYSDATETIMEOFFSET(), @run_id FROM [#_dnk_stage_7d0a9ba6bc9d] WHERE NOT EXISTS (SELECT 1 FROM [raw data].[Order "Lines"] WHERE [_dnk_run_id] = @run_id);

-- rejected: one per rejected row (BigQuery: one for all)
-- args: run_id="run-2026-01-01T00:00:00Z-7", table_name="Order \"Lines\"", column_name=<per row>, reason=<per row>, row=<per row>
INSERT INTO [raw data].[_dnk_rejected] (run_id, table_name, column_name, reason, [row], rejected_at) VALUES (@run_id, @table_name, @column_name, @reason, @row, SYSDATETIMEOFFSET());

-- commit
COMMIT TRANSACTION;

-- cleanup (on success and on abort)
DROP TABLE IF EXISTS [#_dnk_stage_7d0a9ba6bc9d];
