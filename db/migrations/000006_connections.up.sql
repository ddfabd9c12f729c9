-- Connections: credentials and settings for one system. The whole config is sealed (AES-256-GCM
-- envelope, see internal/secrets) because secret fields live inside it; responses show it with
-- the secrets masked. catalog_entries caches what a connection's catalog discovered.
CREATE TABLE connections (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id               bigint NOT NULL REFERENCES organizations (id),
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    type                 text NOT NULL,
    direction            text NOT NULL CHECK (direction IN ('source', 'destination', 'both')),
    config_sealed        bytea NOT NULL,
    last_test_ok         boolean,
    last_test_message    text,
    last_test_latency_ms bigint,
    last_test_at         timestamptz,
    created_by           bigint REFERENCES users (id),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz
);
CREATE UNIQUE INDEX connections_name_live ON connections (org_id, lower(name)) WHERE deleted_at IS NULL;

CREATE TABLE catalog_entries (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        bigint NOT NULL REFERENCES organizations (id),
    connection_id bigint NOT NULL REFERENCES connections (id),
    origin        text NOT NULL DEFAULT 'connection' CHECK (origin IN ('connection', 'source')),
    schema_name   text NOT NULL,
    table_name    text NOT NULL,
    kind          text NOT NULL,
    columns       jsonb NOT NULL DEFAULT '[]',
    description   text,
    refreshed_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (connection_id, schema_name, table_name)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['connections', 'catalog_entries'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY owner_all ON %I TO %I USING (true) WITH CHECK (true)', t, current_user);
        EXECUTE format('CREATE POLICY tenant ON %I TO datanika_app USING (org_id = dnk_org_id()) WITH CHECK (org_id = dnk_org_id())', t);
    END LOOP;
END
$$;
