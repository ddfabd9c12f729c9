-- One row that identifies this installation. Its short random id names the managed-warehouse
-- databases (dnk_<installation id>_<org id>) so several installations can share one server.
CREATE TABLE installation (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    installation_id text NOT NULL CHECK (installation_id ~ '^[a-z0-9]{8}$'),
    created_at      timestamptz NOT NULL DEFAULT now()
);

INSERT INTO installation (installation_id)
VALUES (substr(replace(gen_random_uuid()::text, '-', ''), 1, 8));
