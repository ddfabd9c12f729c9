-- name: ReadRun :one
SELECT * FROM runs WHERE org_id = $1 AND id = $2;

-- name: ReadRuns :many
-- Newest first, keyset-paged on (created_at, id); every filter is optional. The target's name is
-- joined for the list (a deleted target keeps showing its name).
SELECT sqlc.embed(r),
       COALESCE(p.name, t.name, j.name, '')::text AS target_name
FROM runs r
LEFT JOIN pipelines p ON r.target_type = 'pipeline' AND p.org_id = r.org_id AND p.id = r.target_id
LEFT JOIN transformations t ON r.target_type = 'transformation' AND t.org_id = r.org_id AND t.id = r.target_id
LEFT JOIN jobs j ON r.target_type = 'job' AND j.org_id = r.org_id AND j.id = r.target_id
WHERE r.org_id = sqlc.arg(org_id)
  AND (sqlc.narg(dag_run_id)::bigint IS NULL OR r.dag_run_id = sqlc.narg(dag_run_id))
  AND (sqlc.narg(status)::text IS NULL OR r.status = sqlc.narg(status))
  AND (sqlc.narg(target_type)::text IS NULL OR r.target_type = sqlc.narg(target_type))
  AND (sqlc.narg(target_id)::bigint IS NULL OR r.target_id = sqlc.narg(target_id))
  AND (sqlc.narg(trigger)::text IS NULL OR r.trigger = sqlc.narg(trigger))
  AND (sqlc.narg(since)::timestamptz IS NULL OR r.created_at >= sqlc.narg(since))
  AND (sqlc.narg(until)::timestamptz IS NULL OR r.created_at < sqlc.narg(until))
  AND (sqlc.narg(before_created_at)::timestamptz IS NULL
       OR (r.created_at, r.id) < (sqlc.narg(before_created_at)::timestamptz, sqlc.arg(before_id)::bigint))
ORDER BY r.created_at DESC, r.id DESC
LIMIT sqlc.arg(lim);

-- name: ReadRunLogs :many
SELECT * FROM run_logs
WHERE org_id = $1 AND run_id = $2 AND seq > sqlc.arg(after_seq)
ORDER BY seq
LIMIT sqlc.arg(lim);
