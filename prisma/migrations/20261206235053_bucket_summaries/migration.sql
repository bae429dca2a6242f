-- AlterTable
ALTER TABLE "run_rows" ADD COLUMN     "committed_bucket" INTEGER,
ADD COLUMN     "committed_digest" BIGINT;

-- CreateTable
CREATE TABLE "bucket_summaries" (
    "sync_target_id" TEXT NOT NULL,
    "bits" INTEGER NOT NULL,
    "phase" TEXT NOT NULL,
    "held_by" TEXT,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "bucket_summaries_pkey" PRIMARY KEY ("sync_target_id")
);

-- CreateTable
CREATE TABLE "bucket_digests" (
    "sync_target_id" TEXT NOT NULL,
    "bucket" INTEGER NOT NULL,
    "rows" INTEGER NOT NULL,
    "tainted" INTEGER NOT NULL,
    "digest_sum" DECIMAL(30,0) NOT NULL,

    CONSTRAINT "bucket_digests_pkey" PRIMARY KEY ("sync_target_id","bucket")
);

-- AddForeignKey
ALTER TABLE "bucket_summaries" ADD CONSTRAINT "bucket_summaries_sync_target_id_fkey" FOREIGN KEY ("sync_target_id") REFERENCES "SyncTarget"("id") ON DELETE CASCADE ON UPDATE CASCADE;
