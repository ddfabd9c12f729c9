DROP TABLE jobs;
DROP TABLE sources;
DROP TABLE seeds;
DROP TABLE macros;
DROP INDEX transformations_path_live;
ALTER TABLE transformations DROP CONSTRAINT transformations_path;
ALTER TABLE transformations DROP COLUMN config, DROP COLUMN path;
