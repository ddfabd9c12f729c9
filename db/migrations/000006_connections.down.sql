DROP TABLE IF EXISTS catalog_entries, connections;
