DROP TABLE IF EXISTS idempotency_keys, pipeline_state, run_logs, runs;
