/**
 * Preview: any node's rows, computed by running the compiled SQL up to that
 * node on the warehouse (with a LIMIT), so what the user sees is exactly what
 * a sync would read. A destination node's preview is a dry run: the rows the
 * sync would consider, diffed against the committed sync state when it exists
 * (added, changed, unchanged, removed), plus sample payloads as they would be sent.
 */
import type { JsonValue } from '../../../connectors/sdk/types';
import { compileNodeSql, type NodeSql } from '../../../workflows/compile/compile';
import { dialectFor } from '../../../workflows/compile/dialects';
import { RECORD_KEY_COLUMN, type TPlanField } from '../../../workflows/compile/plan';
import { canonicalText, contentHash as rowHash, encodeCanonical, fieldsSignature, payloadFromCanonical } from '../../../workflows/engine/hash';
import type { TColumn } from '../../../workflows/graph/columns';
import { issue, type TIssue } from '../../../workflows/graph/issues';
import { ZGraph } from '../../../workflows/graph/schema';
import { ConnectionConfigError, loadConnection } from '../connections/runtime';
import type { Db } from '../db';
import { oneLine } from '../errors';
import { buildPipelineEnv } from './env';

export const DEFAULT_PREVIEW_ROWS = 100;
const PREVIEW_TIMEOUT_MS = 60_000;
/** A dry run reads at most this many rows; beyond it the counts are marked partial. */
const DRY_RUN_MAX_ROWS = 250_000;
const SAMPLE_PAYLOADS = 5;

export type RowsPreview = {
  ok: true;
  kind: 'rows';
  nodeId: string;
  columns: TColumn[];
  rows: Record<string, JsonValue>[];
  /** More rows exist beyond `rows`. */
  truncated: boolean;
  sql: string;
  elapsedMs: number;
};

export type SamplePayload = { op: 'add' | 'change' | 'unchanged'; recordKey: string; match: { field: string; value: string | null }; fields: Record<string, JsonValue> };

export type DryRun = {
  ok: true;
  kind: 'dry_run';
  nodeId: string;
  object: string;
  mode: string;
  /** compared: diffed with the committed state; never_synced: no state yet (all rows are adds); unavailable: the sync-state table does not exist, counts only. */
  syncState: 'compared' | 'never_synced' | 'unavailable';
  counts: {
    /** Rows the extract returned (up to the dry-run cap). */
    rows: number;
    /** Rows without a record key (a NULL key column): never sent. */
    nullKeys: number;
    /** Rows whose key another row already had: never sent. */
    duplicateKeys: number;
    added: number | null;
    changed: number | null;
    unchanged: number | null;
    removed: number | null;
  };
  /** What the sync mode would do with that diff. */
  planned: { adds: number; updates: number; deletes: number } | null;
  partial: boolean;
  samples: SamplePayload[];
  note: string | null;
  sql: string;
  elapsedMs: number;
};

export type PreviewResult = RowsPreview | DryRun | { ok: false; issues: TIssue[] };

export async function previewNode(
  db: Db,
  args: {
    workspaceId: string;
    pipelineId: string | null;
    graph: unknown;
    nodeId: string;
    limit?: number;
    now?: string;
    /** The committed sync-state table; tests point it elsewhere. */
    syncStateTable?: string;
  },
): Promise<PreviewResult> {
  const started = Date.now();
  const parsed = ZGraph.safeParse(args.graph);
  const env = await buildPipelineEnv(db, args.workspaceId, parsed.success ? parsed.data : null, { introspect: true, ...(args.now ? { now: args.now } : {}) });
  const compiled = compileNodeSql(args.graph, args.nodeId, env);
  if (!compiled.ok) return compiled;

  let source;
  try {
    source = await loadConnection(db, args.workspaceId, compiled.connectionId, { signal: AbortSignal.timeout(PREVIEW_TIMEOUT_MS) });
  } catch (err) {
    if (err instanceof ConnectionConfigError) return { ok: false, issues: [issue('unknown_connection', oneLine(err), { nodeId: compiled.nodeIds[0]! })] };
    throw err;
  }
  if (source.connector.kind !== 'source') return { ok: false, issues: [issue('unknown_connection', 'the query reads from a destination connection — fix: pick a source', { nodeId: compiled.nodeIds[0]! })] };
  const { connector, ctx } = source;
  const read = (sql: string, batchSize: number) => connector.read(sql, ctx, { batchSize, timeoutMs: PREVIEW_TIMEOUT_MS });
  const failed = (err: unknown): PreviewResult => ({
    ok: false,
    issues: [issue('sql_error', `the warehouse could not run the SQL up to ${args.nodeId}: ${oneLine(err)} — fix: check the nodes on this path`, { nodeId: args.nodeId })],
  });

  try {
    if (compiled.kind === 'rows') {
      const limit = Math.max(1, Math.min(args.limit ?? DEFAULT_PREVIEW_ROWS, 10_000));
      const sql = dialectFor(compiled.dialect).limit(compiled.sql, limit + 1);
      const rows: Record<string, JsonValue>[] = [];
      for await (const batch of read(sql, limit + 1)) {
        for (const r of batch) rows.push(jsonRow(r));
        if (rows.length > limit) break;
      }
      return { ok: true, kind: 'rows', nodeId: args.nodeId, columns: compiled.columns, rows: rows.slice(0, limit), truncated: rows.length > limit, sql: compiled.sql, elapsedMs: Date.now() - started };
    }
    return await dryRun(db, args, compiled, read, started);
  } catch (err) {
    return failed(err);
  }
}

