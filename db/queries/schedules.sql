-- name: CreateSchedule :one
INSERT INTO schedules (org_id, target_type, target_id, cron, timezone, is_active, downstream,
                       misfire_grace_seconds, next_fire_at, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING *;

-- name: GetSchedule :one
SELECT * FROM schedules WHERE org_id = $1 AND id = $2;

-- name: GetScheduleForUpdate :one
SELECT * FROM schedules WHERE org_id = $1 AND id = $2 FOR UPDATE;

-- name: ListSchedules :many
SELECT * FROM schedules
WHERE org_id = $1 AND id > sqlc.arg(after_id)
  AND (sqlc.narg(target_type)::text IS NULL OR target_type = sqlc.narg(target_type))
  AND (sqlc.narg(target_id)::bigint IS NULL OR target_id = sqlc.narg(target_id))
ORDER BY id
LIMIT sqlc.arg(lim);

-- name: UpdateSchedule :one
UPDATE schedules
SET cron = $3, timezone = $4, is_active = $5, downstream = $6, misfire_grace_seconds = $7,
    next_fire_at = $8, overdue_for = NULL, updated_at = now()
WHERE org_id = $1 AND id = $2
RETURNING *;

-- name: DeleteSchedule :one
DELETE FROM schedules WHERE org_id = $1 AND id = $2 RETURNING *;

-- name: ScheduleTarget :one
-- The name of a live pipeline, transformation or job of the org, with the pipeline's status
-- (empty for the others); no row when it does not exist or was deleted.
SELECT p.name, p.status FROM pipelines p
WHERE sqlc.arg(target_type)::text = 'pipeline' AND p.org_id = sqlc.arg(org_id) AND p.id = sqlc.arg(target_id) AND p.deleted_at IS NULL
UNION ALL
SELECT t.name, ''::text FROM transformations t
WHERE sqlc.arg(target_type)::text = 'transformation' AND t.org_id = sqlc.arg(org_id) AND t.id = sqlc.arg(target_id) AND t.deleted_at IS NULL
UNION ALL
SELECT j.name, ''::text FROM jobs j
WHERE sqlc.arg(target_type)::text = 'job' AND j.org_id = sqlc.arg(org_id) AND j.id = sqlc.arg(target_id) AND j.deleted_at IS NULL;

-- name: ScheduleTargetNames :many
-- The names of live nodes of the org among the given keys ('pipeline:12').
SELECT ('pipeline:' || p.id)::text AS key, p.name FROM pipelines p
WHERE p.org_id = sqlc.arg(org_id) AND p.deleted_at IS NULL AND ('pipeline:' || p.id) = ANY (sqlc.arg(keys)::text[])
UNION ALL
SELECT ('transformation:' || t.id)::text, t.name FROM transformations t
WHERE t.org_id = sqlc.arg(org_id) AND t.deleted_at IS NULL AND ('transformation:' || t.id) = ANY (sqlc.arg(keys)::text[])
UNION ALL
SELECT ('job:' || j.id)::text, j.name FROM jobs j
WHERE j.org_id = sqlc.arg(org_id) AND j.deleted_at IS NULL AND ('job:' || j.id) = ANY (sqlc.arg(keys)::text[]);

-- name: ActiveSchedulesByNextFire :many
-- The org's active schedules, soonest fire first (the dashboard's next fires).
SELECT * FROM schedules
WHERE org_id = $1 AND is_active AND next_fire_at IS NOT NULL
ORDER BY next_fire_at, id
LIMIT sqlc.arg(lim);

-- name: OverdueSchedules :many
-- The org's active schedules whose fire is older than its grace (and a minute).
SELECT * FROM schedules
WHERE org_id = $1 AND is_active
  AND next_fire_at < sqlc.arg(now)::timestamptz - make_interval(secs => greatest(misfire_grace_seconds, 60))
ORDER BY next_fire_at, id
LIMIT 100;

-- name: ClaimDueSchedules :many
SELECT * FROM dnk_claim_due_schedules(sqlc.arg(now)::timestamptz, sqlc.arg(lim)::integer);

-- name: NextScheduleFire :one
SELECT dnk_next_schedule_fire()::timestamptz AS next_fire_at;

-- name: MarkOverdueSchedules :many
SELECT * FROM dnk_mark_overdue_schedules(sqlc.arg(now)::timestamptz, sqlc.arg(lim)::integer);

-- name: InsertScheduleFires :exec
-- The fire records of one org's claimed schedules, element i of each array one record (run id 0
-- and reason '' for none); the unnests of the select list advance in lockstep.
INSERT INTO schedule_fires (schedule_id, fire_at, org_id, outcome, run_id, reason, claimed_at)
SELECT unnest(sqlc.arg(schedule_ids)::bigint[]), unnest(sqlc.arg(fire_ats)::timestamptz[]), sqlc.arg(org_id)::bigint,
       unnest(sqlc.arg(outcomes)::text[]), nullif(unnest(sqlc.arg(run_ids)::bigint[]), 0),
       nullif(unnest(sqlc.arg(reasons)::text[]), ''), sqlc.arg(claimed_at)::timestamptz;

-- name: AdvanceSchedules :exec
-- Advances one org's claimed schedules: element i of each array is schedule ids[i]'s next fire
-- (null: it stops firing) and last fire (null: unchanged).
UPDATE schedules
SET next_fire_at = (sqlc.arg(next_fire_ats)::timestamptz[])[array_position(sqlc.arg(ids)::bigint[], id)],
    last_fire_at = coalesce((sqlc.arg(last_fire_ats)::timestamptz[])[array_position(sqlc.arg(ids)::bigint[], id)], last_fire_at)
WHERE org_id = sqlc.arg(org_id) AND id = ANY (sqlc.arg(ids)::bigint[]);
