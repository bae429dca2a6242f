/**
 * Preview on the demo warehouse (5,000 customers): every node's rows come from
 * its compiled SQL, fast; a destination's preview is a dry run against the
 * committed sync state; SQL that fails or writes is an error on its node.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonObject } from '../../../../app/_server/pipelines/json';
import { previewNode, type DryRun, type PreviewResult, type RowsPreview } from '../../../../app/_server/pipelines/preview';
import { publishPipeline } from '../../../../app/_server/pipelines/publish';
import { canonicalText, contentHash, encodeCanonical, fieldsSignature } from '../../../../workflows/engine/hash';
import { ZPlan } from '../../../../workflows/compile/plan';
import { createWorkspace, testDb } from '../../../helpers/db';
import { customersPipeline } from '../../../workflows/helpers/graphs';
import { demoWarehouse, pipelineConnections, registerTestCrm, type DemoWarehouse } from './fixtures';

function rowsOf(r: PreviewResult): RowsPreview {
  if (!r.ok || r.kind !== 'rows') throw new Error(`expected rows, got ${JSON.stringify(r)}`);
  return r;
}

function dryRunOf(r: PreviewResult): DryRun {
  if (!r.ok || r.kind !== 'dry_run') throw new Error(`expected a dry run, got ${JSON.stringify(r)}`);
  return r;
}

describe('pipeline preview on the demo warehouse', () => {
  const db = testDb();
  let wh: DemoWarehouse;
  let unregister: () => void;
  let workspaceId: string;
  let userId: string;
  let ids: { sourceId: string; destId: string };

  beforeAll(async () => {
    unregister = registerTestCrm();
    wh = await demoWarehouse(5000);
    const ws = await createWorkspace(db, ['editor']);
    workspaceId = ws.workspace.id;
    userId = ws.members.editor.id;
    ids = await pipelineConnections(db, workspaceId, wh.file);
  });

  afterAll(async () => {
    unregister();
    await wh.cleanup();
  });

  const graph = () => customersPipeline({ sourceId: ids.sourceId, destId: ids.destId });

  it('previews every node in under 2 s, with typed columns and 100 rows by default', async () => {
    for (const nodeId of ['q1', 'f1', 't1', 'm1']) {
      const started = Date.now();
      const r = await previewNode(db, { workspaceId, pipelineId: null, graph: graph(), nodeId });
      const elapsed = Date.now() - started;
      const rows = rowsOf(r);
      expect(rows.kind).toBe('rows');
      expect(rows.rows).toHaveLength(100);
      expect(rows.truncated).toBe(true);
      expect(elapsed, `${nodeId} took ${elapsed} ms`).toBeLessThan(2000);
      expect(Object.keys(rows.rows[0]!)).toEqual(rows.columns.map((c) => c.name));
    }
    const q = rowsOf(await previewNode(db, { workspaceId, pipelineId: null, graph: graph(), nodeId: 'q1', limit: 5 }));
    expect(q.rows).toHaveLength(5);
    expect(q.columns.find((c) => c.name === 'signup_date')).toMatchObject({ type: 'date', nativeType: 'DATE' });
    expect(q.columns.find((c) => c.name === 'customer_id')?.type).toBe('integer');

    // The filter really ran in the warehouse: every row it returns passes it.
    const f = rowsOf(await previewNode(db, { workspaceId, pipelineId: null, graph: graph(), nodeId: 'f1', limit: 500 }));
    expect(f.rows.every((r) => r.marketing_opt_in === true && r.email !== null)).toBe(true);

    const t = rowsOf(await previewNode(db, { workspaceId, pipelineId: null, graph: graph(), nodeId: 't1', limit: 20 }));
    for (const r of t.rows) {
      expect(r.email_norm).toBe(String(r.email).trim().toLowerCase());
      expect(r.email_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(['customer', 'lead']).toContain(r.lifecycle);
    }

    const m = rowsOf(await previewNode(db, { workspaceId, pipelineId: null, graph: graph(), nodeId: 'm1', limit: 3 }));
    expect(m.columns.map((c) => c.name)).toEqual(['__bf_record_key', 'email', 'firstname', 'lastname', 'country', 'signup_date', 'lifecycle', 'email_hash', 'customer_since_days']);
  });

  it('a failing SQL, or one that writes, is an error on the query node', async () => {
    const bad = customersPipeline({ sourceId: ids.sourceId, destId: ids.destId, sql: 'SELECT * FROM custmers' });
    const r = await previewNode(db, { workspaceId, pipelineId: null, graph: bad, nodeId: 't1' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]).toMatchObject({ code: 'sql_error', nodeId: 'q1' });
    expect(r.issues[0]!.message).toMatch(/Customers \(q1\): the warehouse rejected the query: .*custmers.* — fix:/);

    for (const sql of ['DROP TABLE customers', 'SELECT 1 AS customer_id; DELETE FROM customers']) {
      const w = await previewNode(db, { workspaceId, pipelineId: null, graph: customersPipeline({ sourceId: ids.sourceId, destId: ids.destId, sql }), nodeId: 'q1' });
      expect(w).toMatchObject({ ok: false, issues: [{ code: 'sql_writes', nodeId: 'q1' }] });
    }
  });

  it('a dry run whose query fails part-way is an error, never counts of the rows read before the failure', async () => {
    // DuckDB's client ends such a stream without its error; counted, the rows
    // after the failure would show as removed.
    // 60 copies of the customers, with distinct ids; one that passes the filter fails to convert half-way.
    const id = "c.customer_id + r.range * 100000";
    const sql = `SELECT c.* REPLACE ((CASE WHEN ${id} = 3000007 THEN 'not a number' ELSE (${id})::VARCHAR END)::INTEGER AS customer_id) FROM customers c, range(60) r`;
    const failing = customersPipeline({ sourceId: ids.sourceId, destId: ids.destId, sql });
    const p = await db.pipeline.create({ data: { workspaceId, name: `cut ${randomUUID()}`, draft: jsonObject(failing) } });
    const r = await previewNode(db, { workspaceId, pipelineId: p.id, graph: failing, nodeId: 'd1' });
    expect(r).toMatchObject({ ok: false, issues: [{ code: 'sql_error', nodeId: 'd1' }] });
    if (r.ok) return;
    expect(r.issues[0]!.message).toContain('ended part-way');
  });

  it('previews a node while the rest of the graph is still being built', async () => {
    const g = graph();
    g.nodes = g.nodes.filter((n) => n.id === 'q1' || n.id === 'f1');
    g.edges = g.edges.filter((e) => e.target === 'f1');
    const r = await previewNode(db, { workspaceId, pipelineId: null, graph: g, nodeId: 'f1', limit: 10 });
    expect(r).toMatchObject({ ok: true, kind: 'rows' });
  });

  it('a destination preview is a dry run: all adds before the first sync', async () => {
    const p = await db.pipeline.create({ data: { workspaceId, name: `dry ${randomUUID()}`, draft: jsonObject(graph()) } });
    const r = await previewNode(db, { workspaceId, pipelineId: p.id, graph: graph(), nodeId: 'd1' });
    const d = dryRunOf(r);
    expect(d.kind).toBe('dry_run');
    expect(d.syncState).toBe('never_synced');
    expect(d.counts.rows).toBeGreaterThan(1000);
    expect(d.counts.nullKeys).toBe(0);
    expect(d.counts.added).toBe(d.counts.rows - d.counts.duplicateKeys);
    expect(d.planned).toEqual({ adds: d.counts.added, updates: 0, deletes: 0 });
    expect(d.samples).toHaveLength(5);
    const s = d.samples[0]!;
    expect(s.op).toBe('add');
    expect(s.match.field).toBe('email');
    expect(s.match.value).toBe(s.fields.email);
    expect(Object.keys(s.fields)).toEqual(expect.arrayContaining(['email', 'country', 'email_hash', 'customer_since_days']));
    expect(typeof s.fields.customer_since_days).toBe('number');
  });

  it('diffs against the committed sync state: added, changed, unchanged, removed', async () => {
    const p = await db.pipeline.create({ data: { workspaceId, name: `diff ${randomUUID()}`, draft: jsonObject(graph()), createdById: userId } });
    const published = await publishPipeline(db, { workspaceId, pipelineId: p.id, userId });
    if (!published?.ok) throw new Error(JSON.stringify(published));
    const target = await db.syncTarget.findUniqueOrThrow({ where: { pipelineId_nodeId: { pipelineId: p.id, nodeId: 'd1' } } });
    const version = await db.pipelineVersion.findFirstOrThrow({ where: { pipelineId: p.id } });
    const path = ZPlan.parse(version.plan).paths[0]!;

    // Commit state as the engine would: 3 rows exactly as extracted, 2 with stale hashes, 4 that left the extract.
    const sig = fieldsSignature(path.fields);
    const hashOf = (row: Record<string, unknown>) => contentHash(sig, encodeCanonical(path.fields.map((f) => canonicalText(f.type, row[f.name]))));
    const dry0 = dryRunOf(await previewNode(db, { workspaceId, pipelineId: p.id, graph: graph(), nodeId: 'd1' }));
    expect(dry0.syncState).toBe('compared');
    expect(dry0.counts.changed).toBe(0);
    const sampleKeys = dry0.samples.map((s) => s.recordKey);
    expect(sampleKeys).toHaveLength(5);
    const rowsByKey = new Map(dry0.samples.map((s) => [s.recordKey, s.fields]));
    const insert = async (key: string, hash: string) =>
      db.$executeRawUnsafe('INSERT INTO sync_state (sync_target_id, record_key, content_hash, synced_at) VALUES ($1, $2, $3, now())', target.id, key, hash);
    for (const k of sampleKeys.slice(0, 3)) await insert(k, hashOf(rowsByKey.get(k)!));
    for (const k of sampleKeys.slice(3, 5)) await insert(k, 'stale-hash');
    for (let i = 0; i < 4; i++) await insert(`gone-${i}`, 'x');

    const dry = dryRunOf(await previewNode(db, { workspaceId, pipelineId: p.id, graph: graph(), nodeId: 'd1' }));
    expect(dry.syncState).toBe('compared');
    expect(dry.counts.unchanged).toBe(3);
    expect(dry.counts.changed).toBe(2);
    expect(dry.counts.removed).toBe(4);
    expect(dry.counts.added).toBe(dry0.counts.added! - 5);
    expect(dry.planned).toEqual({ adds: dry.counts.added, updates: 2, deletes: 0 });
    expect(dry.samples.every((s) => s.op === 'add' || s.op === 'change')).toBe(true);
  });

  it('returns counts only while the sync-state table does not exist', async () => {
    const p = await db.pipeline.create({ data: { workspaceId, name: `nostate ${randomUUID()}`, draft: jsonObject(graph()) } });
    const r = dryRunOf(await previewNode(db, { workspaceId, pipelineId: p.id, graph: graph(), nodeId: 'd1', syncStateTable: 'bf_no_such_sync_state' }));
    expect(r.syncState).toBe('unavailable');
    expect(r.counts.rows).toBeGreaterThan(1000);
    expect(r.counts.added).toBeNull();
    expect(r.planned).toBeNull();
    expect(r.note).toMatch(/does not exist yet/);
  });
});
