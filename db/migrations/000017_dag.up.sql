-- The DAG (SPEC §8): declared dependencies between an org's nodes (pipelines, transformations,
-- jobs); DAG runs, the cascades a trigger with `downstream` starts, with the nodes each one
-- froze when it started; and run_events, the outbox every ended run writes in the transaction
-- that ends it, which the dispatcher (internal/dag/dispatch.go) turns into the cascade's next
-- runs and into notifications after the ending is committed.
CREATE TABLE dependencies (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id                bigint NOT NULL REFERENCES organizations (id),
    upstream_type         text NOT NULL CHECK (upstream_type IN ('pipeline', 'transformation', 'job')),
    upstream_id           bigint NOT NULL,
    downstream_type       text NOT NULL CHECK (downstream_type IN ('pipeline', 'transformation', 'job')),
    downstream_id         bigint NOT NULL,
    check_timeframe_value integer CHECK (check_timeframe_value BETWEEN 1 AND 100000),
    check_timeframe_unit  text CHECK (check_timeframe_unit IN ('minutes', 'hours', 'days')),
    created_by            bigint REFERENCES users (id),
    created_at            timestamptz NOT NULL DEFAULT now(),
    CHECK ((check_timeframe_value IS NULL) = (check_timeframe_unit IS NULL)),
    CHECK (upstream_type <> downstream_type OR upstream_id <> downstream_id)
);
CREATE UNIQUE INDEX dependencies_edge ON dependencies (org_id, upstream_type, upstream_id, downstream_type, downstream_id);
CREATE INDEX dependencies_downstream ON dependencies (org_id, downstream_type, downstream_id);

CREATE TABLE dag_runs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       bigint NOT NULL REFERENCES organizations (id),
    root_type    text NOT NULL CHECK (root_type IN ('pipeline', 'transformation', 'job')),
    root_id      bigint NOT NULL,
    status       text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'success', 'failed', 'cancelled')),
    trigger      text NOT NULL CHECK (trigger IN ('manual', 'schedule', 'dependency', 'api', 'retry')),
    full_refresh boolean NOT NULL DEFAULT false,
    schedule_id  bigint,
    created_by   bigint REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX dag_runs_org ON dag_runs (org_id, created_at DESC);
CREATE INDEX dag_runs_running ON dag_runs (org_id) WHERE status = 'running';

-- A node of a DAG run: its upstreams inside the cascade (node keys such as 'pipeline:12') and,
-- once it has one, its run. position is its place in the topological order.
CREATE TABLE dag_run_nodes (
    dag_run_id bigint NOT NULL REFERENCES dag_runs (id) ON DELETE CASCADE,
    org_id     bigint NOT NULL REFERENCES organizations (id),
    node_type  text NOT NULL CHECK (node_type IN ('pipeline', 'transformation', 'job')),
    node_id    bigint NOT NULL,
    position   integer NOT NULL,
    upstreams  text[] NOT NULL DEFAULT '{}',
    run_id     bigint REFERENCES runs (id),
    PRIMARY KEY (dag_run_id, node_type, node_id)
);
CREATE UNIQUE INDEX dag_run_nodes_run ON dag_run_nodes (run_id);

CREATE TABLE run_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        bigint NOT NULL REFERENCES organizations (id),
    run_id        bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    status        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text,
    dispatched_at timestamptz
);
CREATE INDEX run_events_pending ON run_events (id) WHERE dispatched_at IS NULL;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['dependencies', 'dag_runs', 'dag_run_nodes', 'run_events'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY owner_all ON %I TO %I USING (true) WITH CHECK (true)', t, current_user);
        EXECUTE format('CREATE POLICY tenant ON %I TO datanika_app USING (org_id = dnk_org_id()) WITH CHECK (org_id = dnk_org_id())', t);
    END LOOP;
END
$$;

-- Every path that ends a run (the workers, a cancel, the reapers' SECURITY DEFINER functions)
-- writes its outbox row here, in its own transaction: the event exists exactly when the ending
-- is committed, and NOTIFY (delivered on commit) wakes the dispatcher. A run handed back to
-- the queue for another attempt does not end, so it writes nothing.
CREATE FUNCTION dnk_run_ended() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS
$$ BEGIN
    IF NEW.status IN ('success', 'failed', 'cancelled', 'skipped')
       AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status) THEN
        INSERT INTO run_events (org_id, run_id, status) VALUES (NEW.org_id, NEW.id, NEW.status);
        PERFORM pg_notify('datanika_run_events', NEW.id::text);
    END IF;
    RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION dnk_run_ended() FROM PUBLIC;
CREATE TRIGGER runs_ended AFTER INSERT OR UPDATE OF status ON runs
    FOR EACH ROW EXECUTE FUNCTION dnk_run_ended();

-- The dispatcher claims pending events of every org (the one way it crosses orgs), in the
-- caller's transaction: they stay locked, and count as dispatched only if it commits.
CREATE FUNCTION dnk_claim_run_events(p_limit integer) RETURNS SETOF run_events
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS
$$ UPDATE run_events SET dispatched_at = now(), attempts = attempts + 1
   WHERE id IN (SELECT id FROM run_events WHERE dispatched_at IS NULL AND attempts < 20 ORDER BY id
                LIMIT p_limit FOR UPDATE SKIP LOCKED)
   RETURNING * $$;
REVOKE EXECUTE ON FUNCTION dnk_claim_run_events(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dnk_claim_run_events(integer) TO datanika_app;

-- An event whose handling failed is put back with its error (the claim counted the attempt);
-- after 20 attempts it is left alone, its error kept for the operator.
CREATE FUNCTION dnk_release_run_event(p_id bigint, p_error text) RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS
$$ UPDATE run_events SET dispatched_at = NULL, last_error = left(p_error, 2000) WHERE id = p_id $$;
REVOKE EXECUTE ON FUNCTION dnk_release_run_event(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dnk_release_run_event(bigint, text) TO datanika_app;
