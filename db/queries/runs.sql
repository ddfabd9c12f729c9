-- Runs, writing side (internal/run): trigger, start, progress, finish, cancel, retry; run log
-- lines; the incremental state of pipelines; the catalog entries of loaded tables. Reads for the
-- API (list, get, logs) live in runs_read.sql.

-- FOR SHARE: a pipeline being deleted (its row updated first) waits for, or is seen by, a trigger.
-- name: PipelineForRun :one
SELECT * FROM pipelines WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL
FOR SHARE;

-- name: ActiveRunOf :one
SELECT id FROM runs
WHERE org_id = $1 AND target_type = $2 AND target_id = $3 AND status IN ('queued', 'running')
LIMIT 1;

-- name: CreateRun :one
INSERT INTO runs (org_id, target_type, target_id, trigger, attempt, retry_of, full_refresh, created_by, stats)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING *;

-- name: SetRunJob :one
UPDATE runs SET job_id = $3, updated_at = now() WHERE org_id = $1 AND id = $2 RETURNING *;

-- name: LockRun :one
SELECT * FROM runs WHERE org_id = $1 AND id = $2 FOR UPDATE;

-- name: LockOrgRuns :exec
-- Serializes the starts of one org's runs (transaction-scoped), so counting the running ones
-- and starting one cannot interleave between workers.
SELECT pg_advisory_xact_lock(hashtextextended('datanika.runs.org', sqlc.arg(org_id)::bigint));

-- name: CountRunningRuns :one
SELECT count(*) FROM runs WHERE org_id = $1 AND status = 'running';

-- name: StartRun :one
UPDATE runs SET status = 'running', started_at = now(), finished_at = NULL, error = NULL, stats = $3, updated_at = now()
WHERE org_id = $1 AND id = $2 AND status = 'queued'
RETURNING *;

-- name: RequeueRun :exec
-- A run whose attempt River will retry goes back to queued until the next attempt starts it.
UPDATE runs SET status = 'queued', started_at = NULL, error = $3, updated_at = now()
WHERE org_id = $1 AND id = $2 AND status = 'running';

-- name: FinishRun :one
UPDATE runs SET status = $3, error = $4, rows_loaded = $5, stats = $6, finished_at = now(), updated_at = now()
WHERE org_id = $1 AND id = $2 AND status IN ('queued', 'running')
RETURNING *;

-- name: SettleRun :one
-- A run whose end was not recorded (left running when the metadata database went away) or was
-- recorded by the reaper while its worker was only cut off (failed with reaped_reason) is
-- settled from what its destination committed.
UPDATE runs SET status = $3, error = $4, rows_loaded = $5, stats = $6, finished_at = now(), updated_at = now()
WHERE org_id = $1 AND id = $2 AND (status IN ('queued', 'running') OR (status = 'failed' AND error = sqlc.arg(reaped_reason)::text))
RETURNING *;

-- name: SetRunStats :exec
UPDATE runs SET stats = $3, updated_at = now() WHERE org_id = $1 AND id = $2 AND status = 'running';

-- name: LastRunLogSeq :one
SELECT coalesce(max(seq), 0)::bigint FROM run_logs WHERE org_id = $1 AND run_id = $2;

-- name: InsertRunLogs :exec
-- One statement per batch of lines (COPY is refused on tables with row-level security); the
-- unnests of the select list advance in lockstep.
INSERT INTO run_logs (run_id, org_id, seq, at, level, message, fields)
SELECT sqlc.arg(run_id)::bigint, sqlc.arg(org_id)::bigint,
       unnest(sqlc.arg(seqs)::bigint[]), unnest(sqlc.arg(ats)::timestamptz[]), unnest(sqlc.arg(levels)::text[]),
       unnest(sqlc.arg(messages)::text[]), unnest(sqlc.arg(fields)::jsonb[]);

-- name: GetPipelineState :one
SELECT cursor_value FROM pipeline_state WHERE org_id = $1 AND pipeline_id = $2 AND table_name = $3;

-- name: PutPipelineState :exec
INSERT INTO pipeline_state (org_id, pipeline_id, table_name, cursor_value)
VALUES ($1, $2, $3, $4)
ON CONFLICT (pipeline_id, table_name) DO UPDATE SET cursor_value = EXCLUDED.cursor_value, updated_at = now();

-- name: UpsertSourceCatalogEntry :exec
-- A table a pipeline loaded enters the destination's catalog as a `source` entry, which
-- transformations can name with source('<schema>', '<table>'). A later catalog refresh keeps it
-- while the table exists (its upsert leaves origin alone).
INSERT INTO catalog_entries (org_id, connection_id, origin, schema_name, table_name, kind, columns)
VALUES ($1, $2, 'source', $3, $4, 'table', $5)
ON CONFLICT (connection_id, schema_name, table_name) DO UPDATE
SET origin = 'source', kind = EXCLUDED.kind, columns = EXCLUDED.columns, refreshed_at = now();

-- name: RunChainRoot :one
-- The first run of a chain of retries: retries publish under its tag, so an append that the
-- failed run already published is not appended again.
WITH RECURSIVE chain AS (
    SELECT r.id, r.retry_of FROM runs r WHERE r.org_id = $1 AND r.id = $2
    UNION ALL
    SELECT p.id, p.retry_of FROM runs p JOIN chain c ON p.id = c.retry_of WHERE p.org_id = $1
)
SELECT chain.id FROM chain WHERE chain.retry_of IS NULL LIMIT 1;

-- name: TouchRun :execrows
-- The worker's heartbeat while a run works: a run nobody touches for long is reaped below. No
-- row means the run is no longer running (reaped, or ended elsewhere): the worker stops.
UPDATE runs SET updated_at = now() WHERE org_id = $1 AND id = $2 AND status = 'running';

-- name: ReapStaleRuns :many
-- Runs left running by a worker that stopped touching them end failed, in every org (through
-- the SECURITY DEFINER function of migration 000009).
SELECT * FROM dnk_reap_stale_runs(sqlc.arg(reason)::text, sqlc.arg(stale_seconds)::float8);

-- name: EndOrphanedRuns :many
-- Runs left queued without a live River job end cancelled (their job was cancelled) or failed,
-- in every org (through the SECURITY DEFINER function of migration 000012).
SELECT * FROM dnk_end_orphaned_runs(sqlc.arg(cancelled_reason)::text, sqlc.arg(failed_reason)::text);
