-- Notifications (SPEC §8): an org's channels (a signed webhook or a Slack-compatible URL), on
-- run failure / success / recovery or an overdue schedule, org-wide or for one node; and every
-- attempt at delivering one of their messages. A message is a series of attempt rows sharing
-- message_id (the webhook-id); each row is one attempt, made or due.
CREATE TABLE notifications (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        bigint NOT NULL REFERENCES organizations (id),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    channel       text NOT NULL CHECK (channel IN ('webhook', 'slack')),
    url           text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    -- A webhook's signing secret (whsec_…), sealed with the keyring (internal/secrets).
    secret_sealed bytea,
    events        text[] NOT NULL DEFAULT '{failure}'
                  CHECK (cardinality(events) >= 1 AND events <@ ARRAY['failure', 'success', 'recovery', 'overdue']),
    target_type   text CHECK (target_type IN ('pipeline', 'transformation', 'job')),
    target_id     bigint,
    is_active     boolean NOT NULL DEFAULT true,
    created_by    bigint REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((target_type IS NULL) = (target_id IS NULL)),
    CHECK ((channel = 'webhook') = (secret_sealed IS NOT NULL))
);
CREATE UNIQUE INDEX notifications_name ON notifications (org_id, lower(name));
CREATE INDEX notifications_target ON notifications (org_id, target_type, target_id) WHERE is_active;

CREATE TABLE notification_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id          bigint NOT NULL REFERENCES organizations (id),
    notification_id bigint NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    message_id      text NOT NULL,
    event           text NOT NULL CHECK (event IN ('run.failed', 'run.succeeded', 'run.recovered', 'schedule.overdue', 'test')),
    run_id          bigint REFERENCES runs (id) ON DELETE SET NULL,
    schedule_id     bigint,
    payload         jsonb NOT NULL,
    -- What made the message, once per channel (run_event:<id>, overdue:<schedule>:<due unix>):
    -- an event handled twice writes nothing more. Redeliveries and tests have none.
    dedupe_key      text,
    attempt         integer NOT NULL CHECK (attempt >= 1),
    -- pending: due at `at`, not made yet (or its process died mid-send: the job re-sends it);
    -- delivered: 2xx; retrying: failed, the next attempt is the row due at next_attempt_at;
    -- failed: failed for good.
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'retrying', 'failed')),
    status_code     integer,
    error           text,
    at              timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_deliveries_list ON notification_deliveries (notification_id, id DESC);
CREATE INDEX notification_deliveries_message ON notification_deliveries (notification_id, message_id);
CREATE UNIQUE INDEX notification_deliveries_dedupe ON notification_deliveries (notification_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX notification_deliveries_run ON notification_deliveries (run_id) WHERE run_id IS NOT NULL;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['notifications', 'notification_deliveries'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY owner_all ON %I TO %I USING (true) WITH CHECK (true)', t, current_user);
        EXECUTE format('CREATE POLICY tenant ON %I TO datanika_app USING (org_id = dnk_org_id()) WITH CHECK (org_id = dnk_org_id())', t);
    END LOOP;
END
$$;
