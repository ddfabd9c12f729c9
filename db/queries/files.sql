-- name: CreateFile :one
INSERT INTO files (org_id, name, size, sha256, format, compression, detected_columns, storage_key, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING *;

-- name: ListFiles :many
SELECT * FROM files
WHERE org_id = $1 AND deleted_at IS NULL AND id > sqlc.arg(after_id)
ORDER BY id
LIMIT sqlc.arg(lim);

-- name: GetFile :one
SELECT * FROM files WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL;

-- name: SoftDeleteFile :one
UPDATE files SET deleted_at = now()
WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL
RETURNING *;
