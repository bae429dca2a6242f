/**
 * HubSpot destination against the HubSpot sandbox (test/sandboxes/hubspot, its
 * own process): the conformance kit for contacts and for a custom object without
 * a unique property, then HubSpot-specific behaviour — OAuth refresh serialized
 * through the database, auth and schema errors, 429 handling, discover.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { buildContext, decryptCredentials, encryptCredentials, type ConnectionRow } from '../../../app/_server/connections/runtime';
import { hubspotDestination } from '../../../connectors/destinations/hubspot';
import { ZHubSpotConfig, type THubSpotCredentials } from '../../../connectors/destinations/hubspot/schema';
import { isConnectorError, type RowResult, type WriteContext, type WriteRow } from '../../../connectors/sdk/types';
import { testWriteContext } from '../../helpers/connector-context';
import { createWorkspace, testDb } from '../../helpers/db';
import { spawnSandbox, type SandboxProcess } from '../../sandboxes/lib/spawn';
import type { TFault } from '../../sandboxes/lib/server';
import { describeConformance } from '../conformance';
import type { ConformanceRow, ConformanceSubject, FaultKind } from '../conformance-subject';

const PRIVATE_TOKEN = 'pat-sandbox-valid';
const OAUTH = { clientId: 'sandbox-client-id', clientSecret: 'sandbox-client-secret' };

type HubRecord = { id: string; properties: Record<string, string> };

const ZStoredOAuth = z.object({ accessToken: z.string(), expiresAt: z.number(), refreshToken: z.string() });
const ZBatchBody = z.object({ inputs: z.array(z.unknown()).default([]) }).catch({ inputs: [] });

const WRITE_PATH = /\/batch\/(upsert|create|update|archive)$/;

function faultFor(kind: FaultKind): Partial<TFault> & { kind: TFault['kind'] } {
  const onWrites = { method: 'POST', path: '/batch/' };
  switch (kind) {
    case 'rate_limited':
      return {
        kind: 'status',
        status: 429,
        retryAfterSeconds: 1,
        body: { status: 'error', message: 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' },
        ...onWrites,
      };
    case 'server_error':
      return { kind: 'status', status: 502, body: { status: 'error', message: 'Bad gateway' }, ...onWrites };
    case 'drop_after_apply':
      return { kind: 'drop_after_apply', ...onWrites };
    case 'timeout':
      return { kind: 'timeout', holdMs: 5_000, ...onWrites };
  }
}

function hubspotSubject(opts: {
  name: string;
  object: string;
  row: (i: number) => ConformanceRow;
  invalidRow: (i: number) => { row: ConformanceRow; field: string };
}): ConformanceSubject {
  let sandbox: SandboxProcess;
  return {
    name: opts.name,
    connector: hubspotDestination,
    object: opts.object,
    mode: 'mirror',
    async start() {
      sandbox = await spawnSandbox('hubspot');
      return {
        credentials: { type: 'private_app', accessToken: PRIVATE_TOKEN },
        config: { baseUrl: sandbox.url, timeoutMs: 1_500 },
        options: {},
        badCredentials: { type: 'private_app', accessToken: 'pat-revoked' },
        stop: () => sandbox.stop(),
      };
    },
    row: opts.row,
    invalidRow: opts.invalidRow,
    async countByMatch(value) {
      const field = opts.row(0).match.field;
      return (await sandbox.records<HubRecord[]>({ object: opts.object, field, value })).length;
    },
    async writeRequestSizes() {
      const log = await sandbox.requests();
      return log
        .filter((r) => r.method === 'POST' && WRITE_PATH.test(r.path))
        .map((r) => ZBatchBody.parse(r.body).inputs.length);
    },
    async requestTimestamps() {
      return (await sandbox.requests()).map((r) => r.at);
    },
    injectFault: (kind) => sandbox.fault(faultFor(kind)),
    reset: () => sandbox.reset(),
    apiMaxBatch: 100,
  };
}

describeConformance(
  hubspotSubject({
    name: 'HubSpot contacts',
    object: 'contacts',
    row: (i) => ({ recordKey: `c-${i}`, match: { field: 'email', value: `person${i}@example.com` }, fields: { firstname: `First ${i}`, lastname: 'Tester', num_orders: i } }),
    invalidRow: (i) => ({ row: { recordKey: `c-${i}`, match: { field: 'email', value: `not-an-email-${i}` }, fields: { firstname: 'Bad' } }, field: 'email' }),
  }),
);

describeConformance(
  hubspotSubject({
    name: 'HubSpot custom object without a unique property (p_loyalty_members)',
    object: 'p_loyalty_members',
    row: (i) => ({ recordKey: `m-${i}`, match: { field: 'member_key', value: `M-${i}` }, fields: { tier: 'silver', points: i * 10 } }),
    invalidRow: (i) => ({ row: { recordKey: `m-${i}`, match: { field: 'member_key', value: `M-${i}` }, fields: { tier: 'platinum' } }, field: 'tier' }),
  }),
);

// ───────────────────────────── HubSpot-specific ─────────────────────────────

type Ctx = WriteContext<THubSpotCredentials, ReturnType<typeof ZHubSpotConfig.parse>, Record<string, never>>;

function row(i: number, fields: WriteRow['fields'] = { firstname: `F${i}` }, op: WriteRow['op'] = 'upsert'): WriteRow {
  return { recordKey: `r-${i}`, op, fields, match: { field: 'email', value: `r${i}@example.com` }, idempotencyKey: `k-${i}-${op}` };
}

function ctxFor(sandbox: SandboxProcess, credentials: THubSpotCredentials, extra: { object?: string; requestsPerSecond?: number; name?: string } = {}): Ctx {
  const ctx = testWriteContext(hubspotDestination, {
    credentials,
    config: ZHubSpotConfig.parse({ baseUrl: sandbox.url, timeoutMs: 5_000 }),
    object: extra.object ?? 'contacts',
    mode: 'upsert',
    options: {},
    ...(extra.requestsPerSecond ? { requestsPerSecond: extra.requestsPerSecond } : {}),
  });
  return { ...ctx, connectionName: extra.name ?? 'HubSpot test' };
}

/** A local port nothing listens on (a server opened it and closed it again). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function expectConnectorError(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    if (isConnectorError(err)) return err;
    throw err;
  }
  throw new Error('expected a ConnectorError');
}

describe('HubSpot destination', () => {
  let sandbox: SandboxProcess;
  const privateApp: THubSpotCredentials = { type: 'private_app', accessToken: PRIVATE_TOKEN };

  beforeAll(async () => {
    sandbox = await spawnSandbox('hubspot', { env: { HUBSPOT_SANDBOX_EXPIRED_TOKENS: 'hs-expired-token' } });
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  describe('OAuth refresh is serialized through the stored connection', () => {
    const db = testDb();

    async function workerWrite(conn: ConnectionRow, rows: WriteRow[]) {
      const { connector, ctx } = buildContext(db, { ...conn });
      if (connector.kind !== 'destination') throw new Error('hubspot must be registered as a destination');
      return connector.write(rows, { ...ctx, object: 'contacts', mode: 'upsert', options: connector.optionsSchema.parse({}) });
    }

    async function oauthConnection(credentials: THubSpotCredentials) {
      const { workspace } = await createWorkspace(db);
      const id = randomUUID();
      return db.connection.create({
        data: {
          id,
          workspaceId: workspace.id,
          name: `HubSpot OAuth ${id.slice(0, 8)}`,
          kind: 'destination',
          connector: 'hubspot',
          config: { baseUrl: sandbox.url },
          credentials: encryptCredentials(id, credentials),
        },
      });
    }

    test.each([
      ['rejected by HubSpot (401)', { accessToken: 'hs-expired-token', expiresAt: Date.now() + 3_600_000 }],
      ['past its announced expiry', { accessToken: 'hs-old-token', expiresAt: Date.now() - 1_000 }],
    ])('two concurrent writes with an access token %s refresh it exactly once', async (_label, token) => {
      await sandbox.reset();
      const conn = await oauthConnection({ type: 'oauth', ...OAUTH, refreshToken: 'hs-refresh-valid', ...token });
      // Two workers: each builds its own context from its own copy of the row,
      // and calls the registered connector the way the deliver activity does.
      const [ra, rb] = await Promise.all([workerWrite(conn, [row(1)]), workerWrite(conn, [row(2)])]);
      expect(ra[0]).toMatchObject({ status: 'accepted' });
      expect(rb[0]).toMatchObject({ status: 'accepted' });
      const refreshes = (await sandbox.requests()).filter((r) => r.path === '/oauth/v1/token');
      expect(refreshes).toHaveLength(1);
      // The new token is stored (encrypted) for every other worker.
      const stored = await db.connection.findUniqueOrThrow({ where: { id: conn.id } });
      expect(stored.credentials).not.toContain('hs-access-');
      const creds = ZStoredOAuth.parse(decryptCredentials(conn.id, stored.credentials));
      expect(creds.accessToken).toMatch(/^hs-access-/);
      expect(creds.accessToken).not.toBe(token.accessToken);
      expect(creds.expiresAt).toBeGreaterThan(Date.now() + 60_000);
      expect(creds.refreshToken).toBe('hs-refresh-valid');
    });

    test('a revoked refresh token is a clear auth error naming the connection', async () => {
      const conn = await oauthConnection({ type: 'oauth', ...OAUTH, refreshToken: 'hs-refresh-revoked' });
      const err = await expectConnectorError(workerWrite(conn, [row(1)]));
      expect(err.code).toBe('auth');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain(conn.name);
      expect(err.message).toContain('BAD_REFRESH_TOKEN');
      expect(err.message).toContain('fix: reconnect HubSpot');
    });
  });

  test('wrong private app token: auth error that names the connection and the fix', async () => {
    const err = await expectConnectorError(hubspotDestination.write([row(1)], ctxFor(sandbox, { type: 'private_app', accessToken: 'nope' }, { name: 'Sales HubSpot' })));
    expect(err).toMatchObject({ code: 'auth', retryable: false, applied: 'no' });
    expect(err.message).toContain('Sales HubSpot');
    expect(err.message).toContain('fix: paste a valid private app access token');
    const t = await hubspotDestination.test(ctxFor(sandbox, { type: 'private_app', accessToken: 'nope' }));
    expect(t.ok).toBe(false);
    expect(await hubspotDestination.test(ctxFor(sandbox, privateApp))).toMatchObject({ ok: true });
  });

  test('an unknown property fails the batch with an error naming the property', async () => {
    await sandbox.reset();
    const err = await expectConnectorError(hubspotDestination.write([row(1, { favourite_colour: 'teal' })], ctxFor(sandbox, privateApp, { name: 'Sales HubSpot' })));
    expect(err).toMatchObject({ code: 'schema_changed', field: 'favourite_colour', retryable: false, applied: 'no' });
    expect(err.message).toContain('Sales HubSpot');
    expect(err.message).toContain('"favourite_colour"');
  });

  test('a property removed in HubSpot after a successful sync is reported as a schema change naming it', async () => {
    await sandbox.reset();
    const ctx = ctxFor(sandbox, privateApp);
    expect((await hubspotDestination.write([row(1, { phone: '+1 555 0100' })], ctx))[0]).toMatchObject({ status: 'accepted' });
    // Someone archives the property in HubSpot (the real properties API).
    const del = await fetch(`${sandbox.url}/crm/v3/properties/contacts/phone`, { method: 'DELETE', headers: { authorization: `Bearer ${PRIVATE_TOKEN}` } });
    expect(del.status).toBe(204);
    const err = await expectConnectorError(hubspotDestination.write([row(2, { phone: '+1 555 0101' })], ctx));
    expect(err).toMatchObject({ code: 'schema_changed', field: 'phone' });
  });

  test('an object that does not exist is a not_found error naming it', async () => {
    const err = await expectConnectorError(hubspotDestination.write([row(1)], ctxFor(sandbox, privateApp, { object: 'p_vanished' })));
    expect(err.code).toBe('not_found');
    expect(err.message).toContain('p_vanished');
  });

  test('an unreachable host is a network error, not applied, naming the connection', async () => {
    const ctx = ctxFor(sandbox, privateApp, { name: 'Offline HubSpot' });
    const port = await closedPort();
    const err = await expectConnectorError(hubspotDestination.write([row(1)], { ...ctx, config: { ...ctx.config, baseUrl: `http://127.0.0.1:${port}` } }));
    expect(err).toMatchObject({ code: 'network', retryable: true, applied: 'no' });
    expect(err.message).toContain('Offline HubSpot');
  });

  test('a 429 storm is honoured: each retry waits for Retry-After through the shared limiter', async () => {
    await sandbox.reset();
    const ctx = ctxFor(sandbox, privateApp, { requestsPerSecond: 1000 });
    await sandbox.fault({ kind: 'status', status: 429, retryAfterSeconds: 1, count: 3, method: 'POST', path: '/batch/upsert' });
    let results: RowResult[] | undefined;
    let attempts = 0;
    // What the engine does: retry the same batch; the limiter (paused by the
    // connector) decides when the next request may leave.
    while (!results && attempts < 6) {
      attempts++;
      try {
        results = await hubspotDestination.write([row(1)], ctx);
      } catch (err) {
        if (!isConnectorError(err) || err.code !== 'rate_limited') throw err;
        expect(err.retryAfterMs).toBe(1000);
      }
    }
    expect(attempts).toBe(4);
    expect(results?.[0]).toMatchObject({ status: 'accepted' });
    const sent = (await sandbox.requests()).filter((r) => r.path === '/crm/v3/objects/contacts/batch/upsert').map((r) => r.at);
    expect(sent).toHaveLength(4);
    for (let i = 1; i < sent.length; i++) expect(sent[i]! - sent[i - 1]!).toBeGreaterThanOrEqual(950);
  });

  test("HubSpot's own rate-limit headers set the retry delay when there is no Retry-After", async () => {
    const limited = await spawnSandbox('hubspot', { env: { HUBSPOT_SANDBOX_RATE_LIMIT: '3', HUBSPOT_SANDBOX_RATE_WINDOW_MS: '2000' } });
    try {
      const ctx = ctxFor(limited, privateApp, { requestsPerSecond: 1000 });
      let err: Awaited<ReturnType<typeof expectConnectorError>> | undefined;
      for (let i = 0; i < 5 && !err; i++) {
        try {
          await hubspotDestination.write([row(i)], ctx);
        } catch (e) {
          if (!isConnectorError(e)) throw e;
          err = e;
        }
      }
      expect(err).toMatchObject({ code: 'rate_limited', retryable: true, applied: 'no', retryAfterMs: 2000 });
      const log = await limited.requests();
      expect(log.filter((r) => r.status === 429)).toHaveLength(1);
    } finally {
      await limited.stop();
    }
  });

  test('discover: objects with typed fields, unique marks, and upsert only where a unique property exists', async () => {
    const { objects } = await hubspotDestination.discover(ctxFor(sandbox, privateApp));
    const contacts = objects.find((o) => o.name === 'contacts');
    const custom = objects.find((o) => o.name === 'p_loyalty_members');
    expect(contacts?.upsert).toBe(true);
    expect(contacts?.fields.find((f) => f.name === 'email')).toMatchObject({ type: 'string', unique: true });
    expect(contacts?.fields.find((f) => f.name === 'num_orders')).toMatchObject({ type: 'number' });
    expect(contacts?.fields.find((f) => f.name === 'interests')).toMatchObject({ type: 'string_array' });
    expect(contacts?.fields.find((f) => f.name === 'createdate')).toMatchObject({ type: 'timestamp', readOnly: true });
    expect(objects.find((o) => o.name === 'companies')?.fields.find((f) => f.name === 'domain')).toMatchObject({ unique: true });
    expect(custom?.upsert).toBe(false);
    expect(custom?.fields.find((f) => f.name === 'member_key')).toMatchObject({ required: true, unique: false });
  });

  test('custom object without a unique property: a replayed create duplicates (why the engine needs intents + lookup)', async () => {
    await sandbox.reset();
    const ctx = ctxFor(sandbox, privateApp, { object: 'p_loyalty_members' });
    const create: WriteRow = { recordKey: 'm-1', op: 'create', fields: { tier: 'gold' }, match: { field: 'member_key', value: 'M-1' }, idempotencyKey: 'k' };
    await hubspotDestination.write([create], ctx);
    await hubspotDestination.write([create], ctx);
    expect(await sandbox.records({ object: 'p_loyalty_members', field: 'member_key', value: 'M-1' })).toHaveLength(2);
    expect((await sandbox.creates()).filter((c) => c.object === 'p_loyalty_members')).toHaveLength(2);
    // Upserting by a property that is not unique is refused before anything is sent.
    const err = await expectConnectorError(hubspotDestination.write([{ ...create, op: 'upsert' }], ctx));
    expect(err).toMatchObject({ code: 'config', field: 'member_key' });
  });

  test('update mode never creates: a missing record is rejected, an existing one updated', async () => {
    await sandbox.reset();
    const ctx = ctxFor(sandbox, privateApp);
    await hubspotDestination.write([row(1)], ctx);
    const res = await hubspotDestination.write([row(1, { lastname: 'Updated' }, 'update'), row(2, { lastname: 'Nobody' }, 'update')], ctx);
    expect(res[0]).toMatchObject({ status: 'accepted' });
    expect(res[1]).toMatchObject({ status: 'rejected', field: 'email' });
    const [rec] = await sandbox.records<HubRecord[]>({ object: 'contacts', field: 'email', value: 'r1@example.com' });
    expect(rec?.properties.lastname).toBe('Updated');
    expect(await sandbox.records({ object: 'contacts', field: 'email', value: 'r2@example.com' })).toHaveLength(0);
  });
});
