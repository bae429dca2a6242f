/**
 * Publishing: draft → validated, compiled, immutable version.
 *
 * 1. The draft is validated against live warehouse columns and compiled; any
 *    error refuses the publish and every issue is returned (the draft stays).
 * 2. The version gets the next number, the graph, the plan and the plan's
 *    content hash. Publishing an unchanged draft returns the latest version.
 * 3. Each destination node has a SyncTarget. Its fingerprint is
 *    sha256(connectionId|object|matchField) (the engine's syncFingerprint).
 *    When a publish changes it and the destination already holds synced rows,
 *    the target is flagged needsReset with a reason naming what changed; the
 *    engine refuses to run it until it is reset.
 */
import { compileGraph } from '../../../workflows/compile/compile';
import { contentHash } from '../../../workflows/compile/hash';
import type { TPlan, TPlanPath } from '../../../workflows/compile/plan';
import { syncFingerprint } from '../../../workflows/engine/pin';
import type { TIssue } from '../../../workflows/graph/issues';
import { ZGraph } from '../../../workflows/graph/schema';
import type { Db } from '../db';
import { buildPipelineEnv } from './env';
import { jsonObject } from './json';

export type PublishResult =
  | { ok: true; unchanged: boolean; version: { id: string; number: number; planHash: string; createdAt: Date }; warnings: TIssue[]; resets: { nodeId: string; reason: string }[] }
  | { ok: false; issues: TIssue[] };

export async function publishPipeline(
  db: Db,
  args: { workspaceId: string; pipelineId: string; userId: string; note?: string; now?: string },
): Promise<PublishResult | null> {
  const pipeline = await db.pipeline.findFirst({ where: { id: args.pipelineId, workspaceId: args.workspaceId } });
  if (!pipeline) return null;
  const graph = ZGraph.safeParse(pipeline.draft);
  const env = await buildPipelineEnv(db, args.workspaceId, graph.success ? graph.data : null, { introspect: true, ...(args.now ? { now: args.now } : {}) });
  const compiled = compileGraph(pipeline.draft, pipeline.id, env);
  if (!compiled.ok || !graph.success) return { ok: false, issues: compiled.ok ? [] : compiled.issues };
  const plan = compiled.plan;
  const planHash = contentHash(plan);
  // The graph as parsed (defaults filled in) is what the version keeps and compares.
  const storedGraph = jsonObject(graph.data);
  const graphHash = contentHash(storedGraph);

  return db.$transaction(
    async (tx) => {
      // Serialises publishes of one pipeline: version numbers stay gapless and unique.
      await tx.$queryRaw`SELECT id FROM "Pipeline" WHERE id = ${pipeline.id} FOR UPDATE`;
      const latest = await tx.pipelineVersion.findFirst({ where: { pipelineId: pipeline.id }, orderBy: { number: 'desc' } });
      if (latest && latest.planHash === planHash && contentHash(latest.graph) === graphHash) {
        return { ok: true as const, unchanged: true, version: pick(latest), warnings: compiled.warnings, resets: [] };
      }
      const version = await tx.pipelineVersion.create({
        data: {
          pipelineId: pipeline.id,
          number: (latest?.number ?? 0) + 1,
          graph: storedGraph,
          plan: jsonObject(plan),
          planHash,
          note: args.note ?? null,
          createdById: args.userId,
        },
      });
      const resets = await updateSyncTargets(tx, args.workspaceId, pipeline.id, plan);
      return { ok: true as const, unchanged: false, version: pick(version), warnings: compiled.warnings, resets };
    },
    { timeout: 30_000, maxWait: 10_000 },
  );
}

function pick(v: { id: string; number: number; planHash: string; createdAt: Date }) {
  return { id: v.id, number: v.number, planHash: v.planHash, createdAt: v.createdAt };
}

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

async function updateSyncTargets(tx: Tx, workspaceId: string, pipelineId: string, plan: TPlan): Promise<{ nodeId: string; reason: string }[]> {
  const resets: { nodeId: string; reason: string }[] = [];
  for (const path of plan.paths) {
    const fingerprint = syncFingerprint(path);
    const where = { pipelineId_nodeId: { pipelineId, nodeId: path.id } };
    const st = await tx.syncTarget.findUnique({ where });
    if (!st) {
      await tx.syncTarget.create({
        data: {
          workspaceId,
          pipelineId,
          nodeId: path.id,
          connectionId: path.destination.connectionId,
          object: path.destination.object,
          matchField: path.matchField,
          mode: path.destination.mode,
          fingerprint,
        },
      });
      continue;
    }
    if (st.fingerprint === fingerprint) {
      // Same destination as the committed state: a reset flagged by an earlier publish no longer applies.
      const revert = st.needsReset && st.resetReason?.startsWith(PUBLISH_REASON_PREFIX);
      await tx.syncTarget.update({
        where: { id: st.id },
        data: { mode: path.destination.mode, ...(revert ? { needsReset: false, resetReason: null } : {}) },
      });
      continue;
    }
    const committed = await tx.$queryRaw<{ one: number }[]>`SELECT 1 AS one FROM sync_state WHERE sync_target_id = ${st.id} LIMIT 1`;
    if (committed.length === 0) {
      // Nothing synced yet: adopt the new destination as the baseline.
      await tx.syncTarget.update({ where: { id: st.id }, data: { ...destinationOf(path), fingerprint, needsReset: false, resetReason: null } });
      continue;
    }
    const reason = `${PUBLISH_REASON_PREFIX}${describeChange(st, path)} — the rows synced so far belong to the old destination`;
    await tx.syncTarget.update({ where: { id: st.id }, data: { mode: path.destination.mode, needsReset: true, resetReason: reason } });
    resets.push({ nodeId: path.id, reason });
  }
  return resets;
}

const PUBLISH_REASON_PREFIX = 'published a change: ';

function destinationOf(path: TPlanPath) {
  return { connectionId: path.destination.connectionId, object: path.destination.object, matchField: path.matchField, mode: path.destination.mode };
}

function describeChange(st: { connectionId: string; object: string; matchField: string }, path: TPlanPath): string {
  const changes: string[] = [];
  if (st.connectionId !== path.destination.connectionId) changes.push(`the destination connection changed (${st.connectionId} → ${path.destination.connectionId})`);
  if (st.object !== path.destination.object) changes.push(`the object changed from "${st.object}" to "${path.destination.object}"`);
  if (st.matchField !== path.matchField) changes.push(`the match key changed from "${st.matchField}" to "${path.matchField}"`);
  return changes.join(', ') || 'the destination changed';
}
