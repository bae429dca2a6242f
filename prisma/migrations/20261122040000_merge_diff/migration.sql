-- Incremental runs diff by a streaming merge (workflows/engine/merge.ts).
-- (Comments here avoid semicolons and apostrophes: the schema engine splits
-- scripts into statements before PostgreSQL sees them.)

-- Unchanged rows the merge counted without staging them. The run counts add
-- them to the rows staging holds.
ALTER TABLE "RunTarget" ADD COLUMN "unstagedUnchanged" INTEGER NOT NULL DEFAULT 0;

-- The merge reads committed keys in byte order: with the "C" collation the
-- primary key index yields that order without a sort. Prisma does not model
-- column collations (see the SyncState model comment).
ALTER TABLE "sync_state" ALTER COLUMN "record_key" TYPE TEXT COLLATE "C";
