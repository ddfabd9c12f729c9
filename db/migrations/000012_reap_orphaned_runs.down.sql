DROP FUNCTION IF EXISTS dnk_end_orphaned_runs(text, text);
