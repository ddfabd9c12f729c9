-- name: GetInstallation :one
SELECT installation_id, created_at FROM installation WHERE singleton;
