-- name: CreatePipeline :one
INSERT INTO pipelines (org_id, name, description, source_connection_id, destination_connection_id,
                       destination_schema, status, config, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING *;

-- name: GetPipeline :one
SELECT * FROM pipelines WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL;

-- name: GetPipelineForUpdate :one
-- The pipeline a PATCH changes, locked so two concurrent changes apply one after the other.
SELECT * FROM pipelines WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL FOR UPDATE;

-- name: ListPipelines :many
SELECT * FROM pipelines
WHERE org_id = $1 AND deleted_at IS NULL AND id > sqlc.arg(after_id)
ORDER BY id
LIMIT sqlc.arg(lim);

-- name: UpdatePipeline :one
-- destination_schema is not settable: it is fixed at creation (renaming never moves data).
UPDATE pipelines
SET name = $3, description = $4, source_connection_id = $5, destination_connection_id = $6,
    status = $7, config = $8, updated_at = now()
WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL
RETURNING *;

-- name: SoftDeletePipeline :one
UPDATE pipelines SET deleted_at = now(), updated_at = now()
WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL
RETURNING *;

-- name: LockPipelineConnection :one
-- A live connection of the org a pipeline is about to use, locked FOR SHARE until commit so a
-- concurrent connection delete (which updates the row first, then looks for users) either
-- waits for this transaction and then sees the pipeline, or has already committed and the
-- row no longer matches.
SELECT id, type FROM connections
WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL
FOR SHARE;

-- name: PipelineActiveRun :one
-- The queued or running run of a pipeline, if any (at most one: runs_one_active).
SELECT id FROM runs
WHERE org_id = $1 AND target_type = 'pipeline' AND target_id = $2 AND status IN ('queued', 'running')
LIMIT 1;

-- name: LatestRunsOfPipelines :many
-- The newest run of each of the given pipelines (those never run have none).
SELECT DISTINCT ON (target_id) * FROM runs
WHERE org_id = $1 AND target_type = 'pipeline' AND target_id = ANY(sqlc.arg(pipeline_ids)::bigint[])
ORDER BY target_id, created_at DESC, id DESC;
