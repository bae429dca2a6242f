-- Staged rows carry their key bucket and row digest (workflows/engine/buckets.ts)
-- when the warehouse or Node computed them during the extract, so a commit
-- copies them into sync_state instead of hashing every row again in
-- PostgreSQL. NULL means not computed: the commit computes it then.
-- Staging tables of runs in flight (created LIKE run_rows before this
-- migration) get the columns when a worker starts (staging.ts
-- upgradeStaging): the schema engine cannot run a DO block.
-- (Comments here avoid semicolons and apostrophes: the schema engine splits
-- scripts into statements before PostgreSQL sees them.)
ALTER TABLE "run_rows" ADD COLUMN     "key_bucket" INTEGER,
ADD COLUMN     "state_digest" BIGINT;
