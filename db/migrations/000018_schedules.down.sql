DROP TRIGGER jobs_drop_schedules ON jobs;
DROP TRIGGER transformations_drop_schedules ON transformations;
DROP TRIGGER pipelines_drop_schedules ON pipelines;
DROP FUNCTION dnk_drop_node_schedules();
DROP FUNCTION dnk_mark_overdue_schedules(timestamptz, integer);
DROP FUNCTION dnk_next_schedule_fire();
DROP FUNCTION dnk_claim_due_schedules(timestamptz, integer);
DROP TABLE schedule_fires;
DROP TABLE schedules;
