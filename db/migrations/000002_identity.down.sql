DROP FUNCTION IF EXISTS dnk_refresh_token_by_hash(bytea), dnk_api_key_by_hash(bytea), dnk_invitation_by_hash(bytea);
DROP TABLE IF EXISTS auth_rate_limits, audit_logs, api_keys, refresh_tokens, invitations, memberships, users, organizations;
DROP FUNCTION IF EXISTS dnk_org_id(), dnk_user_id();
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM datanika_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM datanika_app;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM datanika_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM datanika_app;
REVOKE USAGE ON SCHEMA public FROM datanika_app;
-- The role is shared by every Datanika database on the server; it is left in place.
