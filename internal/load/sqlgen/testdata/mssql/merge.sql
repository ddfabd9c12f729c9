-- mssql (transactional: true)
-- note: DDL is transactional: target creation, added columns, data, rejected rows and state commit together (XACT_ABORT ON rolls back on any error).
-- note: append/merge stage in a #temporary table, gone with the session on a crash; replace builds the new table beside the old and swaps it with DROP + sp_rename in the transaction.
-- note: a retry finds its run id in the target (Guard; append also guards in its INSERT) and publishes nothing twice.

-- session
SET XACT_ABORT ON;
SET ANSI_WARNINGS ON;

-- prepare
IF SCHEMA_ID(N'raw data') IS NULL EXEC(N'CREATE SCHEMA [raw data]');
IF OBJECT_ID(N'[raw data].[_dnk_state]', N'U') IS NULL CREATE TABLE [raw data].[_dnk_state] (pipeline nvarchar(300) NOT NULL, table_name nvarchar(128) NOT NULL, cursor_value nvarchar(max) NOT NULL, updated_at datetimeoffset(6) NOT NULL, PRIMARY KEY (pipeline, table_name));
IF OBJECT_ID(N'[raw data].[_dnk_rejected]', N'U') IS NULL CREATE TABLE [raw data].[_dnk_rejected] (run_id nvarchar(100) NOT NULL, table_name nvarchar(128) NOT NULL, column_name nvarchar(128) NOT NULL, reason nvarchar(max) NOT NULL, [row] nvarchar(max) NOT NULL, rejected_at datetimeoffset(6) NOT NULL);
DROP TABLE IF EXISTS [#_dnk_stage_7d0a9ba6bc9d];
CREATE TABLE [#_dnk_stage_7d0a9ba6bc9d] ([id] bigint, [Kéy ключ] nvarchar(450) COLLATE DATABASE_DEFAULT, [Where] smallint, [a"b] int, [a`b] decimal(38,10), [a]]b] decimal(12,2), [a'b;--] real, [Zoë naïve] float, [flag] bit, [by tes] varbinary(max), [day] date, [clock] time(6), [wall] datetime2(6), [ts tz] datetimeoffset(6), [span] nvarchar(100) COLLATE DATABASE_DEFAULT, [doc] nvarchar(max) COLLATE DATABASE_DEFAULT, [uid] uniqueidentifier, [unbounded] decimal(38,10), [_dnk_seq] bigint NOT NULL);

-- stage: bulk load into [#_dnk_stage_7d0a9ba6bc9d] (id, Kéy ключ, Where, a"b, a`b, a]b, a'b;--, Zoë naïve, flag, by tes, day, clock, wall, ts tz, span, doc, uid, unbounded, _dnk_seq)

-- begin
BEGIN TRANSACTION;

-- data
CREATE TABLE [raw data].[Order "Lines"] ([id] bigint NOT NULL, [Kéy ключ] nvarchar(450) NOT NULL, [Where] smallint, [a"b] int, [a`b] decimal(38,10), [a]]b] decimal(12,2), [a'b;--] real, [Zoë naïve] float, [flag] bit, [by tes] varbinary(max), [day] date, [clock] time(6), [wall] datetime2(6), [ts tz] datetimeoffset(6), [span] nvarchar(100), [doc] nvarchar(max), [uid] uniqueidentifier, [unbounded] decimal(38,10), [_dnk_loaded_at] datetimeoffset(6) NOT NULL, [_dnk_run_id] nvarchar(100) NOT NULL, CONSTRAINT [_dnk_pk_7d0a9ba6bc9d] PRIMARY KEY ([id], [Kéy ключ]));
CREATE INDEX [_dnk_ix_7d0a9ba6bc9d] ON [raw data].[Order "Lines"] ([_dnk_run_id]);
-- args: run_id="run-2026-01-01T00:00:00Z-7"
MERGE INTO [raw data].[Order "Lines"] WITH (HOLDLOCK) AS t USING (SELECT [id], [Kéy ключ], [Where], [a"b], [a`b], [a]]b], [a'b;--], [Zoë naïve], [flag], [by tes], [day], [clock], [wall], [ts tz], [span], [doc], [uid], [unbounded] FROM (SELECT [id], [Kéy ключ], [Where], [a"b], [a`b], [a]]b], [a'b;--], [Zoë naïve], [flag], [by tes], [day], [clock], [wall], [ts tz], [span], [doc], [uid], [unbounded], ROW_NUMBER() OVER (PARTITION BY [id], [Kéy ключ] ORDER BY [_dnk_seq] DESC) AS [_dnk_rn] FROM [#_dnk_stage_7d0a9ba6bc9d]) AS s0 WHERE s0.[_dnk_rn] = 1) AS s ON t.[id] = s.[id] AND t.[Kéy ключ] = s.[Kéy ключ] WHEN MATCHED THEN UPDATE SET t.[Where] = s.[Where], t.[a"b] = s.[a"b], t.[a`b] = s.[a`b], t.[a]]b] = s.[a]]b], t.[a'b;--] = s.[a'b;--], t.[Zoë naïve] = s.[Zoë naïve], t.[flag] = s.[flag], t.[by tes] = s.[by tes], t.[day] = s.[day], t.[clock] = s.[clock], t.[wall] = s.[wall], t.[ts tz] = s.[ts tz], t.[span] = s.[span], t.[doc] = s.[doc], t.[uid] = s.[uid], t.[unbounded] = s.[unbounded], t.[_dnk_loaded_at] = SYSDATETIMEOFFSET(), t.[_dnk_run_id] = @run_id WHEN NOT MATCHED BY TARGET THEN INSERT ([id], [Kéy ключ], [Where], [a"b], [a`b], [a]]b], [a'b;--], [Zoë naïve], [flag], [by tes], [day], [clock], [wall], [ts tz], [span], [doc], [uid], [unbounded], [_dnk_loaded_at], [_dnk_run_id]) VALUES (s.[id], s.[Kéy ключ], s.[Where], s.[a"b], s.[a`b], s.[a]]b], s.[a'b;--], s.[Zoë naïve], s.[flag], s.[by tes], s.[day], s.[clock], s.[wall], s.[ts tz], s.[span], s.[doc], s.[uid], s.[unbounded], SYSDATETIMEOFFSET(), @run_id);

-- rejected: one per rejected row (BigQuery: one for all)
-- args: run_id="run-2026-01-01T00:00:00Z-7", table_name="Order \"Lines\"", column_name=<per row>, reason=<per row>, row=<per row>
INSERT INTO [raw data].[_dnk_rejected] (run_id, table_name, column_name, reason, [row], rejected_at) VALUES (@run_id, @table_name, @column_name, @reason, @row, SYSDATETIMEOFFSET());

-- state
-- args: pipeline="orders sync", table_name="Order \"Lines\"", cursor_value="2026-01-01T00:00:00Z"
MERGE INTO [raw data].[_dnk_state] WITH (HOLDLOCK) AS t USING (SELECT @pipeline AS pipeline, @table_name AS table_name, @cursor_value AS cursor_value) AS s ON t.pipeline = s.pipeline AND t.table_name = s.table_name WHEN MATCHED THEN UPDATE SET cursor_value = s.cursor_value, updated_at = SYSDATETIMEOFFSET() WHEN NOT MATCHED THEN INSERT (pipeline, table_name, cursor_value, updated_at) VALUES (s.pipeline, s.table_name, s.cursor_value, SYSDATETIMEOFFSET());

-- commit
COMMIT TRANSACTION;

-- cleanup (on success and on abort)
DROP TABLE IF EXISTS [#_dnk_stage_7d0a9ba6bc9d];
