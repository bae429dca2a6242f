/**
 * Salesforce destination against the Salesforce sandbox (test/sandboxes/salesforce,
 * its own process): the conformance kit for Contact upserted by an External ID
 * through sObject Collections, then Salesforce-specific behaviour — Bulk API 2.0
 * for large batches, OAuth refresh serialized through the database, auth and
 * schema errors, REQUEST_LIMIT_EXCEEDED, SOQL lookup escaping, discover.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { buildContext, decryptCredentials, encryptCredentials, type ConnectionRow } from '../../../app/_server/connections/runtime';
import { salesforceDestination } from '../../../connectors/destinations/salesforce';
import { ZSalesforceConfig, ZSalesforceOptions, type TSalesforceCredentials, type TSalesforceOptions } from '../../../connectors/destinations/salesforce/schema';
import { isConnectorError, type WriteContext, type WriteRow } from '../../../connectors/sdk/types';
import { testWriteContext } from '../../helpers/connector-context';
import { createWorkspace, testDb } from '../../helpers/db';
import { spawnSandbox, type SandboxProcess } from '../../sandboxes/lib/spawn';
import type { TFault } from '../../sandboxes/lib/server';
import { describeConformance } from '../conformance';
import type { ConformanceSubject, FaultKind } from '../conformance-subject';

const STATIC_TOKEN = '00Dsandbox!static-session';
const OAUTH = { clientId: 'sandbox-consumer-key', clientSecret: 'sandbox-consumer-secret' };
const V = 'v62.0';

type SfRecord = { Id: string; type: string } & Record<string, unknown>;

const ZCollectionBody = z.object({ records: z.array(z.unknown()).default([]) }).catch({ records: [] });
const ZJobPatch = z.object({ state: z.string().optional() }).catch({});

function faultFor(kind: FaultKind): Partial<TFault> & { kind: TFault['kind'] } {
  const onWrites = { path: '/composite/sobjects' };
  switch (kind) {
    case 'rate_limited':
      return { kind: 'status', status: 403, body: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], ...onWrites };
    case 'server_error':
      return { kind: 'status', status: 500, body: [{ message: 'An unexpected error occurred. Please include this ErrorId if you contact support: 1234-5678', errorCode: 'UNKNOWN_EXCEPTION' }], ...onWrites };
    case 'drop_after_apply':
      return { kind: 'drop_after_apply', ...onWrites };
    case 'timeout':
      return { kind: 'timeout', holdMs: 5_000, ...onWrites };
  }
}

function contactSubject(): ConformanceSubject {
  let sandbox: SandboxProcess;
  return {
    name: 'Salesforce Contact by External ID (sObject Collections)',
    connector: salesforceDestination,
    object: 'Contact',
    mode: 'mirror',
    async start() {
      sandbox = await spawnSandbox('salesforce');
      return {
        credentials: { type: 'access_token', accessToken: STATIC_TOKEN },
        config: { baseUrl: sandbox.url, apiVersion: V, timeoutMs: 3_000, requestLimitBackoffMs: 1_000 },
        // The kit checks the collections path; Bulk API 2.0 has its own tests below.
        options: { bulk: 'never' },
        badCredentials: { type: 'access_token', accessToken: '00Dsandbox!revoked' },
        stop: () => sandbox.stop(),
      };
    },
    row: (i) => ({ recordKey: `c-${i}`, match: { field: 'Backflow_Id__c', value: `BF-${i}` }, fields: { LastName: `Tester ${i}`, Email: `person${i}@example.com`, Lifetime_Value__c: i * 1.5 } }),
    invalidRow: (i) => ({ row: { recordKey: `c-${i}`, match: { field: 'Backflow_Id__c', value: `BF-${i}` }, fields: { LastName: 'Bad', Email: `not-an-email-${i}` } }, field: 'Email' }),
    async countByMatch(value) {
      return (await sandbox.records<SfRecord[]>({ object: 'Contact', field: 'Backflow_Id__c', value })).length;
    },
    async writeRequestSizes() {
      return (await sandbox.requests())
        .filter((r) => r.path.includes('/composite/sobjects') && (r.method === 'PATCH' || r.method === 'POST'))
        .map((r) => ZCollectionBody.parse(r.body).records.length);
    },
    async requestTimestamps() {
      return (await sandbox.requests()).map((r) => r.at);
    },
    injectFault: (kind) => sandbox.fault(faultFor(kind)),
    reset: () => sandbox.reset(),
    apiMaxBatch: 200,
  };
}

describeConformance(contactSubject());

// ───────────────────────────── Salesforce-specific ─────────────────────────────

type Ctx = WriteContext<TSalesforceCredentials, ReturnType<typeof ZSalesforceConfig.parse>, TSalesforceOptions>;

function row(i: number, fields: WriteRow['fields'] = { LastName: `L${i}` }, op: WriteRow['op'] = 'upsert', value = `R-${i}`): WriteRow {
  return { recordKey: `r-${i}`, op, fields, match: { field: 'Backflow_Id__c', value }, idempotencyKey: `k-${i}-${op}` };
}

function ctxFor(
  sandbox: SandboxProcess,
  credentials: TSalesforceCredentials = { type: 'access_token', accessToken: STATIC_TOKEN },
  extra: { object?: string; options?: Partial<TSalesforceOptions>; name?: string; requestsPerSecond?: number } = {},
): Ctx {
  const ctx = testWriteContext(salesforceDestination, {
    credentials,
    config: ZSalesforceConfig.parse({ baseUrl: sandbox.url, apiVersion: V, timeoutMs: 10_000, requestLimitBackoffMs: 1_000 }),
    object: extra.object ?? 'Contact',
    mode: 'upsert',
    options: ZSalesforceOptions.parse({ bulk: 'never', bulkPollIntervalMs: 100, ...extra.options }),
    requestsPerSecond: extra.requestsPerSecond ?? 1000,
  });
  return { ...ctx, connectionName: extra.name ?? 'Salesforce test' };
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

describe('Salesforce destination', () => {
  let sandbox: SandboxProcess;

  beforeAll(async () => {
    sandbox = await spawnSandbox('salesforce', { env: { SALESFORCE_SANDBOX_EXPIRED_TOKENS: '00Dsandbox!expired', SALESFORCE_SANDBOX_BULK_DELAY_MS: '300' } });
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  describe('Bulk API 2.0 for large batches', () => {
    const N = 2_500;
    const rows = () => Array.from({ length: N }, (_, i) => row(i, { LastName: `Bulk ${i}`, Email: i === 7 ? 'broken-email' : `b${i}@example.com`, Is_VIP__c: i % 2 === 0 }));

    test(`a batch of ${N} rows upserts through one ingest job, with per-row results mapped back`, async () => {
      await sandbox.reset();
      const ctx = ctxFor(sandbox, undefined, { options: { bulk: 'auto', bulkThreshold: 2_000 } });
      const results = await salesforceDestination.write(rows(), ctx);
      expect(results).toHaveLength(N);
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(rejected).toEqual([expect.objectContaining({ recordKey: 'r-7', field: 'Email' })]);
      expect(rejected[0]!.message).toContain('INVALID_EMAIL_ADDRESS');
      const accepted = results.filter((r) => r.status === 'accepted');
      expect(accepted).toHaveLength(N - 1);
      for (const r of accepted) expect(r.externalId).toMatch(/^003[0-9a-z]{12}AAA$/);
      const log = await sandbox.requests();
      expect(log.filter((r) => r.method === 'POST' && r.path === `/services/data/${V}/jobs/ingest`)).toHaveLength(1);
      const uploads = log.filter((r) => r.method === 'PUT' && r.path.endsWith('/batches'));
      expect(uploads).toHaveLength(1);
      expect(String(uploads[0]!.body).trim().split('\n')).toHaveLength(N + 1);
      expect(log.filter((r) => r.path.includes('/composite/sobjects'))).toHaveLength(0);
      expect(log.some((r) => r.method === 'PATCH' && ZJobPatch.parse(r.body).state === 'UploadComplete')).toBe(true);
      expect(await sandbox.records({ object: 'Contact' })).toHaveLength(N - 1);
      const [vip] = await sandbox.records<SfRecord[]>({ object: 'Contact', field: 'Backflow_Id__c', value: 'R-4' });
      expect(vip).toMatchObject({ LastName: 'Bulk 4', Email: 'b4@example.com', Is_VIP__c: true });

      // Replaying the same batch updates the same records: upsert by External ID is idempotent.
      const again = await salesforceDestination.write(rows(), ctx);
      expect(again.filter((r) => r.status === 'accepted')).toHaveLength(N - 1);
      expect(await sandbox.records({ object: 'Contact' })).toHaveLength(N - 1);
      expect((await sandbox.creates()).filter((c) => c.object === 'Contact')).toHaveLength(N - 1);
    });

    test('below the threshold the same rows go through sObject Collections, 200 per request', async () => {
      await sandbox.reset();
      const results = await salesforceDestination.write(rows().slice(0, 450), ctxFor(sandbox, undefined, { options: { bulk: 'auto', bulkThreshold: 2_000 } }));
      expect(results.filter((r) => r.status === 'accepted')).toHaveLength(449);
      const sizes = (await sandbox.requests()).filter((r) => r.method === 'PATCH' && r.path.includes('/composite/sobjects/')).map((r) => ZCollectionBody.parse(r.body).records.length);
      expect(sizes).toEqual([200, 200, 50]);
    });

    test('if the UploadComplete answer is lost, the job state shows it was taken and results still come back', async () => {
      await sandbox.reset();
      await sandbox.fault({ kind: 'drop_after_apply', method: 'PATCH', path: '/jobs/ingest/' });
      const results = await salesforceDestination.write(rows().slice(0, 30), ctxFor(sandbox, undefined, { options: { bulk: 'always' } }));
      expect(results.filter((r) => r.status === 'accepted')).toHaveLength(29);
      expect(await sandbox.records({ object: 'Contact' })).toHaveLength(29);
    });

    test('a job that fails on a field that does not exist is a schema change naming the field', async () => {
      await sandbox.reset();
      const err = await expectConnectorError(
        salesforceDestination.write([row(1, { LastName: 'A', Shoe_Size__c: 42 })], ctxFor(sandbox, undefined, { options: { bulk: 'always' } })),
      );
      expect(err).toMatchObject({ code: 'schema_changed', field: 'Shoe_Size__c', applied: 'no', retryable: false });
      expect(err.message).toContain('Salesforce test');
    });
  });

  describe('OAuth refresh is serialized through the stored connection', () => {
    const db = testDb();

    async function workerWrite(conn: ConnectionRow, rows: WriteRow[]) {
      const { connector, ctx } = buildContext(db, { ...conn });
      if (connector.kind !== 'destination') throw new Error('salesforce must be registered as a destination');
      return connector.write(rows, { ...ctx, object: 'Contact', mode: 'upsert', options: connector.optionsSchema.parse({}) });
    }

    async function oauthConnection(credentials: TSalesforceCredentials) {
      const { workspace } = await createWorkspace(db);
      const id = randomUUID();
      return db.connection.create({
        data: {
          id,
          workspaceId: workspace.id,
          name: `Salesforce OAuth ${id.slice(0, 8)}`,
          kind: 'destination',
          connector: 'salesforce',
          config: { loginUrl: sandbox.url, apiVersion: V },
          credentials: encryptCredentials(id, credentials),
        },
      });
    }

    test('two concurrent writes with an expired session refresh it exactly once', async () => {
      await sandbox.reset();
      const conn = await oauthConnection({ type: 'oauth', ...OAUTH, refreshToken: 'sf-refresh-valid', accessToken: '00Dsandbox!expired', instanceUrl: sandbox.url });
      // Two workers, each with its own context, calling the registered connector.
      const [ra, rb] = await Promise.all([workerWrite(conn, [row(1)]), workerWrite(conn, [row(2)])]);
      expect(ra[0]).toMatchObject({ status: 'accepted' });
      expect(rb[0]).toMatchObject({ status: 'accepted' });
      expect((await sandbox.requests()).filter((r) => r.path === '/services/oauth2/token')).toHaveLength(1);
      const stored = await db.connection.findUniqueOrThrow({ where: { id: conn.id } });
      const creds = z.object({ accessToken: z.string(), instanceUrl: z.string() }).parse(decryptCredentials(conn.id, stored.credentials));
      expect(creds.accessToken).not.toBe('00Dsandbox!expired');
      expect(creds.accessToken).toMatch(/^00Dsandbox!/);
      expect(creds.instanceUrl).toBe(sandbox.url);
    });

    test('a connection without a stored session gets one (and the instance URL) from the refresh token', async () => {
      const conn = await oauthConnection({ type: 'oauth', ...OAUTH, refreshToken: 'sf-refresh-valid' });
      const { connector, ctx } = buildContext(db, { ...conn });
      expect(await connector.test(ctx)).toMatchObject({ ok: true });
    });

    test('an expired refresh token (invalid_grant) is a clear auth error naming the connection', async () => {
      const conn = await oauthConnection({ type: 'oauth', ...OAUTH, refreshToken: 'sf-refresh-expired' });
      const err = await expectConnectorError(workerWrite(conn, [row(1)]));
      expect(err).toMatchObject({ code: 'auth', retryable: false });
      expect(err.message).toContain(conn.name);
      expect(err.message).toContain('invalid_grant');
      expect(err.message).toContain('fix: reconnect Salesforce');
    });
  });

  test('a wrong session token without OAuth is an auth error with the fix', async () => {
    const err = await expectConnectorError(salesforceDestination.write([row(1)], ctxFor(sandbox, { type: 'access_token', accessToken: 'nope' }, { name: 'Sales org' })));
    expect(err).toMatchObject({ code: 'auth', retryable: false, applied: 'no' });
    expect(err.message).toContain('Sales org');
    expect(err.message).toContain('INVALID_SESSION_ID');
  });

  test('an unknown field fails the request as a schema change naming the field', async () => {
    await sandbox.reset();
    const err = await expectConnectorError(salesforceDestination.write([row(1, { LastName: 'A', Shoe_Size__c: 42 })], ctxFor(sandbox, undefined, { name: 'Sales org' })));
    expect(err).toMatchObject({ code: 'schema_changed', field: 'Shoe_Size__c', applied: 'no' });
    expect(err.message).toContain('Sales org');
  });

  test('a match field that is not an External ID is refused with the fix', async () => {
    const bad: WriteRow = { ...row(1), match: { field: 'Email', value: 'x@example.com' } };
    const err = await expectConnectorError(salesforceDestination.write([bad], ctxFor(sandbox)));
    expect(err).toMatchObject({ code: 'schema_changed', field: 'Email' });
    expect(err.message).toContain('External ID');
  });

  test('an object that does not exist is a not_found error naming it', async () => {
    const err = await expectConnectorError(salesforceDestination.write([row(1)], ctxFor(sandbox, undefined, { object: 'Vanished__c' })));
    expect(err.code).toBe('not_found');
    expect(err.message).toContain('Vanished__c');
  });

  test('REQUEST_LIMIT_EXCEEDED (403) is a retryable rate limit that pauses the account', async () => {
    const limited = await spawnSandbox('salesforce', { env: { SALESFORCE_SANDBOX_API_LIMIT: '2' } });
    try {
      const ctx = ctxFor(limited);
      await salesforceDestination.write([row(1)], ctx);
      await salesforceDestination.write([row(2)], ctx);
      const err = await expectConnectorError(salesforceDestination.write([row(3)], ctx));
      expect(err).toMatchObject({ code: 'rate_limited', retryable: true, applied: 'no', retryAfterMs: 1_000 });
      // The next request waits for the pause instead of hammering the API.
      const before = Date.now();
      await expectConnectorError(salesforceDestination.write([row(3)], ctx));
      expect(Date.now() - before).toBeGreaterThanOrEqual(900);
      const log = await limited.requests();
      expect(log.filter((r) => r.status === 403)).toHaveLength(2);
    } finally {
      await limited.stop();
    }
  });

  test('lookup escapes SOQL literals: quotes and backslashes find their record', async () => {
    await sandbox.reset();
    const ctx = ctxFor(sandbox);
    const tricky = [row(1, { LastName: "O'Brien" }, 'upsert', "O'Brien-1"), row(2, { LastName: 'Back' }, 'upsert', 'C:\\path\\2'), row(3, undefined, 'upsert', "x') OR Id != ('")];
    const written = await salesforceDestination.write(tricky, ctx);
    for (const r of written) expect(r.status).toBe('accepted');
    const found = await salesforceDestination.lookup!(
      [...tricky, row(4, undefined, 'upsert', 'nobody')].map((r) => ({ recordKey: r.recordKey, match: r.match })),
      ctx,
    );
    expect(found.map((f) => f.externalId)).toEqual([written[0]!.externalId, written[1]!.externalId, written[2]!.externalId, null]);
  });

  test('update mode never creates, delete accepts records already gone', async () => {
    await sandbox.reset();
    const ctx = ctxFor(sandbox);
    await salesforceDestination.write([row(1)], ctx);
    const res = await salesforceDestination.write([row(1, { LastName: 'Updated' }, 'update'), row(2, { LastName: 'Nobody' }, 'update')], ctx);
    expect(res[0]).toMatchObject({ status: 'accepted' });
    expect(res[1]).toMatchObject({ status: 'rejected', field: 'Backflow_Id__c' });
    const [rec] = await sandbox.records<SfRecord[]>({ object: 'Contact', field: 'Backflow_Id__c', value: 'R-1' });
    expect(rec?.LastName).toBe('Updated');
    const del = await salesforceDestination.write([{ ...row(1, {}, 'delete'), externalId: rec!.Id }, row(9, {}, 'delete')], ctx);
    expect(del.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    const again = await salesforceDestination.write([{ ...row(1, {}, 'delete'), externalId: rec!.Id }], ctx);
    expect(again[0]).toMatchObject({ status: 'accepted' });
    expect(await sandbox.records({ object: 'Contact' })).toHaveLength(0);
  });

  test('discover: types, required = !nillable && createable && !defaultedOnCreate, External IDs as unique', async () => {
    const { objects } = await salesforceDestination.discover(ctxFor(sandbox));
    expect(objects.map((o) => o.name).sort()).toEqual(['Account', 'Contact', 'Loyalty_Member__c']);
    const contact = objects.find((o) => o.name === 'Contact')!;
    const f = (n: string) => contact.fields.find((x) => x.name === n);
    expect(contact.upsert).toBe(true);
    expect(f('LastName')).toMatchObject({ type: 'string', required: true });
    expect(f('Is_VIP__c')).toMatchObject({ type: 'boolean', required: false });
    expect(f('Email')).toMatchObject({ required: false, unique: false });
    expect(f('Backflow_Id__c')).toMatchObject({ unique: true });
    expect(f('Lifetime_Value__c')).toMatchObject({ type: 'number' });
    expect(f('Birthdate')).toMatchObject({ type: 'date' });
    expect(f('Interests__c')).toMatchObject({ type: 'string_array' });
    expect(f('CreatedDate')).toMatchObject({ type: 'timestamp', readOnly: true });
  });
});
