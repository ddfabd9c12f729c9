-- Runs (SPEC §8) of pipelines now, of transformations and jobs later; their structured log
-- lines; the incremental state of pipelines run by the platform (SPEC §6: per pipeline and
-- table, written only after the destination committed); and the stored answers of POSTs sent
-- with an Idempotency-Key (SPEC §3, kept 24 h).
CREATE TABLE runs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       bigint NOT NULL REFERENCES organizations (id),
    target_type  text NOT NULL CHECK (target_type IN ('pipeline', 'transformation', 'job')),
    target_id    bigint NOT NULL,
    status       text NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'running', 'success', 'failed', 'cancelled', 'skipped')),
    trigger      text NOT NULL CHECK (trigger IN ('manual', 'schedule', 'dependency', 'api', 'retry')),
    attempt      integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    retry_of     bigint REFERENCES runs (id),
    dag_run_id   bigint,
    full_refresh boolean NOT NULL DEFAULT false,
    job_id       bigint,
    created_by   bigint REFERENCES users (id),
    started_at   timestamptz,
    finished_at  timestamptz,
    rows_loaded  bigint NOT NULL DEFAULT 0,
    error        text,
    stats        jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
-- At most one active run per target, whatever races the API or the scheduler run into.
CREATE UNIQUE INDEX runs_one_active ON runs (org_id, target_type, target_id) WHERE status IN ('queued', 'running');
CREATE INDEX runs_org_created ON runs (org_id, created_at DESC, id DESC);
CREATE INDEX runs_target ON runs (org_id, target_type, target_id, created_at DESC);
CREATE INDEX runs_org_running ON runs (org_id) WHERE status = 'running';

CREATE TABLE run_logs (
    run_id  bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq     bigint NOT NULL,
    org_id  bigint NOT NULL REFERENCES organizations (id),
    at      timestamptz NOT NULL DEFAULT now(),
    level   text NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
    message text NOT NULL,
    fields  jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX run_logs_at ON run_logs (at);

CREATE TABLE pipeline_state (
    pipeline_id  bigint NOT NULL REFERENCES pipelines (id),
    table_name   text NOT NULL,
    org_id       bigint NOT NULL REFERENCES organizations (id),
    cursor_value text NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pipeline_id, table_name)
);

CREATE TABLE idempotency_keys (
    org_id           bigint NOT NULL REFERENCES organizations (id),
    key              text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    method           text NOT NULL,
    path             text NOT NULL,
    request_hash     bytea NOT NULL,
    status           integer,
    response_headers jsonb,
    response_body    bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    PRIMARY KEY (org_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['runs', 'run_logs', 'pipeline_state', 'idempotency_keys'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY owner_all ON %I TO %I USING (true) WITH CHECK (true)', t, current_user);
        EXECUTE format('CREATE POLICY tenant ON %I TO datanika_app USING (org_id = dnk_org_id()) WITH CHECK (org_id = dnk_org_id())', t);
    END LOOP;
END
$$;
