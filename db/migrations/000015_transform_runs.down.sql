DROP TABLE run_artifacts;
ALTER TABLE runs DROP COLUMN threads, DROP COLUMN exclude, DROP COLUMN selector, DROP COLUMN command;
