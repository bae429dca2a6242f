-- Staging skips the WAL: see the RunRow model comment in prisma/schema.prisma.
ALTER TABLE "run_rows" SET UNLOGGED;
ALTER TABLE "run_batches" SET UNLOGGED;
