-- name: CreateInvitation :one
INSERT INTO invitations (org_id, email, role, token_hash, invited_by, expires_at)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

-- name: GetInvitationByHash :one
SELECT * FROM dnk_invitation_by_hash($1);

-- name: ListPendingInvitations :many
SELECT * FROM invitations
WHERE org_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
  AND id > sqlc.arg(after_id)
ORDER BY id
LIMIT sqlc.arg(lim);

-- name: RevokePendingInvitationForEmail :exec
UPDATE invitations SET revoked_at = now()
WHERE org_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL;

-- name: RevokeInvitation :execrows
UPDATE invitations SET revoked_at = now()
WHERE org_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL;

-- name: AcceptInvitation :execrows
UPDATE invitations SET accepted_at = now()
WHERE org_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now();
