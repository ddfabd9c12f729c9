-- name: DeleteExpiredIdempotencyKeys :exec
-- Answers are kept 24 hours (SPEC §3); older entries of the org are dropped when it sends a new key.
DELETE FROM idempotency_keys WHERE org_id = $1 AND created_at < now() - interval '24 hours';

-- name: ClaimIdempotencyKey :one
-- Claims a key for a request in progress; no row when the key is already taken.
INSERT INTO idempotency_keys (org_id, key, method, path, request_hash)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (org_id, key) DO NOTHING
RETURNING created_at;

-- name: GetIdempotencyKey :one
-- The entry of a key, unless it expired (an expired entry is as good as none).
SELECT * FROM idempotency_keys
WHERE org_id = $1 AND key = $2 AND created_at >= now() - interval '24 hours';

-- name: CompleteIdempotencyKey :exec
UPDATE idempotency_keys
SET status = $3, response_headers = $4, response_body = $5, completed_at = now()
WHERE org_id = $1 AND key = $2 AND completed_at IS NULL;

-- name: ReleaseIdempotencyKey :exec
-- Forgets a request that did not complete (a server error), so that a retry acts.
DELETE FROM idempotency_keys WHERE org_id = $1 AND key = $2 AND completed_at IS NULL;
