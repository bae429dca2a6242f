/**
 * Braze destination against the Braze sandbox (test/sandboxes/braze, its own
 * process): the conformance kit, then Braze-specific behaviour — 75 attributes
 * per /users/track request, minor errors mapped back to the right rows by
 * index, update-only mode, deletes in 50s, X-RateLimit-* headers, discover.
 */
import net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { brazeDestination, ID_BATCH, TRACK_BATCH } from '../../../connectors/destinations/braze';
import { ZBrazeConfig, type TBrazeConfig, type TBrazeCredentials, type TBrazeOptions } from '../../../connectors/destinations/braze/schema';
import { isConnectorError, type ConnectorError, type SyncMode, type WriteContext, type WriteRow } from '../../../connectors/sdk/types';
import { testWriteContext } from '../../helpers/connector-context';
import type { TFault } from '../../sandboxes/lib/server';
import { spawnSandbox, type SandboxProcess } from '../../sandboxes/lib/spawn';
import { describeConformance } from '../conformance';
import type { FaultKind } from '../conformance-subject';

const API_KEY = 'braze-sandbox-key';

type User = { key: string; external_id: string | null; attributes: Record<string, unknown> };

/** Bodies of the requests the sandbox logged. */
const ZTrackBody = z.object({ attributes: z.array(z.record(z.string(), z.unknown())) });
const ZIdsBody = z.object({ external_ids: z.array(z.string()) });

function faultFor(kind: FaultKind): Partial<TFault> & { kind: TFault['kind'] } {
  const onTrack = { method: 'POST', path: '/users/track' };
  switch (kind) {
    case 'rate_limited':
      return { kind: 'status', status: 429, retryAfterSeconds: 1, body: { message: 'Rate Limited: over rate limit' }, ...onTrack };
    case 'server_error':
      return { kind: 'status', status: 500, body: { message: 'Internal Server Error' }, ...onTrack };
    case 'drop_after_apply':
      return { kind: 'drop_after_apply', ...onTrack };
    case 'timeout':
      return { kind: 'timeout', holdMs: 5_000, ...onTrack };
  }
}

let conformanceSandbox: SandboxProcess;

describeConformance({
  name: 'Braze users',
  connector: brazeDestination,
  object: 'users',
  mode: 'upsert',
  async start() {
    conformanceSandbox = await spawnSandbox('braze');
    return {
      credentials: { apiKey: API_KEY },
      config: { baseUrl: conformanceSandbox.url, timeoutMs: 1_500 },
      options: {},
      badCredentials: { apiKey: 'revoked-key' },
      stop: () => conformanceSandbox.stop(),
    };
  },
  row: (i) => ({
    recordKey: `u-${i}`,
    match: { field: 'external_id', value: `user-${i}` },
    fields: { external_id: `user-${i}`, email: `person${i}@example.com`, first_name: `First ${i}`, plan: 'pro', lifetime_value: i },
  }),
  invalidRow: (i) => ({
    row: { recordKey: `u-${i}`, match: { field: 'external_id', value: `user-${i}` }, fields: { external_id: `user-${i}`, email: `not-an-email-${i}` } },
    field: 'email',
  }),
  async countByMatch(value) {
    return (await conformanceSandbox.records<User[]>({ external_id: value })).length;
  },
  async writeRequestSizes() {
    return (await conformanceSandbox.requests())
      .filter((r) => r.method === 'POST' && (r.path === '/users/track' || r.path === '/users/delete'))
      .map((r) => (r.path === '/users/track' ? ZTrackBody.parse(r.body).attributes.length : ZIdsBody.parse(r.body).external_ids.length));
  },
  async requestTimestamps() {
    return (await conformanceSandbox.requests()).map((r) => r.at);
  },
  injectFault: (kind) => conformanceSandbox.fault(faultFor(kind)),
  reset: () => conformanceSandbox.reset(),
  apiMaxBatch: TRACK_BATCH,
  // The declared 1,000 requests/s cannot be reached in a short test: the rate-limit check shares 10/s instead.
  testRateLimit: 10,
});

