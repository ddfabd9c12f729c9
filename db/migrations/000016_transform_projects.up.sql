-- The project-level settings of the dbt project an org's models form in one destination
-- connection (SPEC §7): today its vars (dbt_project.yml's vars:, read by var()), set by an
-- imported project and written back by export.
CREATE TABLE transform_projects (
    connection_id bigint PRIMARY KEY REFERENCES connections (id),
    org_id        bigint NOT NULL REFERENCES organizations (id),
    vars          jsonb NOT NULL DEFAULT '{}',
    updated_at    timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE transform_projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE transform_projects FORCE ROW LEVEL SECURITY;
DO $$
BEGIN
    EXECUTE format('CREATE POLICY owner_all ON transform_projects TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;
CREATE POLICY tenant ON transform_projects TO datanika_app USING (org_id = dnk_org_id()) WITH CHECK (org_id = dnk_org_id());
