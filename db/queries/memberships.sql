-- name: CreateMembership :one
INSERT INTO memberships (org_id, user_id, role)
VALUES ($1, $2, $3)
RETURNING *;

-- name: GetMembership :one
SELECT * FROM memberships WHERE org_id = $1 AND user_id = $2 AND deleted_at IS NULL;

-- name: ListUserMemberships :many
-- The user's live memberships in live organizations, oldest first (sign-in picks the first).
SELECT m.id, m.role, m.created_at, o.id AS org_id, o.name AS org_name, o.slug AS org_slug
FROM memberships m
JOIN organizations o ON o.id = m.org_id AND o.deleted_at IS NULL
WHERE m.user_id = $1 AND m.deleted_at IS NULL
ORDER BY m.id;

-- name: ListMembers :many
SELECT m.user_id, m.role, m.created_at AS joined_at, u.email, u.full_name
FROM memberships m
JOIN users u ON u.id = m.user_id
WHERE m.org_id = $1 AND m.deleted_at IS NULL AND m.user_id > sqlc.arg(after_user_id)
ORDER BY m.user_id
LIMIT sqlc.arg(lim);

-- name: GetMember :one
SELECT m.user_id, m.role, m.created_at AS joined_at, u.email, u.full_name
FROM memberships m
JOIN users u ON u.id = m.user_id
WHERE m.org_id = $1 AND m.user_id = $2 AND m.deleted_at IS NULL;

-- name: CountOwners :one
SELECT count(*) FROM memberships WHERE org_id = $1 AND role = 'owner' AND deleted_at IS NULL;

-- name: LockOrgMemberships :exec
-- Serialises role changes of one org, so two concurrent demotions cannot remove the last owner.
SELECT pg_advisory_xact_lock(hashtextextended('memberships:' || sqlc.arg(org_id)::bigint::text, 0));

-- name: UpdateMembershipRole :one
UPDATE memberships SET role = $3, updated_at = now()
WHERE org_id = $1 AND user_id = $2 AND deleted_at IS NULL
RETURNING *;

-- name: SoftDeleteMembership :exec
UPDATE memberships SET deleted_at = now(), updated_at = now()
WHERE org_id = $1 AND user_id = $2 AND deleted_at IS NULL;

-- name: SoftDeleteOrgMemberships :exec
UPDATE memberships SET deleted_at = now(), updated_at = now() WHERE org_id = $1 AND deleted_at IS NULL;
