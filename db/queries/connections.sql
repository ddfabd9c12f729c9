-- name: CreateConnection :one
INSERT INTO connections (org_id, name, type, direction, config_sealed, created_by)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

-- name: GetConnection :one
SELECT * FROM connections WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL;

-- name: ListConnections :many
SELECT * FROM connections
WHERE org_id = $1 AND deleted_at IS NULL AND id > sqlc.arg(after_id)
ORDER BY id
LIMIT sqlc.arg(lim);

-- name: UpdateConnection :one
UPDATE connections SET name = $3, config_sealed = $4, updated_at = now()
WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL
RETURNING *;

-- name: RecordConnectionTest :exec
UPDATE connections
SET last_test_ok = $3, last_test_message = $4, last_test_latency_ms = $5, last_test_at = now()
WHERE org_id = $1 AND id = $2;

-- name: SoftDeleteConnection :one
UPDATE connections SET deleted_at = now(), updated_at = now()
WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL
RETURNING *;

-- name: ListAllSealedConnections :many
-- Every connection of every org, for key rotation (run as the owner, outside tenant scope).
SELECT id, org_id, config_sealed FROM connections ORDER BY id;

-- name: SetConnectionSealed :exec
UPDATE connections SET config_sealed = $2 WHERE id = $1;

-- name: ListCatalogEntries :many
SELECT * FROM catalog_entries WHERE org_id = $1 AND connection_id = $2 ORDER BY schema_name, table_name;

-- name: DeleteStaleCatalogEntries :exec
-- After a refresh upserted what exists (refreshed_at = the transaction's now()), the rest is gone.
DELETE FROM catalog_entries WHERE org_id = $1 AND connection_id = $2 AND refreshed_at < now();

-- name: InsertCatalogEntry :exec
INSERT INTO catalog_entries (org_id, connection_id, schema_name, table_name, kind, columns, description)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (connection_id, schema_name, table_name) DO UPDATE
SET kind = EXCLUDED.kind, columns = EXCLUDED.columns, refreshed_at = now(); -- description kept

-- name: GetManagedConnection :one
SELECT * FROM connections WHERE org_id = $1 AND managed AND deleted_at IS NULL;

-- name: CreateManagedConnection :one
-- The org's managed-warehouse connection, made by the server (never through the API).
INSERT INTO connections (org_id, name, type, direction, config_sealed, managed)
VALUES ($1, $2, $3, $4, $5, true)
RETURNING *;

-- name: GetConnectionByName :one
SELECT * FROM connections WHERE org_id = $1 AND lower(name) = lower(sqlc.arg(name)) AND deleted_at IS NULL;

-- name: ConnectionUsers :many
-- The live pipelines, transformations, jobs, seeds and sources that use a connection, which
-- forbid deleting it.
SELECT u.kind, u.id, u.name FROM (
    SELECT 'pipeline'::text AS kind, p.id, p.name FROM pipelines p
    WHERE p.org_id = sqlc.arg(for_org) AND p.deleted_at IS NULL
      AND (p.source_connection_id = sqlc.arg(conn_id) OR p.destination_connection_id = sqlc.arg(conn_id))
    UNION ALL
    SELECT 'transformation'::text AS kind, t.id, t.name FROM transformations t
    WHERE t.org_id = sqlc.arg(for_org) AND t.deleted_at IS NULL AND t.destination_connection_id = sqlc.arg(conn_id)
    UNION ALL
    SELECT 'job'::text AS kind, j.id, j.name FROM jobs j
    WHERE j.org_id = sqlc.arg(for_org) AND j.deleted_at IS NULL AND j.destination_connection_id = sqlc.arg(conn_id)
    UNION ALL
    SELECT 'seed'::text AS kind, d.id, d.name FROM seeds d
    WHERE d.org_id = sqlc.arg(for_org) AND d.destination_connection_id = sqlc.arg(conn_id)
    UNION ALL
    SELECT 'source'::text AS kind, o.id, o.name FROM sources o
    WHERE o.org_id = sqlc.arg(for_org) AND o.connection_id = sqlc.arg(conn_id)
) u
ORDER BY u.kind, u.id
LIMIT 21;
