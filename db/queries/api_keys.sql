-- name: CreateAPIKey :one
INSERT INTO api_keys (org_id, created_by, name, prefix, key_hash, scopes, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: GetAPIKeyByHash :one
SELECT * FROM dnk_api_key_by_hash($1);

-- name: ListAPIKeys :many
SELECT k.*, u.email AS creator_email, u.full_name AS creator_name
FROM api_keys k
JOIN users u ON u.id = k.created_by
WHERE k.org_id = $1 AND k.revoked_at IS NULL AND k.id > sqlc.arg(after_id)
ORDER BY k.id
LIMIT sqlc.arg(lim);

-- name: RevokeAPIKey :one
UPDATE api_keys SET revoked_at = now()
WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL
RETURNING *;

-- name: TouchAPIKey :exec
-- At most once a minute, so a busy key does not write on every request.
UPDATE api_keys SET last_used_at = now()
WHERE org_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');

-- name: RevokeOrgAPIKeys :exec
UPDATE api_keys SET revoked_at = now() WHERE org_id = $1 AND revoked_at IS NULL;

-- name: RevokeUserOrgAPIKeys :exec
-- A key dies with its creator's membership.
UPDATE api_keys SET revoked_at = now()
WHERE org_id = $1 AND created_by = $2 AND revoked_at IS NULL;
