-- Staging (run_rows) gets one partition per run target, created by the extract
-- and dropped when the run target is finalized (workflows/engine/staging.ts).
-- Dropping a partition purges a run in an instant and leaves no dead rows
-- behind for the next run to scan. Each partition is UNLOGGED, like the
-- table before it (PostgreSQL cannot mark the partitioned parent itself).
-- Rows staged by runs in flight are dropped: such runs fail at finalize with
-- the staging-lost message and their uncommitted rows are sent again.
-- record_key has the "C" collation like sync_state.record_key, so joins
-- between the two compare under one collation and can use the sync_state
-- primary key index.
-- (Comments here avoid semicolons and apostrophes: the schema engine splits
-- scripts into statements before PostgreSQL sees them.)
DROP TABLE "run_rows";

CREATE TABLE "run_rows" (
    "run_target_id" TEXT NOT NULL,
    "record_key" TEXT COLLATE "C",
    "match_value" TEXT,
    "content_hash" TEXT,
    "invalid" TEXT,
    "label" TEXT,
    "payload" TEXT,
    "op" TEXT,
    "batch_no" INTEGER,
    "outcome" TEXT,
    "external_id" TEXT,
    "error" TEXT,
    "field" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0
) PARTITION BY LIST ("run_target_id");

CREATE INDEX "run_rows_run_target_id_batch_no_idx" ON "run_rows"("run_target_id", "batch_no");
