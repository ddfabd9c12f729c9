-- Schedules (SPEC §8): a node of the org fired on a 5-field cron expression in an IANA zone.
-- next_fire_at is the one instant the scheduler looks at: it claims due rows with FOR UPDATE
-- SKIP LOCKED, creates their runs and jobs, records the fire and advances next_fire_at, all in
-- one transaction (internal/schedule/scheduler.go). cron holds the normalized expression
-- (cron.Schedule.String()). next_fire_at is null while paused. overdue_for is the next_fire_at
-- for which an overdue event was raised, so each overdue fire is reported once.
CREATE TABLE schedules (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id                bigint NOT NULL REFERENCES organizations (id),
    target_type           text NOT NULL CHECK (target_type IN ('pipeline', 'transformation', 'job')),
    target_id             bigint NOT NULL,
    cron                  text NOT NULL CHECK (length(cron) BETWEEN 1 AND 200),
    timezone              text NOT NULL CHECK (length(timezone) BETWEEN 1 AND 64),
    is_active             boolean NOT NULL DEFAULT true,
    downstream            boolean NOT NULL DEFAULT false,
    misfire_grace_seconds integer NOT NULL DEFAULT 300 CHECK (misfire_grace_seconds BETWEEN 0 AND 86400),
    next_fire_at          timestamptz,
    last_fire_at          timestamptz,
    overdue_for           timestamptz,
    created_by            bigint REFERENCES users (id),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CHECK (is_active OR next_fire_at IS NULL)
);
CREATE INDEX schedules_org ON schedules (org_id, id);
CREATE INDEX schedules_target ON schedules (org_id, target_type, target_id);
CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE is_active;

-- One row per schedule and fire instant, whatever became of it: the primary key is the proof
-- that a fire happens at most once, across any number of scheduler processes.
CREATE TABLE schedule_fires (
    schedule_id bigint NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    fire_at     timestamptz NOT NULL,
    org_id      bigint NOT NULL REFERENCES organizations (id),
    outcome     text NOT NULL CHECK (outcome IN ('fired', 'missed', 'skipped')),
    run_id      bigint REFERENCES runs (id) ON DELETE SET NULL,
    reason      text,
    claimed_at  timestamptz NOT NULL,
    PRIMARY KEY (schedule_id, fire_at)
);
CREATE INDEX schedule_fires_org ON schedule_fires (org_id, schedule_id, fire_at DESC);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['schedules', 'schedule_fires'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY owner_all ON %I TO %I USING (true) WITH CHECK (true)', t, current_user);
        EXECUTE format('CREATE POLICY tenant ON %I TO datanika_app USING (org_id = dnk_org_id()) WITH CHECK (org_id = dnk_org_id())', t);
    END LOOP;
END
$$;

-- The scheduler crosses orgs in these three functions only. dnk_claim_due_schedules locks the
-- due rows of every org in the caller's transaction (skipping rows another scheduler holds): the
-- caller then works each one under that org's scope and advances it before committing; if it
-- never commits, the locks go and the rows are due again, unchanged.
CREATE FUNCTION dnk_claim_due_schedules(p_now timestamptz, p_limit integer) RETURNS SETOF schedules
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS
$$ SELECT * FROM schedules WHERE is_active AND next_fire_at <= p_now
   ORDER BY next_fire_at, org_id LIMIT p_limit FOR UPDATE SKIP LOCKED $$;
REVOKE EXECUTE ON FUNCTION dnk_claim_due_schedules(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dnk_claim_due_schedules(timestamptz, integer) TO datanika_app;

-- The earliest fire of any active schedule, for the scheduler's sleep (null when none).
CREATE FUNCTION dnk_next_schedule_fire() RETURNS timestamptz
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS
$$ SELECT min(next_fire_at) FROM schedules WHERE is_active $$;
REVOKE EXECUTE ON FUNCTION dnk_next_schedule_fire() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dnk_next_schedule_fire() TO datanika_app;

-- Active schedules whose fire is older than its grace (and than a minute, so a busy tick is not
-- reported) that no scheduler holds, not yet reported for that fire: marked, and returned once.
CREATE FUNCTION dnk_mark_overdue_schedules(p_now timestamptz, p_limit integer) RETURNS SETOF schedules
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS
$$ UPDATE schedules SET overdue_for = next_fire_at
   WHERE id IN (SELECT id FROM schedules
                WHERE is_active AND next_fire_at < p_now - make_interval(secs => greatest(misfire_grace_seconds, 60))
                  AND overdue_for IS DISTINCT FROM next_fire_at
                ORDER BY next_fire_at LIMIT p_limit FOR UPDATE SKIP LOCKED)
   RETURNING * $$;
REVOKE EXECUTE ON FUNCTION dnk_mark_overdue_schedules(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dnk_mark_overdue_schedules(timestamptz, integer) TO datanika_app;

-- A deleted (soft-deleted) node takes its schedules with it, in the transaction that deletes it;
-- the scheduler also checks the target before every fire.
CREATE FUNCTION dnk_drop_node_schedules() RETURNS trigger
    LANGUAGE plpgsql AS
$$ BEGIN
    DELETE FROM schedules WHERE org_id = NEW.org_id AND target_type = TG_ARGV[0] AND target_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER pipelines_drop_schedules AFTER UPDATE OF deleted_at ON pipelines
    FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
    EXECUTE FUNCTION dnk_drop_node_schedules('pipeline');
CREATE TRIGGER transformations_drop_schedules AFTER UPDATE OF deleted_at ON transformations
    FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
    EXECUTE FUNCTION dnk_drop_node_schedules('transformation');
CREATE TRIGGER jobs_drop_schedules AFTER UPDATE OF deleted_at ON jobs
    FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
    EXECUTE FUNCTION dnk_drop_node_schedules('job');

-- A deleted (soft-deleted) org's schedules stop firing with it.
CREATE FUNCTION dnk_pause_org_schedules() RETURNS trigger
    LANGUAGE plpgsql AS
$$ BEGIN
    UPDATE schedules SET is_active = false, next_fire_at = NULL, updated_at = now() WHERE org_id = NEW.id AND is_active;
    RETURN NULL;
END $$;
CREATE TRIGGER organizations_pause_schedules AFTER UPDATE OF deleted_at ON organizations
    FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
    EXECUTE FUNCTION dnk_pause_org_schedules();
