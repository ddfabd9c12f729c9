-- The run reaper (internal/run/reaper.go) ends as failed the runs whose worker stopped touching
-- them (killed, or cut off from the database), in every org. A narrow SECURITY DEFINER function,
-- like the *_by_hash lookups: the app role gets this one way past row-level security, no other.
CREATE FUNCTION dnk_reap_stale_runs(p_reason text, p_stale_seconds double precision) RETURNS SETOF runs
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS
$$ UPDATE runs SET status = 'failed', error = p_reason, finished_at = now(), updated_at = now(),
          stats = jsonb_set(stats, '{phase}', '"done"')
   WHERE status = 'running' AND updated_at < now() - make_interval(secs => p_stale_seconds)
   RETURNING * $$;
REVOKE EXECUTE ON FUNCTION dnk_reap_stale_runs(text, double precision) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dnk_reap_stale_runs(text, double precision) TO datanika_app;
