-- name: CreateTransformation :one
INSERT INTO transformations (org_id, name, description, sql_body, materialization, schema_name,
                             destination_connection_id, tags, incremental_config, snapshot_config,
                             tests_config, path, config, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
RETURNING *;

-- name: GetTransformation :one
SELECT * FROM transformations WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL;

-- name: GetTransformationForUpdate :one
SELECT * FROM transformations WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL FOR UPDATE;

-- name: ListTransformations :many
SELECT * FROM transformations
WHERE org_id = $1 AND deleted_at IS NULL AND id > sqlc.arg(after_id)
ORDER BY id
LIMIT sqlc.arg(lim);

-- name: ProjectTransformations :many
-- Every live model of one destination connection: one dbt project.
SELECT * FROM transformations
WHERE org_id = $1 AND destination_connection_id = $2 AND deleted_at IS NULL
ORDER BY id;

-- name: UpdateTransformation :one
UPDATE transformations
SET name = $3, description = $4, sql_body = $5, materialization = $6, schema_name = $7,
    destination_connection_id = $8, tags = $9, incremental_config = $10, snapshot_config = $11,
    tests_config = $12, path = $13, config = $14, updated_at = now()
WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL
RETURNING *;

-- name: SoftDeleteTransformation :one
UPDATE transformations SET deleted_at = now(), updated_at = now()
WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL
RETURNING *;

-- name: TargetActiveRun :one
-- The queued or running run of a transformation or job, if any (at most one: runs_one_active).
SELECT id FROM runs
WHERE org_id = $1 AND target_type = $2 AND target_id = $3 AND status IN ('queued', 'running')
LIMIT 1;

-- name: LockDestinationConnection :one
-- A live connection of the org a transformation, seed, source or job is about to use, locked
-- FOR SHARE until commit (see LockPipelineConnection).
SELECT * FROM connections
WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL
FOR SHARE;

-- name: ProjectPipelineSources :many
-- The pipelines loading into a connection: each contributes a source named by its schema.
SELECT id, name, destination_schema, config FROM pipelines
WHERE org_id = $1 AND destination_connection_id = $2 AND deleted_at IS NULL
ORDER BY id;

-- name: CatalogTablesOfSchemas :many
-- The tables the catalog knows of a connection in the given schemas.
SELECT schema_name, table_name FROM catalog_entries
WHERE org_id = $1 AND connection_id = $2 AND schema_name = ANY(sqlc.arg(schemas)::text[])
ORDER BY schema_name, table_name;

-- name: CreateMacro :one
INSERT INTO macros (org_id, name, description, sql_body, created_by)
VALUES ($1, $2, $3, $4, $5)
RETURNING *;

-- name: GetMacro :one
SELECT * FROM macros WHERE org_id = $1 AND id = $2;

-- name: GetMacroForUpdate :one
SELECT * FROM macros WHERE org_id = $1 AND id = $2 FOR UPDATE;

-- name: ListMacros :many
SELECT * FROM macros WHERE org_id = $1 AND id > sqlc.arg(after_id) ORDER BY id LIMIT sqlc.arg(lim);

-- name: AllMacros :many
SELECT * FROM macros WHERE org_id = $1 ORDER BY id;

-- name: UpdateMacro :one
UPDATE macros SET name = $3, description = $4, sql_body = $5, updated_at = now()
WHERE org_id = $1 AND id = $2
RETURNING *;

-- name: DeleteMacro :one
DELETE FROM macros WHERE org_id = $1 AND id = $2 RETURNING *;

-- name: CreateSeed :one
INSERT INTO seeds (org_id, name, description, file_id, destination_connection_id, schema_name,
                   column_types, csv, row_count, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING *;

-- name: GetSeed :one
SELECT * FROM seeds WHERE org_id = $1 AND id = $2;

-- name: ListSeeds :many
SELECT * FROM seeds WHERE org_id = $1 AND id > sqlc.arg(after_id) ORDER BY id LIMIT sqlc.arg(lim);

-- name: ProjectSeeds :many
SELECT * FROM seeds WHERE org_id = $1 AND destination_connection_id = $2 ORDER BY id;

-- name: UpdateSeed :one
UPDATE seeds SET description = $3, schema_name = $4, column_types = $5, csv = $6, row_count = $7,
                 file_id = $8, updated_at = now()
WHERE org_id = $1 AND id = $2
RETURNING *;

-- name: DeleteSeed :one
DELETE FROM seeds WHERE org_id = $1 AND id = $2 RETURNING *;

-- name: CreateSource :one
INSERT INTO sources (org_id, name, description, schema_name, connection_id, tables, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: GetSource :one
SELECT * FROM sources WHERE org_id = $1 AND id = $2;

-- name: GetSourceForUpdate :one
SELECT * FROM sources WHERE org_id = $1 AND id = $2 FOR UPDATE;

-- name: ListSources :many
SELECT * FROM sources WHERE org_id = $1 AND id > sqlc.arg(after_id) ORDER BY id LIMIT sqlc.arg(lim);

-- name: ProjectSources :many
SELECT * FROM sources WHERE org_id = $1 AND connection_id = $2 ORDER BY id;

-- name: UpdateSource :one
UPDATE sources SET name = $3, description = $4, schema_name = $5, connection_id = $6, tables = $7, updated_at = now()
WHERE org_id = $1 AND id = $2
RETURNING *;

-- name: DeleteSource :one
DELETE FROM sources WHERE org_id = $1 AND id = $2 RETURNING *;

-- name: CreateJob :one
INSERT INTO jobs (org_id, name, description, command, "select", exclude, full_refresh, threads,
                  destination_connection_id, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING *;

-- name: GetJob :one
SELECT * FROM jobs WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL;

-- name: GetJobForUpdate :one
SELECT * FROM jobs WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL FOR UPDATE;

-- name: ListJobs :many
SELECT * FROM jobs
WHERE org_id = $1 AND deleted_at IS NULL AND id > sqlc.arg(after_id)
ORDER BY id
LIMIT sqlc.arg(lim);

-- name: UpdateJob :one
UPDATE jobs
SET name = $3, description = $4, command = $5, "select" = $6, exclude = $7, full_refresh = $8,
    threads = $9, destination_connection_id = $10, updated_at = now()
WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL
RETURNING *;

-- name: SoftDeleteJob :one
UPDATE jobs SET deleted_at = now(), updated_at = now()
WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL
RETURNING *;

-- name: TransformationDestinations :many
-- The connections that hold models, seeds or sources of the org: one project each.
SELECT t.destination_connection_id AS id FROM transformations t WHERE t.org_id = sqlc.arg(for_org) AND t.deleted_at IS NULL
UNION SELECT s.destination_connection_id FROM seeds s WHERE s.org_id = sqlc.arg(for_org)
UNION SELECT o.connection_id FROM sources o WHERE o.org_id = sqlc.arg(for_org)
ORDER BY 1;

-- name: CreateTransformRun :one
INSERT INTO runs (org_id, target_type, target_id, trigger, attempt, retry_of, full_refresh, created_by, stats,
                  command, selector, exclude, threads)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
RETURNING *;

-- name: PutRunArtifact :exec
INSERT INTO run_artifacts (run_id, name, org_id, body) VALUES ($1, $2, $3, $4)
ON CONFLICT (run_id, name) DO UPDATE SET body = EXCLUDED.body, created_at = now();

-- name: GetRunArtifact :one
SELECT a.body FROM run_artifacts a JOIN runs r ON r.id = a.run_id
WHERE r.org_id = $1 AND a.run_id = $2 AND a.name = $3;

-- name: GetJobForRun :one
SELECT * FROM jobs WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL FOR SHARE;

-- name: GetTransformationForRun :one
SELECT * FROM transformations WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL FOR SHARE;

-- name: UpsertBuiltCatalogEntries :exec
-- The relations a transform run built enter their destination's catalog (kind view or table),
-- all in one statement: element i of each array is relation i (no (schema, table) twice; the
-- unnests of the select list advance in lockstep).
INSERT INTO catalog_entries (org_id, connection_id, schema_name, table_name, kind, columns)
SELECT sqlc.arg(org_id)::bigint, sqlc.arg(connection_id)::bigint,
       unnest(sqlc.arg(schema_names)::text[]), unnest(sqlc.arg(table_names)::text[]), unnest(sqlc.arg(kinds)::text[]),
       unnest(sqlc.arg(columns)::jsonb[])
ON CONFLICT (connection_id, schema_name, table_name) DO UPDATE
SET kind = EXCLUDED.kind, columns = EXCLUDED.columns, refreshed_at = now();

-- name: TransformRunDestination :one
-- The destination connection of a transformation's or job's run target (deleted ones included:
-- a run queued before a delete still knows where it was to run).
SELECT t.destination_connection_id FROM transformations t
WHERE t.org_id = sqlc.arg(for_org) AND t.id = sqlc.arg(target_id) AND sqlc.arg(target_type)::text = 'transformation'
UNION ALL
SELECT j.destination_connection_id FROM jobs j
WHERE j.org_id = sqlc.arg(for_org) AND j.id = sqlc.arg(target_id) AND sqlc.arg(target_type)::text = 'job'
LIMIT 1;

-- name: GetProjectVars :one
SELECT vars FROM transform_projects WHERE org_id = $1 AND connection_id = $2;

-- name: PutProjectVars :exec
INSERT INTO transform_projects (connection_id, org_id, vars) VALUES ($1, $2, $3)
ON CONFLICT (connection_id) DO UPDATE SET vars = EXCLUDED.vars, updated_at = now();

-- name: GetTransformationByName :one
SELECT * FROM transformations WHERE org_id = $1 AND lower(name) = lower(sqlc.arg(name)) AND deleted_at IS NULL FOR UPDATE;

-- name: GetMacroByName :one
SELECT * FROM macros WHERE org_id = $1 AND lower(name) = lower(sqlc.arg(name)) FOR UPDATE;

-- name: GetSeedByName :one
SELECT * FROM seeds WHERE org_id = $1 AND lower(name) = lower(sqlc.arg(name)) FOR UPDATE;

-- name: GetSourceByName :one
SELECT * FROM sources WHERE org_id = $1 AND connection_id = $2 AND lower(name) = lower(sqlc.arg(name)) FOR UPDATE;
