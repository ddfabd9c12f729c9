-- An API key dies with its creator's membership (SPEC §4), but removing a member did not revoke
-- their keys: they stayed listed as live and worked again once the user was re-added. The
-- service now revokes them in RemoveMember; this revokes the keys already left behind.
UPDATE api_keys k SET revoked_at = now()
 WHERE k.revoked_at IS NULL
   AND NOT EXISTS (SELECT 1 FROM memberships m
                    WHERE m.org_id = k.org_id AND m.user_id = k.created_by AND m.deleted_at IS NULL);
