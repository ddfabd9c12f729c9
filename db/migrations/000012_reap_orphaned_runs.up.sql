-- The run reaper (internal/run/reaper.go) also ends the runs left queued without a live River
-- job: a run handed back to the queue whose job River then cancelled (a user's cancel) or
-- discarded would otherwise wait for ever. A run legitimately waits queued while its job is
-- available, scheduled, retryable, pending or running (at the org's limit its job is snoozed),
-- so only a job in a final state, or gone (River's cleaner), ends it: cancelled for a cancelled
-- job, failed otherwise. Like dnk_reap_stale_runs (000009) a narrow SECURITY DEFINER function,
-- in plpgsql so that its body is checked only when called (River's tables are migrated after ours).
CREATE FUNCTION dnk_end_orphaned_runs(p_cancelled_reason text, p_failed_reason text) RETURNS SETOF runs
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS
$$ BEGIN
    RETURN QUERY
    UPDATE runs r
       SET status = CASE WHEN j.state::text = 'cancelled' THEN 'cancelled' ELSE 'failed' END,
           error = CASE WHEN j.state::text = 'cancelled' THEN p_cancelled_reason ELSE p_failed_reason END,
           finished_at = now(), updated_at = now(), stats = jsonb_set(r.stats, '{phase}', '"done"')
      FROM runs o LEFT JOIN river_job j ON j.id = o.job_id
     WHERE r.id = o.id AND r.status = 'queued' AND r.job_id IS NOT NULL
       AND (j.id IS NULL OR j.state::text IN ('cancelled', 'completed', 'discarded'))
    RETURNING r.*;
END $$;
REVOKE EXECUTE ON FUNCTION dnk_end_orphaned_runs(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dnk_end_orphaned_runs(text, text) TO datanika_app;