async function dryRun(
  db: Db,
  args: { pipelineId: string | null; nodeId: string; syncStateTable?: string },
  compiled: NodeSql,
  read: (sql: string, batchSize: number) => AsyncIterable<Record<string, unknown>[]>,
  started: number,
): Promise<DryRun> {
  const dest = compiled.destination!;
  const fields: TPlanField[] = dest.fields;
  const signature = fieldsSignature(fields);
  const table = args.syncStateTable ?? 'public.sync_state';
  if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(table)) throw new Error(`invalid sync-state table name ${table}`);
  const present = (await db.$queryRaw<{ present: boolean }[]>`SELECT to_regclass(${table}::text) IS NOT NULL AS present`)[0]?.present === true;
  const target = present && args.pipelineId ? await db.syncTarget.findUnique({ where: { pipelineId_nodeId: { pipelineId: args.pipelineId, nodeId: args.nodeId } } }) : null;
  const compare = present && target !== null;

  const counts = { rows: 0, nullKeys: 0, duplicateKeys: 0, added: 0, changed: 0, unchanged: 0 };
  const seen = new Set<string>();
  const samples: SamplePayload[] = [];
  const fallbackSamples: SamplePayload[] = [];
  let partial = false;

  for await (const batch of read(compiled.sql, 5_000)) {
    const rows: { key: string; hash: string; canonical: string; match: string | null }[] = [];
    for (const r of batch) {
      counts.rows++;
      const key = r[RECORD_KEY_COLUMN];
      if (key === null || key === undefined) {
        counts.nullKeys++;
        continue;
      }
      const k = String(key);
      if (seen.has(k)) {
        counts.duplicateKeys++;
        continue;
      }
      seen.add(k);
      const texts = fields.map((f) => canonicalText(f.type, r[f.name]));
      const canonical = encodeCanonical(texts);
      const matchIdx = fields.findIndex((f) => f.name === dest.matchField);
      rows.push({ key: k, canonical, hash: rowHash(signature, canonical), match: matchIdx >= 0 ? (texts[matchIdx] ?? null) : null });
    }
    const state = compare && rows.length ? await stateHashes(db, table, target!.id, rows.map((r) => r.key)) : new Map<string, string>();
    for (const row of rows) {
      const prior = state.get(row.key);
      const op = prior === undefined ? 'add' : prior === row.hash ? null : 'change';
      if (op === 'add') counts.added++;
      else if (op === 'change') counts.changed++;
      else counts.unchanged++;
      const sample = { op: op ?? 'unchanged', recordKey: row.key, match: { field: dest.matchField, value: row.match }, fields: payloadFromCanonical(fields, row.canonical) } satisfies SamplePayload;
      if (op && samples.length < SAMPLE_PAYLOADS) samples.push(sample);
      else if (fallbackSamples.length < SAMPLE_PAYLOADS) fallbackSamples.push(sample);
    }
    if (counts.rows >= DRY_RUN_MAX_ROWS) {
      partial = true;
      break;
    }
  }

  let removed: number | null = null;
  if (compare && !partial) {
    const total = await db.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM ${table} WHERE sync_target_id = $1`, target!.id);
    removed = Number(total[0]?.n ?? 0) - (counts.changed + counts.unchanged);
  } else if (present && !target) removed = 0;

  const mode = dest.mode;
  const diff = present
    ? { added: counts.added, changed: compare ? counts.changed : 0, unchanged: compare ? counts.unchanged : 0, removed }
    : { added: null, changed: null, unchanged: null, removed: null };
  const planned =
    diff.added === null
      ? null
      : {
          adds: mode === 'update' ? 0 : diff.added,
          updates: mode === 'upsert' || mode === 'update' || mode === 'mirror' ? (diff.changed ?? 0) : 0,
          deletes: mode === 'mirror' || mode === 'add_remove' ? (diff.removed ?? 0) : 0,
        };
  const note = !present
    ? 'The sync-state table does not exist yet, so only the rows the sync would consider are counted.'
    : !target
      ? 'This destination has never been synced: every row with a key would be added.'
      : partial
        ? `Only the first ${DRY_RUN_MAX_ROWS.toLocaleString('en')} rows were compared; removals are not counted.`
        : null;
  return {
    ok: true,
    kind: 'dry_run',
    nodeId: args.nodeId,
    object: dest.object,
    mode,
    syncState: !present ? 'unavailable' : compare ? 'compared' : 'never_synced',
    counts: { rows: counts.rows, nullKeys: counts.nullKeys, duplicateKeys: counts.duplicateKeys, ...diff },
    planned,
    partial,
    samples: (samples.length ? samples : fallbackSamples).slice(0, SAMPLE_PAYLOADS),
    note,
    sql: compiled.sql,
    elapsedMs: Date.now() - started,
  };
}

async function stateHashes(db: Db, table: string, syncTargetId: string, keys: string[]): Promise<Map<string, string>> {
  const rows = await db.$queryRawUnsafe<{ record_key: string; content_hash: string }[]>(
    `SELECT record_key, content_hash FROM ${table} WHERE sync_target_id = $1 AND record_key = ANY($2::text[])`,
    syncTargetId,
    keys,
  );
  return new Map(rows.map((r) => [r.record_key, r.content_hash]));
}

/** Values as JSON for the browser: dates as ISO text, big integers as text when unsafe. */
export function toJsonValue(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJsonValue(x)]));
  return String(v);
}

function jsonRow(r: Record<string, unknown>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(r)) out[k] = toJsonValue(v);
  return out;
}
