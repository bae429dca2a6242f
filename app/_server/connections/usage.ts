/**
 * Which pipelines use a connection. Pipelines reference connections by id
 * inside their JSON: the draft graph (query and destination nodes'
 * `config.connectionId`) and the published plan (`paths[].source.connectionId`
 * and `paths[].destination.connectionId`). Rather than depend on either
 * format's exact shape, every `connectionId` string anywhere in the draft or
 * the latest published version counts — a reference in a new node type is
 * then found too.
 */
import type { Db } from '../db';

export type PipelineUse = { id: string; name: string; where: string[] };

/** Every string value under a key named `connectionId`, at any depth. */
export function collectConnectionIds(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) collectConnectionIds(v, out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'connectionId' && typeof v === 'string') out.add(v);
      else collectConnectionIds(v, out);
    }
  }
  return out;
}

/**
 * Connection id → pipelines of the workspace that use it. Only the draft and
 * the latest published version count: that is what edits and schedules run;
 * older versions are history.
 */
export async function connectionUsage(db: Db, workspaceId: string): Promise<Map<string, PipelineUse[]>> {
  const pipelines = await db.pipeline.findMany({
    where: { workspaceId },
    select: { id: true, name: true, draft: true, versions: { orderBy: { number: 'desc' }, take: 1, select: { number: true, plan: true } } },
    orderBy: { name: 'asc' },
  });
  const usage = new Map<string, PipelineUse[]>();
  for (const p of pipelines) {
    const where = new Map<string, string[]>();
    for (const id of collectConnectionIds(p.draft)) where.set(id, ['draft']);
    const latest = p.versions[0];
    if (latest) {
      for (const id of collectConnectionIds(latest.plan)) where.set(id, [...(where.get(id) ?? []), `published v${latest.number}`]);
    }
    for (const [id, places] of where) usage.set(id, [...(usage.get(id) ?? []), { id: p.id, name: p.name, where: places }]);
  }
  return usage;
}

/** "A" (draft), "B" (draft, published v3) */
export function describeUsage(uses: PipelineUse[]): string {
  return uses.map((u) => `"${u.name}" (${u.where.join(', ')})`).join(', ');
}
