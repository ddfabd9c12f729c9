-- name: GetInstallation :one
SELECT installation_id, created_at, worker_heartbeat_at FROM installation WHERE singleton;

-- name: TouchWorkerHeartbeat :exec
UPDATE installation SET worker_heartbeat_at = now() WHERE singleton;
