-- Pipelines (extract + load, SPEC §6) and transformations (dbt-compatible models, SPEC §7): the
-- resources that use connections. Their API arrives with later issues and may add columns; the
-- tables exist now so that a connection in use cannot be deleted (409), which needs to know who
-- uses it. Whoever creates or repoints a pipeline or transformation must lock the connection row
-- (SELECT … FOR SHARE) in the same transaction, so a concurrent delete cannot slip between.
CREATE TABLE pipelines (
    id                        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id                    bigint NOT NULL REFERENCES organizations (id),
    name                      text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description               text NOT NULL DEFAULT '',
    source_connection_id      bigint NOT NULL REFERENCES connections (id),
    destination_connection_id bigint NOT NULL REFERENCES connections (id),
    destination_schema        text NOT NULL,
    status                    text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'paused', 'error')),
    config                    jsonb NOT NULL DEFAULT '{}',
    created_by                bigint REFERENCES users (id),
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    deleted_at                timestamptz
);
CREATE UNIQUE INDEX pipelines_name_live ON pipelines (org_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX pipelines_source ON pipelines (source_connection_id) WHERE deleted_at IS NULL;
CREATE INDEX pipelines_destination ON pipelines (destination_connection_id) WHERE deleted_at IS NULL;

CREATE TABLE transformations (
    id                        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id                    bigint NOT NULL REFERENCES organizations (id),
    name                      text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description               text NOT NULL DEFAULT '',
    sql_body                  text NOT NULL,
    materialization           text NOT NULL DEFAULT 'view'
                              CHECK (materialization IN ('view', 'table', 'incremental', 'ephemeral', 'snapshot')),
    schema_name               text,
    destination_connection_id bigint NOT NULL REFERENCES connections (id),
    tags                      text[] NOT NULL DEFAULT '{}',
    incremental_config        jsonb,
    snapshot_config           jsonb,
    tests_config              jsonb,
    created_by                bigint REFERENCES users (id),
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    deleted_at                timestamptz
);
CREATE UNIQUE INDEX transformations_name_live ON transformations (org_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX transformations_destination ON transformations (destination_connection_id) WHERE deleted_at IS NULL;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['pipelines', 'transformations'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY owner_all ON %I TO %I USING (true) WITH CHECK (true)', t, current_user);
        EXECUTE format('CREATE POLICY tenant ON %I TO datanika_app USING (org_id = dnk_org_id()) WITH CHECK (org_id = dnk_org_id())', t);
    END LOOP;
END
$$;
