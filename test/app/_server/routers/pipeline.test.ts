/**
 * The pipeline router through createCaller: CRUD, drafts, validation,
 * publishing and versions, sync-target resets, preview, export/import, roles,
 * and workspace isolation.
 */
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { TGraph } from '../../../../workflows/graph/schema';
import { ZPlan } from '../../../../workflows/compile/plan';
import { callerAs, createWorkspace, testDb, type TestUser } from '../../../helpers/db';
import { customersPipeline } from '../../../workflows/helpers/graphs';
import { demoWarehouse, pipelineConnections, registerTestCrm, type DemoWarehouse } from '../pipelines/fixtures';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
  return 'OK';
}

describe('pipeline router', () => {
  const db = testDb();
  let wh: DemoWarehouse;
  let unregister: () => void;
  let ws: Awaited<ReturnType<typeof createWorkspace>>;
  let other: Awaited<ReturnType<typeof createWorkspace>>;
  let ids: { sourceId: string; destId: string };
  const as = (user: TestUser, workspaceId = ws.workspace.id) => callerAs(db, user, workspaceId);
  const graph = (sql?: string): TGraph => customersPipeline({ sourceId: ids.sourceId, destId: ids.destId, ...(sql ? { sql } : {}) });

  beforeAll(async () => {
    unregister = registerTestCrm();
    wh = await demoWarehouse(5000);
    ws = await createWorkspace(db, ['admin', 'editor', 'operator', 'viewer']);
    other = await createWorkspace(db, ['admin']);
    ids = await pipelineConnections(db, ws.workspace.id, wh.file);
  });

  afterAll(async () => {
    unregister();
    await wh.cleanup();
  });

  it('creates, lists, renames, duplicates and deletes pipelines', async () => {
    const editor = as(ws.members.editor);
    const created = await editor.pipeline.create({ name: 'CRUD test', description: 'first', graph: graph() });
    expect(created.draftRevision).toBe(0);
    expect(await codeOf(editor.pipeline.create({ name: 'CRUD test' }))).toBe('CONFLICT');

    const list = await as(ws.members.viewer).pipeline.list();
    expect(list.find((p) => p.id === created.id)).toMatchObject({ name: 'CRUD test', description: 'first', latestVersion: null });

    await editor.pipeline.rename({ id: created.id, name: 'CRUD renamed', description: 'second' });
    const got = await as(ws.members.viewer).pipeline.get({ id: created.id });
    expect(got).toMatchObject({ name: 'CRUD renamed', description: 'second', draftRevision: 0 });
    expect(got.draft).toMatchObject({ format: 'backflow.graph', version: 1 });

    const copy = await editor.pipeline.duplicate({ id: created.id });
    expect(copy.name).toBe('CRUD renamed (copy)');
    expect((await editor.pipeline.get({ id: copy.id })).draft).toEqual(got.draft);
    expect((await editor.pipeline.duplicate({ id: created.id })).name).toBe('CRUD renamed (copy) 2');

    // What runs leave behind for a destination: its sync state (last payloads sent), intents and bucket summary.
    const target = await db.syncTarget.create({
      data: { workspaceId: ws.workspace.id, pipelineId: created.id, nodeId: 'dest', connectionId: ids.destId, object: 'contacts', matchField: 'email', mode: 'upsert', fingerprint: 'f' },
    });
    await db.syncState.create({ data: { syncTargetId: target.id, recordKey: '1', contentHash: 'h', payload: 'a@x.co' } });
    await db.deliveryIntent.create({ data: { syncTargetId: target.id, recordKey: '1', op: 'create', idempotencyKey: 'k', state: 'done', runId: 'r' } });
    await db.bucketSummary.create({ data: { syncTargetId: target.id, bits: 0, phase: 'ready' } });
    await db.bucketDigest.create({ data: { syncTargetId: target.id, bucket: 0, rows: 1, tainted: 0, digestSum: 7 } });

    await editor.pipeline.delete({ id: created.id });
    expect(await codeOf(editor.pipeline.get({ id: created.id }))).toBe('NOT_FOUND');
    const where = { where: { syncTargetId: target.id } };
    expect([await db.syncState.count(where), await db.deliveryIntent.count(where), await db.bucketSummary.count(where), await db.bucketDigest.count(where)]).toEqual([0, 0, 0, 0]);
  });

  it('saves drafts by revision, and refuses malformed graphs without touching the draft', async () => {
    const editor = as(ws.members.editor);
    const { id } = await editor.pipeline.create({ name: 'Draft test' });
    const first = await editor.pipeline.saveDraft({ id, graph: graph(), baseRevision: 0 });
    expect(first.draftRevision).toBe(1);
    // A save from a stale revision (another tab) is refused.
    await expect(editor.pipeline.saveDraft({ id, graph: graph(), baseRevision: 0 })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('reload') });

    for (const bad of [{ nodes: 'nope' }, { format: 'backflow.graph', version: 1, nodes: [{ id: 'a', type: 'query' }], edges: [{ id: 'e' }] }, 'not json']) {
      await expect(editor.pipeline.saveDraft({ id, graph: bad, baseRevision: 1 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('the draft was not saved') });
    }
    const after = await editor.pipeline.get({ id });
    expect(after.draftRevision).toBe(1);
    expect(after.draft).toEqual(JSON.parse(JSON.stringify(graph())));

    // An unknown node type is saved (it is a draft) and reported by validate.
    const g = graph();
    g.nodes.push({ id: 'x1', type: 'teleport', position: { x: 0, y: 0 }, config: {} });
    await editor.pipeline.saveDraft({ id, graph: g, baseRevision: 1 });
    const v = await editor.pipeline.validate({ id });
    expect(v.ok).toBe(false);
    expect(v.issues).toEqual([expect.objectContaining({ code: 'unknown_node_type', nodeId: 'x1' })]);
  });

  it('validates against the warehouse: columns come from introspection; bad SQL is an error on its node', async () => {
    const editor = as(ws.members.editor);
    const { id } = await editor.pipeline.create({ name: 'Validate test', graph: graph() });
    const ok = await as(ws.members.viewer).pipeline.validate({ id });
    expect(ok.issues).toEqual([]);
    expect(ok.ok).toBe(true);
    expect(ok.columns.q1?.map((c) => c.name)).toEqual(['customer_id', 'first_name', 'last_name', 'email', 'country', 'signup_date', 'plan', 'marketing_opt_in']);

    const broken = await editor.pipeline.validate({ id, graph: graph('SELECT customer_id, nope FROM customers') });
    expect(broken.ok).toBe(false);
    expect(broken.issues[0]).toMatchObject({ code: 'sql_error', nodeId: 'q1' });
    expect(broken.issues[0]!.message).toMatch(/nope/);

    // Viewers may validate the saved draft but not an arbitrary graph.
    expect(await codeOf(as(ws.members.viewer).pipeline.validate({ id, graph: graph() }))).toBe('FORBIDDEN');
  });

  it('publish refuses an invalid draft with every error, keeps the draft, and creates no version', async () => {
    const editor = as(ws.members.editor);
    const g = graph('SELECT * FROM customers; DROP TABLE customers');
    const mapConfig = g.nodes.find((n) => n.id === 'm1')!.config as { matchField?: string };
    delete mapConfig.matchField;
    const { id } = await editor.pipeline.create({ name: 'Invalid publish', graph: g });
    const r = await editor.pipeline.publish({ id });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => [i.code, i.nodeId])).toEqual(expect.arrayContaining([
      ['sql_writes', 'q1'],
      ['missing_match_key', 'm1'],
    ]));
    expect(await editor.pipeline.versions({ id })).toEqual([]);
    expect((await editor.pipeline.get({ id })).draft).toEqual(JSON.parse(JSON.stringify(g)));
  });

  it('publishes numbered immutable versions with their plan and hash; restore makes a new draft', async () => {
    const editor = as(ws.members.editor);
    const { id } = await editor.pipeline.create({ name: 'Versions test', graph: graph() });
    const v1 = await editor.pipeline.publish({ id, note: 'first' });
    if (!v1.ok) throw new Error(JSON.stringify(v1.issues));
    expect(v1).toMatchObject({ unchanged: false, version: { number: 1, planHash: expect.stringMatching(/^[0-9a-f]{64}$/) } });

    // Nothing changed: no new version.
    const again = await editor.pipeline.publish({ id });
    expect(again).toMatchObject({ ok: true, unchanged: true, version: { number: 1 } });

    const detail = await as(ws.members.viewer).pipeline.version({ id, number: 1 });
    const plan = ZPlan.parse(detail.plan);
    expect(plan.pipelineId).toBe(id);
    expect(plan.paths[0]).toMatchObject({ id: 'd1', source: { connectionId: ids.sourceId, dialect: 'duckdb' }, matchField: 'email', destination: { connector: 'test-crm', object: 'contacts', mode: 'upsert' } });

    const target = await db.syncTarget.findUniqueOrThrow({ where: { pipelineId_nodeId: { pipelineId: id, nodeId: 'd1' } } });
    expect(target).toMatchObject({ connectionId: ids.destId, object: 'contacts', matchField: 'email', mode: 'upsert', needsReset: false });

    // A second version, then restore the first as the draft.
    const g2 = graph();
    (g2.nodes.find((n) => n.id === 'd1')!.config as { mode: string }).mode = 'mirror';
    const rev = (await editor.pipeline.get({ id })).draftRevision;
    await editor.pipeline.saveDraft({ id, graph: g2, baseRevision: rev });
    const v2 = await editor.pipeline.publish({ id, note: 'mirror' });
    expect(v2).toMatchObject({ ok: true, version: { number: 2 } });
    expect((await db.syncTarget.findUniqueOrThrow({ where: { id: target.id } })).mode).toBe('mirror');

    const versions = await as(ws.members.viewer).pipeline.versions({ id });
    expect(versions.map((v) => [v.number, v.note, v.createdBy?.email])).toEqual([
      [2, 'mirror', ws.members.editor.email],
      [1, 'first', ws.members.editor.email],
    ]);
    const restored = await editor.pipeline.restore({ id, number: 1 });
    expect(restored).toEqual({ draftRevision: rev + 2, restoredFrom: 1 });
    const p = await editor.pipeline.get({ id });
    expect(p.draft).toEqual(detail.graph);
    // Versions are immutable: restoring made a draft, not a version.
    expect((await editor.pipeline.versions({ id })).length).toBe(2);
    expect((await editor.pipeline.version({ id, number: 1 })).planHash).toBe(detail.planHash);
  });

  it('flags a reset when a publish changes the match key of a destination that holds synced rows', async () => {
    const editor = as(ws.members.editor);
    const { id } = await editor.pipeline.create({ name: 'Reset test', graph: graph() });
    await editor.pipeline.publish({ id });
    const st = await db.syncTarget.findUniqueOrThrow({ where: { pipelineId_nodeId: { pipelineId: id, nodeId: 'd1' } } });

    const changed = graph();
    (changed.nodes.find((n) => n.id === 'm1')!.config as { matchField: string }).matchField = 'email_hash';
    // No rows synced yet: the new match key simply becomes the baseline.
    let rev = (await editor.pipeline.get({ id })).draftRevision;
    await editor.pipeline.saveDraft({ id, graph: changed, baseRevision: rev });
    expect(await editor.pipeline.publish({ id })).toMatchObject({ ok: true, resets: [] });
    expect(await db.syncTarget.findUniqueOrThrow({ where: { id: st.id } })).toMatchObject({ matchField: 'email_hash', needsReset: false });

    // With committed rows, changing it back needs a reset, and the reason says what changed.
    await db.$executeRawUnsafe('INSERT INTO sync_state (sync_target_id, record_key, content_hash) VALUES ($1, $2, $3)', st.id, '1', 'h');
    rev = (await editor.pipeline.get({ id })).draftRevision;
    await editor.pipeline.saveDraft({ id, graph: graph(), baseRevision: rev });
    const r = await editor.pipeline.publish({ id });
    expect(r).toMatchObject({ ok: true, resets: [{ nodeId: 'd1', reason: expect.stringContaining('the match key changed from "email_hash" to "email"') }] });
    const after = await db.syncTarget.findUniqueOrThrow({ where: { id: st.id } });
    expect(after.needsReset).toBe(true);
    expect(after.resetReason).toMatch(/match key changed/);
    expect((await editor.pipeline.get({ id })).needsReset).toEqual([{ nodeId: 'd1', resetReason: after.resetReason }]);
  });

  it('previews through the router; viewers preview the saved draft only', async () => {
    const editor = as(ws.members.editor);
    const { id } = await editor.pipeline.create({ name: 'Preview test', graph: graph() });
    const r = await as(ws.members.viewer).pipeline.preview({ id, nodeId: 't1', limit: 10 });
    expect(r).toMatchObject({ ok: true, kind: 'rows' });
    if (r.ok && r.kind === 'rows') expect(r.rows).toHaveLength(10);
    expect(await codeOf(as(ws.members.viewer).pipeline.preview({ id, nodeId: 'q1', graph: graph('SELECT 1 AS customer_id') }))).toBe('FORBIDDEN');
    const d = await editor.pipeline.preview({ id, nodeId: 'd1' });
    expect(d).toMatchObject({ ok: true, kind: 'dry_run', syncState: 'never_synced' });
  });

  it('exports and imports the JSON document (config-as-code)', async () => {
    const editor = as(ws.members.editor);
    const { id } = await editor.pipeline.create({ name: 'Export test', description: 'round trip', graph: graph() });
    const doc = await as(ws.members.viewer).pipeline.export({ id });
    expect(doc).toMatchObject({ format: 'backflow.pipeline', version: 1, name: 'Export test', description: 'round trip' });

    expect(await codeOf(editor.pipeline.import({ document: doc }))).toBe('CONFLICT');
    const imported = await editor.pipeline.import({ document: JSON.stringify(doc), name: 'Imported' });
    const back = await editor.pipeline.get({ id: imported.id });
    expect(back.draft).toEqual(doc.graph);
    expect(back.description).toBe('round trip');

    await expect(editor.pipeline.import({ document: '{"format":"backflow.pipeline","version":1,"name":"x","graph":{"nodes":[]}}' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('graph.format'),
    });
    await expect(editor.pipeline.import({ document: '{oops' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('not valid JSON') });

    await editor.pipeline.publish({ id });
    expect((await editor.pipeline.export({ id, version: 1 })).graph).toEqual(doc.graph);
    expect(await codeOf(editor.pipeline.export({ id, version: 9 }))).toBe('NOT_FOUND');
  });

  it('introspects queries and lists destination fields for the editors', async () => {
    const editor = as(ws.members.editor);
    const cols = await editor.pipeline.introspect({ connectionId: ids.sourceId, source: { kind: 'table', table: 'customer_metrics' } });
    expect(cols.columns.find((c) => c.name === 'lifetime_value')).toMatchObject({ type: 'number' });
    await expect(editor.pipeline.introspect({ connectionId: ids.sourceId, source: { kind: 'sql', sql: 'DELETE FROM customers' } })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('DELETE') });

    const fields = await editor.pipeline.destinationFields({ connectionId: ids.destId, object: 'contacts' });
    expect(fields.fields.find((f) => f.name === 'email')).toMatchObject({ required: true, unique: true });
    expect(fields.modes).toEqual(['upsert', 'update', 'mirror']);
    expect(await codeOf(editor.pipeline.destinationFields({ connectionId: ids.destId, object: 'deals' }))).toBe('NOT_FOUND');
    expect(await codeOf(as(ws.members.viewer).pipeline.destinationFields({ connectionId: ids.destId, object: 'contacts' }))).toBe('FORBIDDEN');
  });

  it('lets viewers and operators read but not change anything', async () => {
    const { id } = await as(ws.members.editor).pipeline.create({ name: 'Roles test', graph: graph() });
    for (const role of ['viewer', 'operator'] as const) {
      const c = as(ws.members[role]);
      expect(await codeOf(c.pipeline.list())).toBe('OK');
      expect(await codeOf(c.pipeline.get({ id }))).toBe('OK');
      expect(await codeOf(c.pipeline.versions({ id }))).toBe('OK');
      expect(await codeOf(c.pipeline.export({ id }))).toBe('OK');
      expect(await codeOf(c.pipeline.create({ name: `x ${role}` }))).toBe('FORBIDDEN');
      expect(await codeOf(c.pipeline.rename({ id, name: 'y' }))).toBe('FORBIDDEN');
      expect(await codeOf(c.pipeline.duplicate({ id }))).toBe('FORBIDDEN');
      expect(await codeOf(c.pipeline.saveDraft({ id, graph: graph(), baseRevision: 0 }))).toBe('FORBIDDEN');
      expect(await codeOf(c.pipeline.publish({ id }))).toBe('FORBIDDEN');
      expect(await codeOf(c.pipeline.restore({ id, number: 1 }))).toBe('FORBIDDEN');
      expect(await codeOf(c.pipeline.import({ document: {} }))).toBe('FORBIDDEN');
      expect(await codeOf(c.pipeline.delete({ id }))).toBe('FORBIDDEN');
    }
    expect((await as(ws.members.viewer).pipeline.versions({ id })).length).toBe(0);
  });

  it("refuses to read another workspace's pipeline", async () => {
    const { id } = await as(ws.members.editor).pipeline.create({ name: 'Private', graph: graph() });
    const outsider = other.members.admin;
    // As a member of their own workspace: the id is not found there.
    const theirCaller = callerAs(db, outsider, other.workspace.id);
    for (const call of [
      () => theirCaller.pipeline.get({ id }),
      () => theirCaller.pipeline.export({ id }),
      () => theirCaller.pipeline.versions({ id }),
      () => theirCaller.pipeline.preview({ id, nodeId: 'q1' }),
      () => theirCaller.pipeline.publish({ id }),
      () => theirCaller.pipeline.delete({ id }),
    ]) {
      expect(await codeOf(call())).toBe('NOT_FOUND');
    }
    // Asking for the other workspace directly: not a member.
    expect(await codeOf(callerAs(db, outsider, ws.workspace.id).pipeline.get({ id }))).toBe('FORBIDDEN');
    expect((await callerAs(db, outsider, other.workspace.id).pipeline.list()).map((p) => p.id)).not.toContain(id);
    // Connections of another workspace are unknown to validation.
    const { id: theirs } = await callerAs(db, outsider, other.workspace.id).pipeline.create({ name: 'Borrowing', graph: graph() });
    const v = await callerAs(db, outsider, other.workspace.id).pipeline.validate({ id: theirs });
    expect(v.issues.filter((i) => i.code === 'unknown_connection').map((i) => i.nodeId).sort()).toEqual(['d1', 'q1']);
  });

  it('reads dbt models from a manifest and writes exposures for published pipelines', async () => {
    const editor = as(ws.members.editor);
    const manifest = JSON.stringify({
      metadata: { dbt_version: '1.8.0', project_name: 'shop' },
      nodes: {
        'model.shop.customer_metrics': {
          resource_type: 'model', unique_id: 'model.shop.customer_metrics', name: 'customer_metrics', database: 'warehouse', schema: 'main', alias: 'customer_metrics',
          description: 'One row per customer', columns: { customer_id: { name: 'customer_id', description: 'id', data_type: 'bigint' } }, config: { materialized: 'table' },
        },
        'model.shop.stg_orders': { resource_type: 'model', unique_id: 'model.shop.stg_orders', name: 'stg_orders', schema: 'main', config: { materialized: 'ephemeral' } },
        'test.shop.not_null': { resource_type: 'test', unique_id: 'test.shop.not_null', name: 'not_null', schema: 'main' },
      },
      sources: {},
    });
    const { models, projectName } = await editor.pipeline.dbtModels({ manifest });
    expect(projectName).toBe('shop');
    expect(models.map((m) => m.name)).toEqual(['customer_metrics']);
    expect(models[0]).toMatchObject({ schema: 'main', alias: 'customer_metrics', description: 'One row per customer', columns: [{ name: 'customer_id', dataType: 'bigint' }] });
    await expect(editor.pipeline.dbtModels({ manifest: '{"nodes": 3}' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('not a dbt manifest') });

    // A pipeline that reads the model (DuckDB: the demo tables live in schema main, no database qualifier).
    const g = graph();
    g.nodes[0]!.config = { connectionId: ids.sourceId, source: { kind: 'dbt', model: { ...models[0]!, database: null } }, primaryKey: ['customer_id'] };
    const { id } = await editor.pipeline.create({ name: 'Churn to CRM', graph: g });
    const published = await editor.pipeline.publish({ id });
    expect(published.ok).toBe(true);

    const out = await as(ws.members.viewer).pipeline.dbtExposures({});
    const doc = YAML.parse(out.yaml) as { version: number; exposures: { name: string; label: string; url: string; owner: { email: string }; depends_on: string[]; type: string; meta: { backflow_pipeline_id: string } }[] };
    expect(doc.version).toBe(2);
    const e = doc.exposures.find((x) => x.meta.backflow_pipeline_id === id)!;
    expect(e).toMatchObject({ name: 'backflow_churn_to_crm', label: 'Churn to CRM', type: 'application', owner: { email: ws.members.editor.email }, depends_on: ["ref('customer_metrics')"] });
    expect(e.url).toMatch(new RegExp(`/pipelines/${id}$`));
    // Only published pipelines are documented.
    expect(doc.exposures.every((x) => x.meta.backflow_pipeline_id)).toBe(true);
    expect(doc.exposures.some((x) => x.label === 'Roles test')).toBe(false);

    // With the manifest, a pipeline that picked the table by name also depends on the model.
    const t = graph();
    t.nodes[0]!.config = { connectionId: ids.sourceId, source: { kind: 'table', schema: 'main', table: 'customer_metrics' }, primaryKey: ['customer_id'] };
    const { id: tid } = await editor.pipeline.create({ name: 'Table pick', graph: t });
    await editor.pipeline.publish({ id: tid });
    const withManifest = YAML.parse((await editor.pipeline.dbtExposures({ manifest })).yaml) as { exposures: { label: string; depends_on: string[] }[] };
    expect(withManifest.exposures.find((x) => x.label === 'Table pick')?.depends_on).toEqual(["ref('customer_metrics')"]);
  });
});
