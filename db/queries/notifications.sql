-- name: CreateNotification :one
INSERT INTO notifications (org_id, name, channel, url, secret_sealed, events, target_type, target_id, is_active, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING *;

-- name: GetNotification :one
SELECT * FROM notifications WHERE org_id = $1 AND id = $2;

-- name: ListNotifications :many
SELECT * FROM notifications
WHERE org_id = sqlc.arg(org_id) AND id > sqlc.arg(after_id)
ORDER BY id
LIMIT sqlc.arg(lim);

-- name: UpdateNotification :one
UPDATE notifications
SET name = $3, url = $4, events = $5, target_type = $6, target_id = $7, is_active = $8, updated_at = now()
WHERE org_id = $1 AND id = $2
RETURNING *;

-- name: DeleteNotification :execrows
DELETE FROM notifications WHERE org_id = $1 AND id = $2;

-- name: NotificationNodeName :one
-- The live node's name, or no row.
SELECT name::text FROM (
    SELECT p.name FROM pipelines p WHERE sqlc.arg(node_type)::text = 'pipeline' AND p.org_id = sqlc.arg(org_id) AND p.id = sqlc.arg(node_id) AND p.deleted_at IS NULL
    UNION ALL
    SELECT t.name FROM transformations t WHERE sqlc.arg(node_type)::text = 'transformation' AND t.org_id = sqlc.arg(org_id) AND t.id = sqlc.arg(node_id) AND t.deleted_at IS NULL
    UNION ALL
    SELECT j.name FROM jobs j WHERE sqlc.arg(node_type)::text = 'job' AND j.org_id = sqlc.arg(org_id) AND j.id = sqlc.arg(node_id) AND j.deleted_at IS NULL
) n;

-- name: NotificationRunTargetName :one
-- A run's target's name, deleted or not ('' when unknown).
SELECT COALESCE(
    (SELECT p.name FROM pipelines p WHERE sqlc.arg(node_type)::text = 'pipeline' AND p.org_id = sqlc.arg(org_id) AND p.id = sqlc.arg(node_id)),
    (SELECT t.name FROM transformations t WHERE sqlc.arg(node_type)::text = 'transformation' AND t.org_id = sqlc.arg(org_id) AND t.id = sqlc.arg(node_id)),
    (SELECT j.name FROM jobs j WHERE sqlc.arg(node_type)::text = 'job' AND j.org_id = sqlc.arg(org_id) AND j.id = sqlc.arg(node_id)),
    '')::text AS name;

-- name: MatchNotifications :many
-- The org's active channels for a node (org-wide ones and the node's own) subscribed to any of events.
SELECT * FROM notifications
WHERE org_id = sqlc.arg(org_id) AND is_active
  AND (target_type IS NULL OR (target_type = sqlc.arg(node_type)::text AND target_id = sqlc.arg(node_id)::bigint))
  AND events && sqlc.arg(events)::text[]
ORDER BY id;

-- name: PreviousEndedRunStatus :one
-- The status of the node's ended run before this one, skipped and cancelled runs ignored.
SELECT status FROM runs
WHERE org_id = sqlc.arg(org_id) AND target_type = sqlc.arg(target_type) AND target_id = sqlc.arg(target_id)
  AND id < sqlc.arg(before_id) AND status IN ('success', 'failed')
ORDER BY id DESC
LIMIT 1;

-- name: InsertNotificationDelivery :one
INSERT INTO notification_deliveries (org_id, notification_id, message_id, event, run_id, schedule_id, payload, attempt, state, status_code, error, at, dedupe_key)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (notification_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
RETURNING *;

-- name: GetNotificationDelivery :one
SELECT * FROM notification_deliveries WHERE org_id = $1 AND notification_id = $2 AND id = $3;

-- name: LockNotificationDelivery :one
SELECT * FROM notification_deliveries WHERE org_id = $1 AND id = $2 FOR UPDATE;

-- name: ListNotificationDeliveries :many
-- Newest first, keyset-paged on id.
SELECT * FROM notification_deliveries
WHERE org_id = sqlc.arg(org_id) AND notification_id = sqlc.arg(notification_id)
  AND (sqlc.arg(before_id)::bigint = 0 OR id < sqlc.arg(before_id)::bigint)
ORDER BY id DESC
LIMIT sqlc.arg(lim);

-- name: RecordNotificationAttempt :one
UPDATE notification_deliveries
SET state = $3, status_code = $4, error = $5, at = $6, next_attempt_at = $7
WHERE org_id = $1 AND id = $2
RETURNING *;

-- name: NotificationOrgName :one
SELECT name FROM organizations WHERE id = $1;
