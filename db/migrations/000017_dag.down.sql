DROP FUNCTION dnk_release_run_event(bigint, text);
DROP FUNCTION dnk_claim_run_events(integer);
DROP TRIGGER runs_ended ON runs;
DROP FUNCTION dnk_run_ended();
DROP TABLE run_events;
DROP TABLE dag_run_nodes;
DROP TABLE dag_runs;
DROP TABLE dependencies;
