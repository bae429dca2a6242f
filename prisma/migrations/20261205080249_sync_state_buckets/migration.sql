-- Each committed row keeps its key bucket and its row digest, which
-- incremental runs sum per bucket to skip the buckets that did not change
-- (workflows/engine/buckets.ts). Rows committed before this migration get
-- them here, with the same expressions commit.ts uses.
-- (Comments here avoid semicolons and apostrophes: the schema engine splits
-- scripts into statements before PostgreSQL sees them.)
ALTER TABLE "sync_state" ADD COLUMN     "key_bucket" INTEGER,
ADD COLUMN     "state_digest" BIGINT;

UPDATE "sync_state" SET
  "key_bucket" = CAST(CAST(('x' || substr(md5("record_key"), 1, 5)) AS bit(20)) AS bigint),
  "state_digest" = CAST(CAST(('x' || substr(md5(("record_key" || ':' || "content_hash")), 1, 15)) AS bit(60)) AS bigint);
