-- name: ListDependencies :many
SELECT * FROM dependencies WHERE org_id = $1 AND id > sqlc.arg(after_id) ORDER BY id LIMIT sqlc.arg(lim);

-- name: AllDependencies :many
SELECT * FROM dependencies WHERE org_id = $1 ORDER BY id;

-- name: CreateDependency :one
INSERT INTO dependencies (org_id, upstream_type, upstream_id, downstream_type, downstream_id,
                          check_timeframe_value, check_timeframe_unit, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *;

-- name: DeleteDependency :one
DELETE FROM dependencies WHERE org_id = $1 AND id = $2 RETURNING *;

-- name: DeleteDependenciesOfNode :exec
-- A node deleted takes its declared edges with it.
DELETE FROM dependencies WHERE org_id = $1
  AND ((upstream_type = sqlc.arg(node_type) AND upstream_id = sqlc.arg(node_id))
    OR (downstream_type = sqlc.arg(node_type) AND downstream_id = sqlc.arg(node_id)));

-- name: LockOrgDependencies :exec
-- Serializes the changes of an org's edges, so two concurrent edges cannot close a cycle.
SELECT pg_advisory_xact_lock(hashtextextended('dependencies', sqlc.arg(org_id)::bigint));

-- name: DagNodes :many
-- Every live node of the org: pipelines, transformations, jobs.
SELECT 'pipeline'::text AS node_type, p.id, p.name, p.status::text AS status FROM pipelines p WHERE p.org_id = sqlc.arg(org_id) AND p.deleted_at IS NULL
UNION ALL
SELECT 'transformation'::text, t.id, t.name, ''::text FROM transformations t WHERE t.org_id = sqlc.arg(org_id) AND t.deleted_at IS NULL
UNION ALL
SELECT 'job'::text, j.id, j.name, ''::text FROM jobs j WHERE j.org_id = sqlc.arg(org_id) AND j.deleted_at IS NULL;

-- name: LastRunsOfNodes :many
-- The newest run of each node.
SELECT DISTINCT ON (target_type, target_id) target_type, target_id, id, status, started_at, finished_at, dag_run_id
FROM runs WHERE org_id = $1
ORDER BY target_type, target_id, created_at DESC, id DESC;

-- name: LastEndedRunsOfNodes :many
-- The newest ended run of each node that failed or succeeded (for failing nodes).
SELECT DISTINCT ON (target_type, target_id) *
FROM runs WHERE org_id = $1 AND status IN ('success', 'failed')
ORDER BY target_type, target_id, finished_at DESC NULLS LAST, id DESC;

-- name: NodeName :one
SELECT name FROM (
    SELECT p.name FROM pipelines p WHERE p.org_id = sqlc.arg(org_id) AND sqlc.arg(node_type)::text = 'pipeline' AND p.id = sqlc.arg(node_id) AND p.deleted_at IS NULL
    UNION ALL
    SELECT t.name FROM transformations t WHERE t.org_id = sqlc.arg(org_id) AND sqlc.arg(node_type)::text = 'transformation' AND t.id = sqlc.arg(node_id) AND t.deleted_at IS NULL
    UNION ALL
    SELECT j.name FROM jobs j WHERE j.org_id = sqlc.arg(org_id) AND sqlc.arg(node_type)::text = 'job' AND j.id = sqlc.arg(node_id) AND j.deleted_at IS NULL
) n LIMIT 1;

-- name: CreateDagRun :one
INSERT INTO dag_runs (org_id, root_type, root_id, trigger, full_refresh, schedule_id, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: AddDagRunNode :exec
INSERT INTO dag_run_nodes (dag_run_id, org_id, node_type, node_id, position, upstreams)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: GetDagRun :one
SELECT * FROM dag_runs WHERE org_id = $1 AND id = $2;

-- name: LockDagRun :one
SELECT * FROM dag_runs WHERE org_id = $1 AND id = $2 FOR UPDATE;

-- name: DagRunNodes :many
SELECT n.node_type, n.node_id, n.position, n.upstreams, n.run_id,
       r.status AS run_status, r.error AS run_error
FROM dag_run_nodes n LEFT JOIN runs r ON r.id = n.run_id
WHERE n.org_id = $1 AND n.dag_run_id = $2
ORDER BY n.position;

-- name: SetDagRunNodeRun :exec
UPDATE dag_run_nodes SET run_id = $4 WHERE org_id = $1 AND dag_run_id = $2 AND node_type = sqlc.arg(node_type) AND node_id = $3;

-- name: FinishDagRun :one
UPDATE dag_runs SET status = $3, finished_at = now() WHERE org_id = $1 AND id = $2 AND status = 'running' RETURNING *;

-- name: CreateSkippedRun :one
-- A node of a cascade that will not run: a run that ends skipped at once, with the reason.
INSERT INTO runs (org_id, target_type, target_id, status, trigger, dag_run_id, error, started_at, finished_at, stats, created_by)
VALUES ($1, $2, $3, 'skipped', $4, $5, $6, now(), now(), '{"phase":"done"}', $7)
RETURNING *;

-- name: SetRunDagRun :exec
UPDATE runs SET dag_run_id = $3 WHERE org_id = $1 AND id = $2;

-- name: ClaimRunEvents :many
SELECT * FROM dnk_claim_run_events(sqlc.arg(lim)::int);

-- name: ReleaseRunEvent :exec
SELECT dnk_release_run_event(sqlc.arg(id)::bigint, sqlc.arg(error)::text);

-- name: GetRunByID :one
SELECT * FROM runs WHERE org_id = $1 AND id = $2;

-- name: SuccessfulRunSince :one
-- Whether the node has a successful run that finished at or after since.
SELECT EXISTS (SELECT 1 FROM runs WHERE org_id = $1 AND target_type = $2 AND target_id = $3
               AND status = 'success' AND finished_at >= sqlc.arg(since)::timestamptz) AS ok;

-- name: TimeframeUpstreams :many
SELECT * FROM dependencies WHERE org_id = $1 AND downstream_type = $2 AND downstream_id = $3
  AND check_timeframe_value IS NOT NULL ORDER BY id;

-- name: LineageDestinations :many
-- The destinations whose projects hold the org's models or jobs.
SELECT DISTINCT destination_connection_id FROM (
    SELECT t.destination_connection_id FROM transformations t WHERE t.org_id = sqlc.arg(org_id) AND t.deleted_at IS NULL
    UNION
    SELECT j.destination_connection_id FROM jobs j WHERE j.org_id = sqlc.arg(org_id) AND j.deleted_at IS NULL
) d ORDER BY destination_connection_id;

-- name: JobsOfDestination :many
SELECT * FROM jobs WHERE org_id = $1 AND destination_connection_id = $2 AND deleted_at IS NULL ORDER BY id;

-- name: SetQueuedRunStats :one
-- A queued run's stats while it waits (check_timeframe).
UPDATE runs SET stats = $3, updated_at = now() WHERE org_id = $1 AND id = $2 AND status = 'queued' RETURNING *;
