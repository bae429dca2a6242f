/**
 * Fixtures for engine tests: connections with encrypted credentials, and
 * pipelines whose published version carries a hand-written plan (so engine
 * tests do not depend on the compiler).
 */
import { createHash, randomUUID } from 'node:crypto';
import { encryptCredentials } from '../../app/_server/connections/runtime';
import type { Db } from '../../app/_server/db';
import { RECORD_KEY_COLUMN, ZPlan, type TPlan, type TPlanPath } from '../../workflows/compile/plan';

export async function createConnection(
  db: Db,
  workspaceId: string,
  opts: { name?: string; kind: 'source' | 'destination'; connector: string; config: unknown; credentials?: unknown; accountKey?: string },
) {
  const id = `conn_${randomUUID()}`;
  return db.connection.create({
    data: {
      id,
      workspaceId,
      name: opts.name ?? `${opts.connector} ${id.slice(-6)}`,
      kind: opts.kind,
      connector: opts.connector,
      config: opts.config as object,
      credentials: encryptCredentials(id, opts.credentials ?? {}),
      ...(opts.accountKey ? { accountKey: opts.accountKey } : {}),
    },
  });
}

export type PathSpec = Omit<TPlanPath, 'nodeIds' | 'primaryKey'> & { primaryKey?: string[]; nodeIds?: string[] };

export function plan(pipelineId: string, paths: PathSpec[]): TPlan {
  return ZPlan.parse({
    version: 1,
    pipelineId,
    paths: paths.map((p) => ({ nodeIds: ['query', p.id], primaryKey: ['id'], ...p })),
  });
}

export async function createPipelineWithPlan(db: Db, workspaceId: string, build: (pipelineId: string) => PathSpec[]) {
  const pipeline = await db.pipeline.create({
    data: { workspaceId, name: `pipeline ${randomUUID()}`, draft: { version: 1, nodes: [], edges: [] } },
  });
  const version = await publishPlan(db, pipeline.id, build(pipeline.id));
  return { pipeline, version };
}

export async function publishPlan(db: Db, pipelineId: string, paths: PathSpec[]) {
  const p = plan(pipelineId, paths);
  const last = await db.pipelineVersion.findFirst({ where: { pipelineId }, orderBy: { number: 'desc' } });
  return db.pipelineVersion.create({
    data: {
      pipelineId,
      number: (last?.number ?? 0) + 1,
      graph: { version: 1, nodes: [], edges: [] },
      plan: JSON.parse(JSON.stringify(p)) as object,
      planHash: createHash('sha256').update(JSON.stringify(p)).digest('hex'),
    },
  });
}

/** A DuckDB plan SQL selecting the record key and the given columns from a table. */
export function duckdbSql(table: string, keyColumn: string, columns: string[], where = ''): string {
  const cols = columns.map((c) => `"${c}"`).join(', ');
  return `SELECT CAST("${keyColumn}" AS VARCHAR) AS "${RECORD_KEY_COLUMN}", ${cols} FROM "${table}"${where ? ` WHERE ${where}` : ''}`;
}
