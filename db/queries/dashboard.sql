-- name: DashboardCounts :one
SELECT
    (SELECT count(*) FROM connections c WHERE c.org_id = sqlc.arg(org_id) AND c.deleted_at IS NULL)::bigint AS connections,
    (SELECT count(*) FROM pipelines p WHERE p.org_id = sqlc.arg(org_id) AND p.deleted_at IS NULL)::bigint AS pipelines,
    (SELECT count(*) FROM transformations t WHERE t.org_id = sqlc.arg(org_id) AND t.deleted_at IS NULL)::bigint AS transformations,
    (SELECT count(*) FROM runs r WHERE r.org_id = sqlc.arg(org_id) AND r.status IN ('queued', 'running'))::bigint AS active_runs;

-- name: DashboardRunsByStatus :many
-- Runs created in the last 7 days by status, with the part created in the last 24 hours.
SELECT status,
       count(*) FILTER (WHERE created_at >= now() - interval '24 hours')::bigint AS last_24h,
       count(*)::bigint AS last_7d
FROM runs
WHERE org_id = sqlc.arg(org_id) AND created_at >= now() - interval '7 days'
GROUP BY status;

-- name: DashboardDays :many
-- The last 14 UTC days, oldest first, zero-filled: runs by status and rows loaded, each run
-- counted on the day it was created.
SELECT d.day::date AS day,
       count(r.id) FILTER (WHERE r.status = 'success')::bigint AS success,
       count(r.id) FILTER (WHERE r.status = 'failed')::bigint AS failed,
       count(r.id) FILTER (WHERE r.status = 'cancelled')::bigint AS cancelled,
       count(r.id) FILTER (WHERE r.status NOT IN ('success', 'failed', 'cancelled'))::bigint AS other,
       COALESCE(sum(r.rows_loaded), 0)::bigint AS rows_loaded
FROM generate_series((now() AT TIME ZONE 'UTC')::date - 13, (now() AT TIME ZONE 'UTC')::date, interval '1 day') AS d(day)
LEFT JOIN runs r
       ON r.org_id = sqlc.arg(org_id)
      AND r.created_at >= (d.day AT TIME ZONE 'UTC')
      AND r.created_at < ((d.day + interval '1 day') AT TIME ZONE 'UTC')
GROUP BY d.day
ORDER BY d.day;

-- name: DashboardFailingPipelines :many
-- Live pipelines whose newest ended run failed, with that run, most recent failure first.
SELECT p.id AS pipeline_id, p.name AS pipeline_name, sqlc.embed(r)
FROM pipelines p
JOIN runs r ON r.id = (
    SELECT e.id FROM runs e
    WHERE e.org_id = p.org_id AND e.target_type = 'pipeline' AND e.target_id = p.id
      AND e.status IN ('success', 'failed', 'cancelled')
    ORDER BY e.created_at DESC, e.id DESC
    LIMIT 1)
WHERE p.org_id = sqlc.arg(org_id) AND p.deleted_at IS NULL AND r.status = 'failed'
ORDER BY r.created_at DESC, r.id DESC
LIMIT 100;

-- name: DashboardFailingNodes :many
-- Live pipelines, transformations and jobs whose newest ended run failed, with that run, most
-- recent failure first.
WITH nodes AS (
    SELECT 'pipeline'::text AS node_type, p.id, p.name FROM pipelines p WHERE p.org_id = sqlc.arg(org_id) AND p.deleted_at IS NULL
    UNION ALL
    SELECT 'transformation'::text, t.id, t.name FROM transformations t WHERE t.org_id = sqlc.arg(org_id) AND t.deleted_at IS NULL
    UNION ALL
    SELECT 'job'::text, j.id, j.name FROM jobs j WHERE j.org_id = sqlc.arg(org_id) AND j.deleted_at IS NULL
)
SELECT n.node_type, n.id AS node_id, n.name AS node_name, sqlc.embed(r)
FROM nodes n
JOIN runs r ON r.id = (
    SELECT e.id FROM runs e
    WHERE e.org_id = sqlc.arg(org_id) AND e.target_type = n.node_type AND e.target_id = n.id
      AND e.status IN ('success', 'failed', 'cancelled')
    ORDER BY e.created_at DESC, e.id DESC
    LIMIT 1)
WHERE r.status = 'failed'
ORDER BY r.created_at DESC, r.id DESC
LIMIT 100;
