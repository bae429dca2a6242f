/**
 * What the engine committed for a destination: sync_state (the last payload
 * sent for each record, personal data), delivery_intents and the bucket
 * summaries (workflows/engine/bucket-summary.ts). The engine writes these in
 * bulk and they have no foreign keys, so nothing removes them on its own:
 * resetting the sync state and deleting a pipeline both go through here.
 */
import type { Db } from '../db';

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/** Deletes everything committed for these sync targets; returns how many sync_state rows went. */
export async function forgetSyncState(db: Tx, syncTargetIds: string[]): Promise<number> {
  const where = { where: { syncTargetId: { in: syncTargetIds } } };
  const removed = await db.syncState.deleteMany(where);
  await db.deliveryIntent.deleteMany(where);
  await db.bucketSummary.deleteMany(where);
  await db.bucketDigest.deleteMany(where);
  return removed.count;
}
