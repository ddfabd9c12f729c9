-- The connection to an org's managed warehouse is marked by the server, never by a tenant's
-- config: only a managed connection may dial the warehouse's host and port (internal/egress),
-- and tenants cannot change its settings. Connections made by the warehouse job before this
-- column existed are the system's "Warehouse" connections (no creator).
ALTER TABLE connections ADD COLUMN managed boolean NOT NULL DEFAULT false;
UPDATE connections SET managed = true
WHERE name = 'Warehouse' AND type = 'postgres' AND created_by IS NULL AND deleted_at IS NULL;
CREATE UNIQUE INDEX connections_managed_live ON connections (org_id) WHERE managed AND deleted_at IS NULL;