// ───────────────────────────── Braze-specific ─────────────────────────────

type Ctx = WriteContext<TBrazeCredentials, TBrazeConfig, TBrazeOptions>;

function ctxFor(baseUrl: string, opts: { mode?: SyncMode; apiKey?: string; name?: string } = {}): Ctx {
  const ctx = testWriteContext(brazeDestination, {
    credentials: { apiKey: opts.apiKey ?? API_KEY },
    config: ZBrazeConfig.parse({ baseUrl, timeoutMs: 5_000 }),
    object: 'users',
    mode: opts.mode ?? 'upsert',
    options: {},
  });
  return { ...ctx, connectionName: opts.name ?? 'Braze prod' };
}

function row(id: string, fields: WriteRow['fields'] = {}, op: WriteRow['op'] = 'upsert'): WriteRow {
  return { recordKey: id, op, fields: { external_id: id, ...fields }, match: { field: 'external_id', value: id }, idempotencyKey: `${id}-${op}` };
}

async function thrown(p: Promise<unknown>): Promise<ConnectorError> {
  try {
    await p;
  } catch (err) {
    if (isConnectorError(err)) return err;
    throw err;
  }
  throw new Error('expected a ConnectorError');
}

describe('Braze destination', () => {
  let sandbox: SandboxProcess;
  const users = () => sandbox.records<User[]>();
  const trackBodies = async () =>
    (await sandbox.requests()).filter((r) => r.path === '/users/track').map((r) => ZTrackBody.parse(r.body));

  beforeAll(async () => {
    sandbox = await spawnSandbox('braze');
  });
  afterAll(() => sandbox?.stop());
  beforeEach(() => sandbox.reset());

  test('sends at most 75 attributes objects per /users/track request', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => row(`bulk-${i}`, { first_name: `B${i}` }));
    const results = await brazeDestination.write(rows, ctxFor(sandbox.url));
    expect(results.map((r) => r.status)).toEqual(rows.map(() => 'accepted'));
    expect((await trackBodies()).map((b) => b.attributes.length)).toEqual([75, 75, 50]);
    expect(await users()).toHaveLength(200);
  });

  test('minor errors are mapped to the rows at their index, across requests, with the attribute Braze names', async () => {
    const rows = Array.from({ length: 80 }, (_, i) => row(`idx-${i}`, { email: `ok${i}@example.com` }));
    rows[1] = row('idx-1', { email: 'not-an-email' });
    rows[3] = row('idx-3', { dob: '23/04/1990' });
    rows[76] = row('idx-76', { gender: 'unknown' }); // index 1 of the second request
    const results = await brazeDestination.write(rows, ctxFor(sandbox.url));
    expect(results).toHaveLength(80);
    const byKey = new Map(results.map((r) => [r.recordKey, r]));
    expect(byKey.get('idx-1')).toMatchObject({ status: 'rejected', field: 'email' });
    expect(byKey.get('idx-3')).toMatchObject({ status: 'rejected', field: 'dob' });
    expect(byKey.get('idx-76')).toMatchObject({ status: 'rejected', field: 'gender' });
    expect(byKey.get('idx-76')?.message).toContain("'gender' must be one of");
    expect(results.filter((r) => r.status === 'accepted')).toHaveLength(77);
    expect(byKey.get('idx-77')).toMatchObject({ status: 'accepted', externalId: 'idx-77' });
    const stored = new Set((await users()).map((u) => u.external_id));
    expect(stored.has('idx-1') || stored.has('idx-3') || stored.has('idx-76')).toBe(false);
    expect(stored.size).toBe(77);
  });

  test('a request whose objects are all invalid (400) rejects each row with its field instead of failing the batch', async () => {
    const results = await brazeDestination.write([row('a', { email: 'x' }), row('b', { email: 'y' })], ctxFor(sandbox.url));
    expect(results.map((r) => [r.recordKey, r.status, r.field])).toEqual([
      ['a', 'rejected', 'email'],
      ['b', 'rejected', 'email'],
    ]);
  });

  test('update mode sends _update_existing_only, so unknown users are not created', async () => {
    await brazeDestination.write([row('known', { first_name: 'Old' })], ctxFor(sandbox.url));
    const results = await brazeDestination.write([row('known', { first_name: 'New' }, 'update'), row('stranger', { first_name: 'X' }, 'update')], ctxFor(sandbox.url, { mode: 'update' }));
    // Braze does not report skipped users; the connector cannot tell them apart (README: limits).
    expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    const bodies = await trackBodies();
    expect(bodies.at(-1)?.attributes.every((a) => a._update_existing_only === true)).toBe(true);
    const all = await users();
    expect(all.map((u) => u.external_id)).toEqual(['known']);
    expect(all[0]?.attributes.first_name).toBe('New');
  });

  test('mirror removals go to /users/delete, at most 50 external ids per request', async () => {
    const ctx = ctxFor(sandbox.url, { mode: 'mirror' });
    const rows = Array.from({ length: 60 }, (_, i) => row(`gone-${i}`));
    await brazeDestination.write([...rows, row('stays')], ctx);
    const results = await brazeDestination.write(rows.map((r) => ({ ...r, op: 'delete' as const })), ctx);
    expect(results.every((r) => r.status === 'accepted')).toBe(true);
    const deletes = (await sandbox.requests()).filter((r) => r.path === '/users/delete').map((r) => ZIdsBody.parse(r.body).external_ids.length);
    expect(deletes).toEqual([ID_BATCH, 10]);
    expect((await users()).map((u) => u.external_id)).toEqual(['stays']);
  });

  test('lookup answers every request through /users/export/ids, 50 ids per request', async () => {
    await brazeDestination.write([row('here-1'), row('here-2')], ctxFor(sandbox.url));
    const requests = Array.from({ length: 55 }, (_, i) => ({ recordKey: `k${i}`, match: { field: 'external_id', value: i === 0 ? 'here-1' : i === 54 ? 'here-2' : `absent-${i}` } }));
    const found = await brazeDestination.lookup!(requests, ctxFor(sandbox.url));
    expect(found).toHaveLength(55);
    expect(found[0]).toEqual({ recordKey: 'k0', externalId: 'here-1' });
    expect(found[54]).toEqual({ recordKey: 'k54', externalId: 'here-2' });
    expect(found.slice(1, 54).every((f) => f.externalId === null)).toBe(true);
    const exports = (await sandbox.requests()).filter((r) => r.path === '/users/export/ids').map((r) => ZIdsBody.parse(r.body).external_ids.length);
    expect(exports).toEqual([50, 5]);
  });

  test('bad credentials: test() and write() fail as auth errors that name the connection', async () => {
    const ctx = ctxFor(sandbox.url, { apiKey: 'nope', name: 'Braze (wrong key)' });
    const result = await brazeDestination.test(ctx);
    expect(result).toMatchObject({ ok: false, code: 'auth' });
    expect(result.ok ? '' : result.message).toContain('Braze (wrong key)');
    const err = await thrown(brazeDestination.write([row('a')], ctx));
    expect(err).toMatchObject({ code: 'auth', retryable: false, applied: 'no' });
    expect(err.message).toContain('fix:');
    expect(await brazeDestination.test(ctxFor(sandbox.url))).toMatchObject({ ok: true });
  });

  test('an unreachable REST endpoint is a network error, not applied', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const err = await thrown(brazeDestination.write([row('a')], ctxFor(`http://127.0.0.1:${port}`, { name: 'Braze (down)' })));
    expect(err).toMatchObject({ code: 'network', applied: 'no', retryable: true });
    expect(err.message).toContain('Braze (down)');
  });

  test('discover returns the users object: standard attributes, then custom attributes typed, blocklisted ones read-only', async () => {
    await brazeDestination.write([row('d', { favourite_colour: 'teal' })], ctxFor(sandbox.url));
    const { objects } = await brazeDestination.discover(ctxFor(sandbox.url));
    expect(objects.map((o) => o.name)).toEqual(['users']);
    const fields = new Map(objects[0]!.fields.map((f) => [f.name, f]));
    expect(fields.get('external_id')).toMatchObject({ required: true, unique: true });
    expect(fields.get('dob')?.type).toBe('date');
    expect(fields.get('lifetime_value')?.type).toBe('number');
    expect(fields.get('is_vip')?.type).toBe('boolean');
    expect(fields.get('legacy_score')).toMatchObject({ readOnly: true });
    expect(fields.get('favourite_colour')?.type).toBe('string');
  });

  test('discover follows the Link header through pages of 50 custom attributes', async () => {
    const many = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`attr_${String(i).padStart(3, '0')}`, i]));
    await brazeDestination.write([row('wide', many)], ctxFor(sandbox.url));
    const { objects } = await brazeDestination.discover(ctxFor(sandbox.url));
    const names = new Set(objects[0]!.fields.map((f) => f.name));
    for (const name of Object.keys(many)) expect(names.has(name), name).toBe(true);
    const pages = (await sandbox.requests()).filter((r) => r.path === '/custom_attributes');
    expect(pages).toHaveLength(3); // 124 attributes (120 + 4 seeded), 50 per page
  });

  test('instances map to their REST endpoints; baseUrl overrides them', async () => {
    const { baseUrl } = await import('../../../connectors/destinations/braze/api');
    const ctx = (config: unknown) => testWriteContext(brazeDestination, { credentials: { apiKey: 'k' }, config: ZBrazeConfig.parse(config), object: 'users', mode: 'upsert', options: {} });
    expect(baseUrl(ctx({}))).toBe('https://rest.iad-01.braze.com');
    expect(baseUrl(ctx({ instance: 'EU-01' }))).toBe('https://rest.fra-01.braze.eu');
    expect(baseUrl(ctx({ instance: 'EU-01', baseUrl: 'http://proxy.local' }))).toBe('http://proxy.local');
  });
});

