-- name: HitRateLimit :one
-- Counts one attempt in the bucket's current window (a new window starts when the old one has
-- passed) and returns the state after it, atomically across processes.
INSERT INTO auth_rate_limits AS r (bucket, window_start, attempts)
VALUES (sqlc.arg(bucket), now(), 1)
ON CONFLICT (bucket) DO UPDATE SET
    attempts = CASE WHEN r.window_start < now() - make_interval(secs => sqlc.arg(window_seconds)::float8) THEN 1 ELSE r.attempts + 1 END,
    window_start = CASE WHEN r.window_start < now() - make_interval(secs => sqlc.arg(window_seconds)::float8) THEN now() ELSE r.window_start END
RETURNING attempts, window_start, locked_until;

-- name: GetRateLimit :one
SELECT attempts, window_start, locked_until FROM auth_rate_limits WHERE bucket = $1;

-- name: LockRateLimit :exec
UPDATE auth_rate_limits SET locked_until = now() + make_interval(secs => sqlc.arg(lock_seconds)::float8) WHERE bucket = sqlc.arg(bucket);

-- name: ClearRateLimit :exec
DELETE FROM auth_rate_limits WHERE bucket = $1;
