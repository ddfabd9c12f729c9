-- name: CreateOrganization :one
INSERT INTO organizations (name, slug, default_schema)
VALUES ($1, $2, $3)
RETURNING *;

-- name: GetOrganization :one
SELECT * FROM organizations WHERE id = $1 AND deleted_at IS NULL;

-- name: SlugTaken :one
SELECT EXISTS (SELECT 1 FROM organizations WHERE slug = $1 AND deleted_at IS NULL);

-- name: UpdateOrganization :one
UPDATE organizations
SET name = $2, slug = $3, default_schema = $4, updated_at = now()
WHERE id = $1 AND deleted_at IS NULL
RETURNING *;

-- name: SoftDeleteOrganization :exec
UPDATE organizations SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL;
