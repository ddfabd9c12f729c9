-- name: CreateRefreshToken :one
INSERT INTO refresh_tokens (org_id, user_id, token_hash, family, expires_at)
VALUES ($1, $2, $3, $4, $5)
RETURNING *;

-- name: GetRefreshTokenByHash :one
SELECT * FROM dnk_refresh_token_by_hash($1);

-- name: MarkRefreshTokenRotated :execrows
UPDATE refresh_tokens SET rotated_at = now()
WHERE id = $1 AND rotated_at IS NULL AND revoked_at IS NULL;

-- name: RevokeRefreshToken :exec
UPDATE refresh_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL;

-- name: RevokeRefreshTokenFamily :exec
UPDATE refresh_tokens SET revoked_at = now() WHERE family = $1 AND revoked_at IS NULL;

-- name: RevokeUserRefreshTokensExceptFamily :exec
UPDATE refresh_tokens SET revoked_at = now()
WHERE user_id = $1 AND revoked_at IS NULL
  AND (sqlc.narg(keep_family)::uuid IS NULL OR family <> sqlc.narg(keep_family)::uuid);

-- name: RevokeUserOrgRefreshTokens :exec
UPDATE refresh_tokens SET revoked_at = now()
WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL;

-- A session (refresh-token family) is live while one of its tokens is not revoked; revoking
-- revokes every token of the family, so a signed-out session has none.
-- name: SessionIsLive :one
SELECT EXISTS (
    SELECT 1 FROM refresh_tokens
    WHERE family = $1 AND user_id = $2 AND revoked_at IS NULL
) AS live;
