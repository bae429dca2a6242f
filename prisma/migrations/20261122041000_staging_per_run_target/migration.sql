-- Each run target stages into its own UNLOGGED table, run_rows_<run target
-- id>, created by the extract and dropped when the target is finalized
-- (workflows/engine/staging.ts). run_rows stays as the template those tables
-- are created LIKE, and holds no rows itself.
-- record_key has the "C" collation like sync_state.record_key, so joins
-- between the two compare under one collation and can use the sync_state
-- primary key index.
-- (Comments here avoid semicolons and apostrophes: the schema engine splits
-- scripts into statements before PostgreSQL sees them.)
ALTER TABLE "run_rows" ALTER COLUMN "record_key" TYPE TEXT COLLATE "C";
