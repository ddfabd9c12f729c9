-- Identity and tenancy: organizations, users, memberships, invitations, refresh tokens, API keys,
-- audit log, and the rate-limit counters of sign-in and sign-up.
--
-- Isolation has two layers. Every tenant query filters on org_id; and every table with an org_id
-- has row-level security enabled and FORCED, with a policy on the transaction's app.org_id
-- (set_config(..., true)). The server runs its queries as the non-owner role datanika_app
-- (SET ROLE at connect), so a query that forgets its filter still sees only its org. The few
-- lookups that must happen before the org is known (a refresh token, an API key or an invitation
-- by its hash) go through SECURITY DEFINER functions below that return exactly one row by hash.

DO $$
BEGIN
    CREATE ROLE datanika_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- one role per server, shared by every Datanika database on it
END
$$;
GRANT datanika_app TO CURRENT_USER;

-- The org and user of the current transaction, NULL when unset (then policies match nothing).
CREATE FUNCTION dnk_org_id() RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting('app.org_id', true), '')::bigint $$;
CREATE FUNCTION dnk_user_id() RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting('app.user_id', true), '')::bigint $$;

CREATE TABLE organizations (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    slug           text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$'),
    default_schema text NOT NULL DEFAULT 'analytics' CHECK (default_schema ~ '^[a-z_][a-z0-9_]{0,62}$'),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz
);
CREATE UNIQUE INDEX organizations_slug_live ON organizations (slug) WHERE deleted_at IS NULL;

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254),
    password_hash text,
    full_name     text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    is_active     boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE memberships (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id     bigint NOT NULL REFERENCES organizations (id),
    user_id    bigint NOT NULL REFERENCES users (id),
    role       text NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE UNIQUE INDEX memberships_live ON memberships (org_id, user_id) WHERE deleted_at IS NULL;
CREATE INDEX memberships_user ON memberships (user_id) WHERE deleted_at IS NULL;

CREATE TABLE invitations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      bigint NOT NULL REFERENCES organizations (id),
    email       text NOT NULL CHECK (email = lower(btrim(email))),
    role        text NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
    token_hash  bytea NOT NULL UNIQUE,
    invited_by  bigint NOT NULL REFERENCES users (id),
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX invitations_pending ON invitations (org_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL;

CREATE TABLE refresh_tokens (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id     bigint NOT NULL REFERENCES organizations (id),
    user_id    bigint NOT NULL REFERENCES users (id),
    token_hash bytea NOT NULL UNIQUE,
    family     uuid NOT NULL,
    expires_at timestamptz NOT NULL,
    rotated_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id) WHERE revoked_at IS NULL;

CREATE TABLE api_keys (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       bigint NOT NULL REFERENCES organizations (id),
    created_by   bigint NOT NULL REFERENCES users (id),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix       text NOT NULL,
    key_hash     bytea NOT NULL UNIQUE,
    scopes       text[] NOT NULL CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['read', 'write', 'run', 'admin']),
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_org ON api_keys (org_id) WHERE revoked_at IS NULL;

CREATE TABLE audit_logs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        bigint NOT NULL REFERENCES organizations (id),
    at            timestamptz NOT NULL DEFAULT now(),
    actor_type    text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system')),
    actor_id      bigint,
    actor_name    text NOT NULL DEFAULT '',
    action        text NOT NULL,
    resource_type text NOT NULL,
    resource_id   text,
    old_values    jsonb,
    new_values    jsonb,
    ip            text,
    user_agent    text
);
CREATE INDEX audit_logs_org_id ON audit_logs (org_id, id DESC);

-- Sign-in and sign-up throttling, shared by every process: one counter per bucket and window.
CREATE TABLE auth_rate_limits (
    bucket       text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    attempts     integer NOT NULL,
    locked_until timestamptz
);

-- Row-level security on every table with an org_id, forced so the owner obeys it too. The
-- migrating owner keeps an explicit all-rows policy (it runs the SECURITY DEFINER lookups and
-- maintenance); datanika_app sees its org, and its user's own memberships and tokens.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['memberships', 'invitations', 'refresh_tokens', 'api_keys', 'audit_logs'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY owner_all ON %I TO %I USING (true) WITH CHECK (true)', t, current_user);
        EXECUTE format('CREATE POLICY tenant ON %I TO datanika_app USING (org_id = dnk_org_id()) WITH CHECK (org_id = dnk_org_id())', t);
    END LOOP;
END
$$;
-- A user lists their own memberships across orgs (sign-in, org switcher) and manages their own
-- sessions; nothing else of another org.
CREATE POLICY own_memberships ON memberships FOR SELECT TO datanika_app USING (user_id = dnk_user_id());
CREATE POLICY own_sessions ON refresh_tokens TO datanika_app USING (user_id = dnk_user_id()) WITH CHECK (user_id = dnk_user_id());

-- Lookups by secret hash, before the org is known. Each returns at most the one row the hash names.
CREATE FUNCTION dnk_refresh_token_by_hash(p_hash bytea) RETURNS SETOF refresh_tokens
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS
$$ SELECT * FROM refresh_tokens WHERE token_hash = p_hash $$;
CREATE FUNCTION dnk_api_key_by_hash(p_hash bytea) RETURNS SETOF api_keys
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS
$$ SELECT * FROM api_keys WHERE key_hash = p_hash $$;
CREATE FUNCTION dnk_invitation_by_hash(p_hash bytea) RETURNS SETOF invitations
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS
$$ SELECT * FROM invitations WHERE token_hash = p_hash $$;
REVOKE EXECUTE ON FUNCTION dnk_refresh_token_by_hash(bytea), dnk_api_key_by_hash(bytea), dnk_invitation_by_hash(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dnk_refresh_token_by_hash(bytea), dnk_api_key_by_hash(bytea), dnk_invitation_by_hash(bytea) TO datanika_app;

-- What the app role may do. Tables created later by this owner (ours and River's) get the same
-- grants through the default privileges; the audit log is append-only for the app.
GRANT USAGE ON SCHEMA public TO datanika_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO datanika_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO datanika_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO datanika_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO datanika_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_logs FROM datanika_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM datanika_app;