describe('Braze destination: rate-limit headers', () => {
  let sandbox: SandboxProcess;
  beforeAll(async () => {
    sandbox = await spawnSandbox('braze', { env: { BRAZE_SANDBOX_TRACK_LIMIT: '2', BRAZE_SANDBOX_TRACK_WINDOW_MS: '2000' } });
  });
  afterAll(() => sandbox?.stop());

  test('429: a retryable error whose wait comes from X-RateLimit-Reset; the account limiter is paused until then', async () => {
    const warm = ctxFor(sandbox.url);
    await brazeDestination.write([row('w1')], warm);
    await brazeDestination.write([row('w2')], warm);
    // A fresh limiter (another worker) does not know the window is spent: it gets the 429.
    const fresh = ctxFor(sandbox.url);
    const err = await thrown(brazeDestination.write([row('w3')], fresh));
    expect(err).toMatchObject({ code: 'rate_limited', retryable: true, applied: 'no', status: 429 });
    expect(err.retryAfterMs).toBeGreaterThan(0);
    expect(err.retryAfterMs).toBeLessThanOrEqual(3_000);
    const started = Date.now();
    const [r] = await brazeDestination.write([row('w3')], fresh);
    expect(r?.status).toBe('accepted');
    // The limiter waited for the reset before sending again, so that attempt was not refused.
    expect(Date.now() - started).toBeGreaterThanOrEqual(err.retryAfterMs! - 50);
    const statuses = (await sandbox.requests()).filter((q) => q.path === '/users/track').map((q) => q.status);
    expect(statuses).toEqual([201, 201, 429, 201]);
  });

  test('when a success leaves X-RateLimit-Remaining at 0, the next request waits instead of hitting 429', async () => {
    await sandbox.reset();
    const ctx = ctxFor(sandbox.url);
    await brazeDestination.write([row('p1')], ctx);
    await brazeDestination.write([row('p2')], ctx);
    const started = Date.now();
    const [r] = await brazeDestination.write([row('p3')], ctx);
    expect(r?.status).toBe('accepted');
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect((await sandbox.requests()).filter((q) => q.path === '/users/track').map((q) => q.status)).toEqual([201, 201, 201]);
  });
});
