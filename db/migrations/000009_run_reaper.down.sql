DROP FUNCTION IF EXISTS dnk_reap_stale_runs(text, double precision);
