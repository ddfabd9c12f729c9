-- Uploaded files (csv, tsv, jsonl, json, parquet, sqlite; optionally gzip): the bytes live in blob
-- storage under a key the server chose; this row says what they are.
CREATE TABLE files (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id           bigint NOT NULL REFERENCES organizations (id),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    size             bigint NOT NULL CHECK (size >= 0),
    sha256           text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    format           text NOT NULL CHECK (format IN ('csv', 'tsv', 'jsonl', 'json', 'parquet', 'sqlite')),
    compression      text NOT NULL CHECK (compression IN ('none', 'gzip')),
    detected_columns jsonb NOT NULL DEFAULT '[]',
    storage_key      text NOT NULL UNIQUE,
    created_by       bigint REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz
);
CREATE INDEX files_org ON files (org_id, id) WHERE deleted_at IS NULL;

ALTER TABLE files ENABLE ROW LEVEL SECURITY;
ALTER TABLE files FORCE ROW LEVEL SECURITY;
DO $$
BEGIN
    EXECUTE format('CREATE POLICY owner_all ON files TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;
CREATE POLICY tenant ON files TO datanika_app USING (org_id = dnk_org_id()) WITH CHECK (org_id = dnk_org_id());
