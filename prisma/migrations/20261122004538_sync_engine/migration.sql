-- CreateTable
CREATE TABLE "sync_state" (
    "sync_target_id" TEXT NOT NULL,
    "record_key" TEXT NOT NULL,
    "content_hash" TEXT NOT NULL,
    "match_value" TEXT,
    "external_id" TEXT,
    "payload" TEXT,
    "synced_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_run_id" TEXT,

    CONSTRAINT "sync_state_pkey" PRIMARY KEY ("sync_target_id","record_key")
);

-- CreateTable
CREATE TABLE "run_rows" (
    "run_target_id" TEXT NOT NULL,
    "record_key" TEXT,
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
);

-- CreateTable
CREATE TABLE "run_batches" (
    "run_target_id" TEXT NOT NULL,
    "batch_no" INTEGER NOT NULL,
    "done_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "run_batches_pkey" PRIMARY KEY ("run_target_id","batch_no")
);

-- CreateTable
CREATE TABLE "delivery_intents" (
    "sync_target_id" TEXT NOT NULL,
    "record_key" TEXT NOT NULL,
    "op" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "external_id" TEXT,
    "run_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "delivery_intents_pkey" PRIMARY KEY ("sync_target_id","record_key","op")
);

-- CreateTable
CREATE TABLE "run_row_errors" (
    "id" BIGSERIAL NOT NULL,
    "run_id" TEXT NOT NULL,
    "run_target_id" TEXT NOT NULL,
    "record_key" TEXT NOT NULL,
    "op" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "field" TEXT,
    "payload_excerpt" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "run_row_errors_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sync_locks" (
    "connection_id" TEXT NOT NULL,
    "object" TEXT NOT NULL,
    "run_id" TEXT NOT NULL,
    "acquired_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sync_locks_pkey" PRIMARY KEY ("connection_id","object")
);

-- CreateTable
CREATE TABLE "rate_limits" (
    "key" VARCHAR(255) NOT NULL,
    "points" INTEGER NOT NULL,
    "expire" BIGINT,

    CONSTRAINT "rate_limits_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "run_rows_run_target_id_batch_no_idx" ON "run_rows"("run_target_id", "batch_no");

-- CreateIndex
CREATE INDEX "run_row_errors_run_id_idx" ON "run_row_errors"("run_id");

-- CreateIndex
CREATE INDEX "run_row_errors_run_target_id_record_key_idx" ON "run_row_errors"("run_target_id", "record_key");

-- CreateIndex
CREATE INDEX "run_row_errors_created_at_idx" ON "run_row_errors"("created_at");
