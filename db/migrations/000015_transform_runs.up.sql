-- Runs of transformations and jobs (SPEC §7, §8) go through the runs table like pipelines'
-- runs: what such a run does (the dbt command, its selector and exclusion) is kept on the run,
-- so a retry repeats it and a changed job does not change a run already queued. Their dbt
-- artifacts (run_results.json, manifest.json) are stored when the run ends.
ALTER TABLE runs
    ADD COLUMN command  text CHECK (command IN ('build', 'run', 'test', 'seed', 'snapshot', 'compile', 'freshness')),
    ADD COLUMN selector text,
    ADD COLUMN exclude  text,
    ADD COLUMN threads  integer CHECK (threads BETWEEN 1 AND 32);

CREATE TABLE run_artifacts (
    run_id     bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (name IN ('run_results.json', 'manifest.json')),
    org_id     bigint NOT NULL REFERENCES organizations (id),
    body       bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, name)
);

ALTER TABLE run_artifacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE run_artifacts FORCE ROW LEVEL SECURITY;
DO $$
BEGIN
    EXECUTE format('CREATE POLICY owner_all ON run_artifacts TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;
CREATE POLICY tenant ON run_artifacts TO datanika_app USING (org_id = dnk_org_id()) WITH CHECK (org_id = dnk_org_id());
