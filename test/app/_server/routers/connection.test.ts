import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { decryptCredentials } from '../../../../app/_server/connections/runtime';
import { closePostgresDestinationPools } from '../../../../connectors/destinations/postgres';
import { closeDuckDbInstances } from '../../../../connectors/sources/duckdb';
import { ensureDemoWarehouse } from '../../../../scripts/lib/demo-warehouse';
import { callerAs, createWorkspace, testDb } from '../../../helpers/db';

const SECRET = 'whsec-very-secret-value-123';
const TOKEN = 'bearer-token-never-shown-456';

async function failure(p: Promise<unknown>): Promise<TRPCError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

let dir: string;
let warehouse: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'bf-conn-'));
  warehouse = path.join(dir, 'warehouse.duckdb');
  await ensureDemoWarehouse(warehouse, { customers: 200 });
});

afterAll(async () => {
  closeDuckDbInstances();
  await closePostgresDestinationPools();
  await rm(dir, { recursive: true, force: true });
});

async function setup() {
  const db = testDb();
  const { workspace, members } = await createWorkspace(db, ['admin', 'editor', 'operator', 'viewer']);
  return {
    db,
    workspace,
    editor: callerAs(db, members.editor, workspace.id),
    operator: callerAs(db, members.operator, workspace.id),
    viewer: callerAs(db, members.viewer, workspace.id),
  };
}

function webhookInput(name = 'Orders hook') {
  return {
    connector: 'webhook',
    name,
    config: { url: 'https://hooks.example.test/backflow', headers: { 'X-Team': 'growth' } },
    credentials: { signingSecret: SECRET, bearerToken: TOKEN },
  };
}

