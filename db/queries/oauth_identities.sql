-- name: GetOAuthIdentity :one
SELECT * FROM oauth_identities WHERE provider = $1 AND subject = $2;

-- name: CreateOAuthIdentity :one
INSERT INTO oauth_identities (user_id, provider, subject, email)
VALUES ($1, $2, $3, $4)
RETURNING *;
