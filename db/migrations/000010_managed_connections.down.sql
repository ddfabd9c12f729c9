DROP INDEX IF EXISTS connections_managed_live;
ALTER TABLE connections DROP COLUMN IF EXISTS managed;
