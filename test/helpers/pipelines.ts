/**
 * Fixtures for engine tests: connections with encrypted credentials, and
 * pipelines whose published version carries a hand-written plan (so engine
 * tests do not depend on the compiler).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { createHash, randomUUID } from 'node:crypto';
import { encryptCredentials } from '../../app/_server/connections/runtime';
import type { Db } from '../../app/_server/db';
import { closeDuckDbInstances } from '../../connectors/sources/duckdb';
import { RECORD_KEY_COLUMN, ZPlan, type TPlan, type TPlanPath } from '../../workflows/compile/plan';
import { pin } from '../../workflows/engine/pin';
import type { EngineDeps } from '../../workflows/engine/target';
import { createWorkspace } from './db';

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

/**
 * A run pinned to a one-path pipeline (email only, upsert) from a DuckDB
 * source that is never read to the no-op sink: for tests that stage, commit
 * or count rows by hand. Returns the run target's id.
 */
export async function pinnedSinkTarget(deps: EngineDeps): Promise<string> {
  const { workspace } = await createWorkspace(deps.db);
  const src = await createConnection(deps.db, workspace.id, { kind: 'source', connector: 'duckdb', config: {} });
  const sink = await createConnection(deps.db, workspace.id, { kind: 'destination', connector: 'noop-sink', config: {} });
  const { pipeline } = await createPipelineWithPlan(deps.db, workspace.id, () => [
    {
      id: 'dest',
      source: { connectionId: src.id, dialect: 'duckdb' },
      sql: 'SELECT 1',
      fields: [{ name: 'email', type: 'string', whenNull: 'send_null', onlyIfEmpty: false }],
      matchField: 'email',
      destination: { connectionId: sink.id, connector: 'noop-sink', object: 'records', mode: 'upsert', options: {} },
    },
  ]);
  const pinned = await pin(deps, { runId: `run_${randomUUID()}`, pipelineId: pipeline.id, trigger: 'test' });
  if (!pinned.ok) throw new Error(pinned.reason);
  return pinned.targets[0]!.runTargetId;
}

/**
 * Runs statements on a DuckDB warehouse file that a DuckDB source may hold
 * open read-only: the source's instances are closed first, since DuckDB
 * allows one writer and no readers besides.
 */
export async function writeDuckDb(file: string, statements: string[]): Promise<void> {
  closeDuckDbInstances();
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  try {
    for (const s of statements) await conn.run(s);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
