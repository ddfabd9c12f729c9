-- One row that identifies this installation. Its short random id names the managed-warehouse
-- databases (dnk_<installation id>_<org id>) so several installations can share one server.
-- worker_heartbeat_at is touched by the worker leader every 30 s, so API processes can tell
-- whether any worker is alive.
CREATE TABLE installation (
    singleton           boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    installation_id     text NOT NULL CHECK (installation_id ~ '^[a-z0-9]{8}$'),
    created_at          timestamptz NOT NULL DEFAULT now(),
    worker_heartbeat_at timestamptz
);

INSERT INTO installation (installation_id)
VALUES (substr(replace(gen_random_uuid()::text, '-', ''), 1, 8));