describe('connection router', () => {
  it('encrypts credentials at rest and never returns them', async () => {
    const { db, editor, viewer } = await setup();
    const created = await editor.connection.create(webhookInput());
    expect(created.credentialsSet).toEqual({ signingSecret: true, bearerToken: true });
    expect(created.kind).toBe('destination');

    const row = await db.connection.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.credentials).not.toContain(SECRET);
    expect(row.credentials).not.toContain(TOKEN);
    expect(Buffer.from(row.credentials, 'base64').toString('latin1')).not.toContain(SECRET);
    // …but it is really stored, bound to this connection.
    expect(decryptCredentials(row.id, row.credentials)).toEqual({ signingSecret: SECRET, bearerToken: TOKEN });

    const list = await viewer.connection.list();
    const got = await viewer.connection.get({ id: created.id });
    for (const out of [list, got, created]) {
      const text = JSON.stringify(out);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(TOKEN);
    }
    expect(list.map((c) => c.name)).toEqual(['Orders hook']);
    expect(got.config).toMatchObject({ url: 'https://hooks.example.test/backflow', method: 'POST' });
  });

  it('lets a viewer read but not create, update or delete', async () => {
    const { editor, viewer } = await setup();
    const created = await editor.connection.create(webhookInput());
    for (const call of [
      () => viewer.connection.create(webhookInput('Other')),
      () => viewer.connection.update({ id: created.id, name: 'Renamed' }),
      () => viewer.connection.delete({ id: created.id }),
      () => viewer.connection.test({ id: created.id }),
    ]) {
      const err = await failure(call());
      expect(err.code).toBe('FORBIDDEN');
    }
    expect((await viewer.connection.list()).length).toBe(1);
  });

  it('validates config and credentials with the connector schemas and returns zod errors', async () => {
    const { editor } = await setup();
    const err = await failure(
      editor.connection.create({
        connector: 'webhook',
        name: 'Broken',
        config: { url: 'ftp://nope', headers: { Authorization: 'Bearer x' } },
        credentials: { signingSecret: 'short' },
      }),
    );
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.cause).toBeInstanceOf(ZodError);
    expect(err.message).toContain('config.url');
    expect(err.message).toContain('config.headers.Authorization');
    expect(err.message).toContain('credentials.signingSecret');
    const fields = Object.keys((err.cause as ZodError).flatten().fieldErrors);
    expect(fields.sort()).toEqual(['headers', 'signingSecret', 'url']);

    const unknown = await failure(editor.connection.create({ connector: 'nope', name: 'X' }));
    expect(unknown.message).toContain('Unknown connector "nope"');

    await editor.connection.create(webhookInput('Same name'));
    const dup = await failure(editor.connection.create(webhookInput('Same name')));
    expect(dup.code).toBe('CONFLICT');
  });

  it('keeps stored credentials that an edit leaves blank, replaces typed ones, clears listed ones', async () => {
    const { db, editor } = await setup();
    const created = await editor.connection.create(webhookInput());
    await editor.connection.update({ id: created.id, credentials: { signingSecret: '', bearerToken: 'new-token-789' } });
    let row = await db.connection.findUniqueOrThrow({ where: { id: created.id } });
    expect(decryptCredentials(row.id, row.credentials)).toEqual({ signingSecret: SECRET, bearerToken: 'new-token-789' });

    const updated = await editor.connection.update({ id: created.id, clearCredentials: ['bearerToken'], name: 'Renamed hook' });
    row = await db.connection.findUniqueOrThrow({ where: { id: created.id } });
    expect(decryptCredentials(row.id, row.credentials)).toEqual({ signingSecret: SECRET });
    expect(updated.credentialsSet).toEqual({ signingSecret: true });
    expect(updated.name).toBe('Renamed hook');

    const bad = await failure(editor.connection.update({ id: created.id, config: { url: 'not a url' } }));
    expect(bad.code).toBe('BAD_REQUEST');
    row = await db.connection.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.config).toMatchObject({ url: 'https://hooks.example.test/backflow' });
  });

  it('refuses to delete a connection that a pipeline draft or published plan uses, naming the pipelines', async () => {
    const { db, workspace, editor } = await setup();
    const source = await editor.connection.create({ connector: 'duckdb', name: 'Warehouse', config: { path: warehouse } });
    const hook = await editor.connection.create(webhookInput());
    const draftUser = await db.pipeline.create({
      data: {
        workspaceId: workspace.id,
        name: 'Churn alerts',
        draft: {
          version: 1,
          nodes: [
            { id: 'q', type: 'query', position: { x: 0, y: 0 }, config: { connectionId: source.id, sql: 'select 1' } },
            { id: 'd', type: 'destination', position: { x: 0, y: 0 }, config: { connectionId: hook.id, object: 'rows' } },
          ],
          edges: [{ id: 'e', source: 'q', target: 'd' }],
        },
      },
    });
    const published = await db.pipeline.create({ data: { workspaceId: workspace.id, name: 'Nightly export', draft: { version: 1, nodes: [], edges: [] } } });
    await db.pipelineVersion.create({
      data: {
        pipelineId: published.id,
        number: 3,
        graph: {},
        planHash: 'h',
        plan: { version: 1, pipelineId: published.id, paths: [{ id: 'd', source: { connectionId: 'other', dialect: 'duckdb' }, destination: { connectionId: hook.id, connector: 'webhook' } }] },
      },
    });

    const listed = await editor.connection.list();
    expect(listed.find((c) => c.id === hook.id)?.usedBy.map((u) => u.name).sort()).toEqual(['Churn alerts', 'Nightly export']);
    expect(listed.find((c) => c.id === source.id)?.usedBy.map((u) => u.name)).toEqual(['Churn alerts']);

    const refused = await failure(editor.connection.delete({ id: hook.id }));
    expect(refused.code).toBe('PRECONDITION_FAILED');
    expect(refused.message).toContain('used by 2 pipelines');
    expect(refused.message).toContain('"Churn alerts" (draft)');
    expect(refused.message).toContain('"Nightly export" (published v3)');
    expect(await db.connection.count({ where: { id: hook.id } })).toBe(1);

    // Once no pipeline refers to it, it goes.
    await db.pipeline.delete({ where: { id: published.id } });
    await db.pipeline.update({ where: { id: draftUser.id }, data: { draft: { version: 1, nodes: [], edges: [] } } });
    expect(await editor.connection.delete({ id: hook.id })).toEqual({ ok: true });
    expect(await db.connection.count({ where: { id: hook.id } })).toBe(0);
  });

  it('refuses access to another workspace’s connection', async () => {
    const a = await setup();
    const b = await setup();
    const mine = await a.editor.connection.create(webhookInput());
    for (const call of [
      () => b.editor.connection.get({ id: mine.id }),
      () => b.editor.connection.update({ id: mine.id, name: 'stolen' }),
      () => b.editor.connection.delete({ id: mine.id }),
      () => b.operator.connection.test({ id: mine.id }),
      () => b.editor.connection.discover({ id: mine.id }),
    ]) {
      expect((await failure(call())).code).toBe('NOT_FOUND');
    }
    expect(await b.editor.connection.list()).toEqual([]);
    expect((await a.viewer.connection.get({ id: mine.id })).name).toBe('Orders hook');
  });

  it('test() records the outcome and returns the exact failure for a bad DuckDB path', async () => {
    const { db, editor, operator } = await setup();
    const missing = path.join(dir, 'missing.duckdb');
    const bad = await editor.connection.create({ connector: 'duckdb', name: 'Typo', config: { path: missing } });
    const result = await operator.connection.test({ id: bad.id });
    expect(result.ok).toBe(false);
    expect(result.message).toBe(`DuckDB file ${missing} does not exist — fix: correct the path, or run \`npm run setup\` for the demo warehouse`);
    const row = await db.connection.findUniqueOrThrow({ where: { id: bad.id } });
    expect(row.lastTestOk).toBe(false);
    expect(row.lastTestMessage).toBe(result.message);
    expect(row.lastTestedAt?.getTime()).toBe(result.testedAt.getTime());

    const good = await editor.connection.create({ connector: 'duckdb', name: 'Demo', config: { path: warehouse } });
    const ok = await operator.connection.test({ id: good.id });
    expect(ok).toMatchObject({ ok: true, message: 'opened warehouse.duckdb read-only' });
    expect((await operator.connection.get({ id: good.id })).lastTestOk).toBe(true);

    // Editing the settings makes the old result meaningless.
    await editor.connection.update({ id: good.id, config: { path: warehouse, threads: 1 } });
    expect((await operator.connection.get({ id: good.id })).lastTestedAt).toBeNull();
  });

  it('test() names the host when a PostgreSQL destination is unreachable, and passes when it is up', async () => {
    const { editor, operator } = await setup();
    const down = await editor.connection.create({
      connector: 'postgres-table',
      name: 'Closed port',
      config: { host: '127.0.0.1', port: 1, database: 'postgres', user: 'postgres' },
      credentials: { password: 'x' },
    });
    const r = await operator.connection.test({ id: down.id });
    expect(r.ok).toBe(false);
    expect(r.message).toContain('Closed port: PostgreSQL 127.0.0.1:1/postgres: cannot connect (ECONNREFUSED)');
    expect(r.message).toContain('fix: check the host "127.0.0.1" and port 1');

    const up = await editor.connection.create({
      connector: 'postgres-table',
      name: 'Local',
      config: { host: '127.0.0.1', port: 5432, database: 'postgres', user: 'postgres', schema: 'public' },
    });
    const ok = await operator.connection.test({ id: up.id });
    expect(ok.ok).toBe(true);
    expect(ok.message).toMatch(/^connected to PostgreSQL \d+/);
  });

  it('discover() lists a source’s tables and a destination’s objects', async () => {
    const { editor, viewer } = await setup();
    const source = await editor.connection.create({ connector: 'duckdb', name: 'Demo', config: { path: warehouse } });
    const found = await editor.connection.discover({ id: source.id });
    expect(found.kind).toBe('source');
    const customers = found.tables.find((t) => t.name === 'customers');
    expect(customers?.columns.length).toBeGreaterThan(3);
    expect(customers?.columns.find((c) => c.name === 'email')?.type).toBe('string');
    expect((await failure(viewer.connection.discover({ id: source.id }))).code).toBe('FORBIDDEN');

    const hook = await editor.connection.create(webhookInput());
    const objects = await editor.connection.discover({ id: hook.id });
    expect(objects).toMatchObject({ kind: 'destination', objects: [{ name: 'rows' }] });
  });

  it('lists connectors with JSON Schemas and form fields, and the demo warehouse path', async () => {
    const { viewer } = await setup();
    const list = await viewer.connection.connectors();
    const webhook = list.find((c) => c.slug === 'webhook');
    expect(webhook).toMatchObject({ kind: 'destination', displayName: 'Webhook', testOnly: false });
    expect(webhook?.capabilities?.modes).toEqual(['insert', 'upsert', 'mirror']);
    expect(webhook?.schemas.config).toMatchObject({ type: 'object', required: ['url'] });
    const secret = webhook?.forms.credentials.fields.find((f) => f.key === 'signingSecret');
    expect(secret).toMatchObject({ kind: 'secret', required: false });
    expect(webhook?.forms.credentials.fields.find((f) => f.key === 'basicUsername')?.kind).toBe('text');
    expect(webhook?.forms.config.fields.find((f) => f.key === 'method')).toMatchObject({ kind: 'select', options: ['POST', 'PUT'], default: 'POST' });
    const pg = list.find((c) => c.slug === 'postgres-table');
    expect(pg?.forms.options?.fields).toEqual([expect.objectContaining({ key: 'createTable', kind: 'boolean' })]);
    expect(list.find((c) => c.slug === 'duckdb')?.kind).toBe('source');

    const demo = await viewer.connection.demoWarehouse();
    expect(demo.path).toMatch(/warehouse\.duckdb$/);
    expect(typeof demo.exists).toBe('boolean');
  });
});
