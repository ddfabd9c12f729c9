-- Transformations in the platform (SPEC §7): the model's file path and dbt config, and the
-- other parts of the dbt project an org builds per destination connection: macros, seeds
-- (CSV content copied from an uploaded file or an imported project), sources (tables and
-- freshness) and jobs (a saved transform command over a selection). Whoever creates or
-- repoints one of them onto a connection locks that connection row FOR SHARE in the same
-- transaction (see 000007), so a concurrent delete of the connection cannot slip between.
-- A path of '' (rows written without one) means <name>.sql, as the API's default does.
ALTER TABLE transformations
    ADD COLUMN path   text NOT NULL DEFAULT '',
    ADD COLUMN config jsonb NOT NULL DEFAULT '{}';
ALTER TABLE transformations ADD CONSTRAINT transformations_path
    CHECK (path = '' OR (path ~ '^[^/].*\.sql$' AND length(path) <= 512));
CREATE UNIQUE INDEX transformations_path_live
    ON transformations (org_id, destination_connection_id, lower(CASE WHEN path = '' THEN name || '.sql' ELSE path END))
    WHERE deleted_at IS NULL;

-- A macro file: Jinja that defines one or more {% macro %}s, shared by every project of the org.
CREATE TABLE macros (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      bigint NOT NULL REFERENCES organizations (id),
    name        text NOT NULL CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_]*$' AND length(name) <= 100),
    description text NOT NULL DEFAULT '',
    sql_body    text NOT NULL,
    created_by  bigint REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX macros_name ON macros (org_id, lower(name));

CREATE TABLE seeds (
    id                        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id                    bigint NOT NULL REFERENCES organizations (id),
    name                      text NOT NULL CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_]*$' AND length(name) <= 100),
    description               text NOT NULL DEFAULT '',
    file_id                   bigint REFERENCES files (id),
    destination_connection_id bigint NOT NULL REFERENCES connections (id),
    schema_name               text,
    column_types              jsonb NOT NULL DEFAULT '{}',
    csv                       bytea NOT NULL,
    row_count                 bigint NOT NULL DEFAULT 0,
    created_by                bigint REFERENCES users (id),
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX seeds_name ON seeds (org_id, lower(name));
CREATE INDEX seeds_destination ON seeds (destination_connection_id);

-- A source: a schema of a connection whose tables models read with source('name', 'table');
-- tables is [{name, identifier, description, loaded_at_field, freshness, columns}].
CREATE TABLE sources (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        bigint NOT NULL REFERENCES organizations (id),
    name          text NOT NULL CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_]*$' AND length(name) <= 100),
    description   text NOT NULL DEFAULT '',
    schema_name   text NOT NULL,
    connection_id bigint NOT NULL REFERENCES connections (id),
    tables        jsonb NOT NULL DEFAULT '[]',
    created_by    bigint REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX sources_name ON sources (org_id, connection_id, lower(name));
CREATE INDEX sources_connection ON sources (connection_id);

CREATE TABLE jobs (
    id                        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id                    bigint NOT NULL REFERENCES organizations (id),
    name                      text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description               text NOT NULL DEFAULT '',
    command                   text NOT NULL
                              CHECK (command IN ('build', 'run', 'test', 'seed', 'snapshot', 'compile', 'freshness')),
    "select"                  text NOT NULL DEFAULT '',
    exclude                   text NOT NULL DEFAULT '',
    full_refresh              boolean NOT NULL DEFAULT false,
    threads                   integer NOT NULL DEFAULT 4 CHECK (threads BETWEEN 1 AND 32),
    destination_connection_id bigint NOT NULL REFERENCES connections (id),
    created_by                bigint REFERENCES users (id),
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    deleted_at                timestamptz
);
CREATE UNIQUE INDEX jobs_name_live ON jobs (org_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX jobs_destination ON jobs (destination_connection_id) WHERE deleted_at IS NULL;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['macros', 'seeds', 'sources', 'jobs'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY owner_all ON %I TO %I USING (true) WITH CHECK (true)', t, current_user);
        EXECUTE format('CREATE POLICY tenant ON %I TO datanika_app USING (org_id = dnk_org_id()) WITH CHECK (org_id = dnk_org_id())', t);
    END LOOP;
END
$$;
