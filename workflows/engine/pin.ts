/**
 * pin: the first step of every run. Chooses the version (the requested one, or
 * the latest published), records it on the run row (upserted by workflow id),
 * creates one run target per destination path, and takes the destination
 * locks. Changing the graph afterwards never changes this run.
 */
import { createHash } from 'node:crypto';
import { ZPlan, type TPlanPath } from '../compile/plan';
import type { EngineDeps } from './target';

export type PinInput = {
  runId: string;
  pipelineId: string;
  versionId?: string;
  trigger: string;
  requestedById?: string;
};

export type PinnedTarget = { runTargetId: string; nodeId: string };
export type PinResult =
  | { ok: true; runId: string; versionId: string; versionNumber: number; targets: PinnedTarget[] }
  | { ok: false; runId: string; reason: string };

export function syncFingerprint(path: Pick<TPlanPath, 'destination' | 'matchField'>): string {
  return createHash('sha256').update(`${path.destination.connectionId}|${path.destination.object}|${path.matchField}`).digest('hex');
}

export async function pin(deps: EngineDeps, input: PinInput): Promise<PinResult> {
  const { db } = deps;
  const pipeline = await db.pipeline.findUnique({ where: { id: input.pipelineId } });
  if (!pipeline) return { ok: false, runId: input.runId, reason: `pipeline ${input.pipelineId} does not exist` };

  // Replays of this activity find the run already pinned: keep that choice.
  const existing = await db.run.findUnique({ where: { id: input.runId }, include: { targets: true } });
  if (existing?.versionId && existing.targets.length) {
    const v = await db.pipelineVersion.findUniqueOrThrow({ where: { id: existing.versionId } });
    return { ok: true, runId: input.runId, versionId: v.id, versionNumber: v.number, targets: existing.targets.map((t) => ({ runTargetId: t.id, nodeId: t.nodeId })) };
  }

  const version = input.versionId
    ? await db.pipelineVersion.findFirst({ where: { id: input.versionId, pipelineId: pipeline.id } })
    : await db.pipelineVersion.findFirst({ where: { pipelineId: pipeline.id }, orderBy: { number: 'desc' } });
  const base = {
    id: input.runId,
    workspaceId: pipeline.workspaceId,
    pipelineId: pipeline.id,
    trigger: input.trigger,
    ...(input.requestedById ? { requestedById: input.requestedById } : {}),
  };
  const refuse = async (reason: string): Promise<PinResult> => {
    await db.run.upsert({
      where: { id: input.runId },
      create: { ...base, status: 'failed', error: reason, finishedAt: new Date() },
      update: { status: 'failed', error: reason, finishedAt: new Date() },
    });
    return { ok: false, runId: input.runId, reason };
  };
  if (!version) {
    return refuse(
      input.versionId
        ? `version ${input.versionId} does not belong to pipeline "${pipeline.name}"`
        : `pipeline "${pipeline.name}" has no published version — fix: publish it first`,
    );
  }
  const plan = ZPlan.parse(version.plan);

  await db.run.upsert({
    where: { id: input.runId },
    create: { ...base, versionId: version.id, status: 'running', startedAt: new Date() },
    update: { versionId: version.id, status: 'running', startedAt: new Date() },
  });

  // Sync targets: one per destination node; a changed destination needs a reset first.
  const targets: { path: TPlanPath; syncTargetId: string }[] = [];
  for (const path of plan.paths) {
    const fingerprint = syncFingerprint(path);
    let st = await db.syncTarget.findUnique({ where: { pipelineId_nodeId: { pipelineId: pipeline.id, nodeId: path.id } } });
    if (!st) {
      st = await db.syncTarget.create({
        data: {
          workspaceId: pipeline.workspaceId,
          pipelineId: pipeline.id,
          nodeId: path.id,
          connectionId: path.destination.connectionId,
          object: path.destination.object,
          matchField: path.matchField,
          mode: path.destination.mode,
          fingerprint,
        },
      });
    } else if (st.fingerprint !== fingerprint && !st.needsReset) {
      const committed = await deps.pool.query('SELECT 1 FROM sync_state WHERE sync_target_id = $1 LIMIT 1', [st.id]);
      if (committed.rowCount) {
        st = await db.syncTarget.update({
          where: { id: st.id },
          data: { needsReset: true, resetReason: 'the destination connection, object or match key changed since the last sync' },
        });
      } else {
        st = await db.syncTarget.update({
          where: { id: st.id },
          data: { fingerprint, connectionId: path.destination.connectionId, object: path.destination.object, matchField: path.matchField },
        });
      }
    }
    if (st.needsReset) {
      return refuse(
        `destination node ${path.id}: ${st.resetReason ?? 'its sync state must be reset'} — fix: reset the sync state (Runs → Reset sync state), which re-sends every row`,
      );
    }
    if (st.mode !== path.destination.mode) await db.syncTarget.update({ where: { id: st.id }, data: { mode: path.destination.mode } });
    targets.push({ path, syncTargetId: st.id });
  }

  // One active run per destination object.
  for (const { path } of targets) {
    const holder = await acquireLock(deps, path.destination.connectionId, path.destination.object, input.runId);
    if (holder) {
      await releaseLocks(deps, input.runId);
      return refuse(
        `another run (${holder}) is already syncing "${path.destination.object}" on this destination — fix: wait for it to finish or cancel it, then run again`,
      );
    }
  }

  const created: PinnedTarget[] = [];
  for (const { path, syncTargetId } of targets) {
    const rt = await db.runTarget.upsert({
      where: { runId_nodeId: { runId: input.runId, nodeId: path.id } },
      create: { runId: input.runId, nodeId: path.id, syncTargetId, status: 'running', startedAt: new Date() },
      update: {},
    });
    created.push({ runTargetId: rt.id, nodeId: path.id });
  }
  return { ok: true, runId: input.runId, versionId: version.id, versionNumber: version.number, targets: created };
}

const TERMINAL = ['succeeded', 'partial', 'failed', 'cancelled'];

/** Takes the (connection, object) lock for a run; returns the holder's run id when busy. */
export async function acquireLock(deps: EngineDeps, connectionId: string, object: string, runId: string): Promise<string | null> {
  const r = await deps.pool.query<{ run_id: string }>(
    `INSERT INTO sync_locks (connection_id, object, run_id) VALUES ($1, $2, $3)
     ON CONFLICT (connection_id, object) DO UPDATE SET run_id = EXCLUDED.run_id, acquired_at = now()
       WHERE sync_locks.run_id = EXCLUDED.run_id
          OR NOT EXISTS (SELECT 1 FROM "Run" r WHERE r.id = sync_locks.run_id AND r.status::text <> ALL($4::text[]))
     RETURNING run_id`,
    [connectionId, object, runId, TERMINAL],
  );
  if (r.rowCount) return null;
  const holder = await deps.pool.query<{ run_id: string }>('SELECT run_id FROM sync_locks WHERE connection_id = $1 AND object = $2', [connectionId, object]);
  return holder.rows[0]?.run_id ?? null;
}

export async function releaseLocks(deps: EngineDeps, runId: string): Promise<void> {
  await deps.pool.query('DELETE FROM sync_locks WHERE run_id = $1', [runId]);
}
