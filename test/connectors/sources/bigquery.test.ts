/**
 * BigQuery source at the request level: the real @google-cloud/bigquery client
 * talks to the BigQuery SANDBOX (test/sandboxes/bigquery, test infrastructure),
 * which also stands in for Google's token endpoint. This has not been run
 * against the live BigQuery service.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { findConnector } from '../../../connectors/registry';
import { bigquerySource } from '../../../connectors/sources/bigquery';
import { ZBigQueryConfig, ZBigQueryCredentials, ZServiceAccountKeyText, type TBigQueryConfig, type TBigQueryCredentials } from '../../../connectors/sources/bigquery/schema';
import { isoFromMicros } from '../../../connectors/sources/bigquery/types';
import { isConnectorError, type ConnectorError, type QueryOptions, type SourceRow } from '../../../connectors/sdk/types';
import { testContext } from '../../helpers/connector-context';
import { spawnSandbox, type SandboxProcess } from '../../sandboxes/lib/spawn';
import { PEOPLE_ROWS, ROUND_TRIP } from './kit';

const NAME = 'bigquery test connection';
const EMAIL = 'backflow@bf-sandbox.iam.gserviceaccount.com';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const otherKeys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });

let sandbox: SandboxProcess;

/** A service-account key file as Google issues it, except that token_uri points at the sandbox. */
function keyFile(privateKey: string, over: Record<string, string> = {}): string {
  return JSON.stringify({
    type: 'service_account',
    project_id: 'bf-sandbox',
    private_key_id: over.private_key_id ?? 'key-1',
    private_key: privateKey,
    client_email: over.client_email ?? EMAIL,
    client_id: '1234567890',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: over.token_uri ?? `${sandbox.url}/token`,
  });
}

const credentials = (privateKey = keys.privateKey, over: Record<string, string> = {}): TBigQueryCredentials =>
  ZBigQueryCredentials.parse({ serviceAccountKey: keyFile(privateKey, over) });
const config = (over: Partial<TBigQueryConfig> = {}): TBigQueryConfig => ZBigQueryConfig.parse({ apiEndpoint: sandbox.url, ...over });
const ctx = (over: { credentials?: TBigQueryCredentials; config?: Partial<TBigQueryConfig> } = {}) =>
  testContext({ credentials: over.credentials ?? credentials(), config: config(over.config), name: NAME });

async function collect(sql: string, opts?: QueryOptions, over?: Parameters<typeof ctx>[0]): Promise<{ rows: SourceRow[]; sizes: number[] }> {
  const rows: SourceRow[] = [];
  const sizes: number[] = [];
  for await (const b of bigquerySource.read(sql, ctx(over), opts)) {
    sizes.push(b.length);
    rows.push(...b);
  }
  return { rows, sizes };
}

async function failure(p: Promise<unknown>): Promise<ConnectorError> {
  const err = await p.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  if (!isConnectorError(err)) throw err;
  return err;
}

type Insert = { dryRun: boolean; query: string; jobTimeoutMs?: string; maximumBytesBilled?: string };

async function inserts(): Promise<Insert[]> {
  const out: Insert[] = [];
  for (const r of await sandbox.requests()) {
    if (r.method !== 'POST' || !/\/jobs$/.test(r.path) || typeof r.body !== 'object' || r.body === null || !('configuration' in r.body)) continue;
    const c = r.body.configuration;
    if (typeof c !== 'object' || c === null) continue;
    const q = 'query' in c && typeof c.query === 'object' && c.query !== null ? c.query : {};
    out.push({
      dryRun: 'dryRun' in c && c.dryRun === true,
      query: 'query' in q && typeof q.query === 'string' ? q.query : '',
      ...('jobTimeoutMs' in c && typeof c.jobTimeoutMs === 'string' ? { jobTimeoutMs: c.jobTimeoutMs } : {}),
      ...('maximumBytesBilled' in q && typeof q.maximumBytesBilled === 'string' ? { maximumBytesBilled: q.maximumBytesBilled } : {}),
    });
  }
  return out;
}

beforeAll(async () => {
  sandbox = await spawnSandbox('bigquery', { env: { BIGQUERY_SANDBOX_PUBLIC_KEY: keys.publicKey, BIGQUERY_SANDBOX_CLIENT_EMAIL: EMAIL } });
});
afterAll(async () => {
  await sandbox?.stop();
});
beforeEach(async () => {
  await sandbox.reset();
});

describe('bigquery source (request level, against the BigQuery sandbox)', () => {
  it('is registered; the credentials are the service-account key only', () => {
    expect(findConnector('bigquery')).toBe(bigquerySource);
    expect(bigquerySource.capabilities).toEqual({ dialect: 'bigquery', sqlHash: false });
    expect(ZBigQueryCredentials.safeParse({ serviceAccountKey: '{"type":"authorized_user"}' }).success).toBe(false);
    expect(ZBigQueryCredentials.safeParse({ serviceAccountKey: 'not json' }).success).toBe(false);
    expect(ZBigQueryCredentials.safeParse({ serviceAccountKey: keyFile(keys.privateKey) }).success).toBe(true);
    // Google's key files carry token_uri; a key without it uses Google's endpoint.
    const { token_uri: _omitted, ...withoutTokenUri } = z.record(z.string(), z.string()).parse(JSON.parse(keyFile(keys.privateKey)));
    expect(ZServiceAccountKeyText.parse(JSON.stringify(withoutTokenUri)).token_uri).toBe('https://oauth2.googleapis.com/token');
  });

  it('test() exchanges the key for a token (JWT-bearer grant) and dry-runs a query', async () => {
    const r = await bigquerySource.test(ctx());
    expect(r).toEqual({ ok: true, message: `authenticated as ${EMAIL}; query jobs run in project bf-sandbox (US)` });
    const reqs = await sandbox.requests();
    expect(reqs.some((x) => x.path === '/token')).toBe(true);
    expect((await inserts()).every((i) => i.dryRun)).toBe(true);
  });

  it('a key Google does not accept names the connection and the serviceAccountKey field', async () => {
    const bad = ctx({ credentials: credentials(otherKeys.privateKey, { private_key_id: 'revoked-key' }) });
    const r = await bigquerySource.test(bad);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toContain(`BigQuery connection "${NAME}"`);
      expect(r.message).toContain(`Google refused the service-account key of ${EMAIL} (invalid_grant: Invalid JWT Signature.)`);
      expect(r.message).toContain('— fix:');
      expect(r.code).toBe('auth');
    }
    const err = await failure(bigquerySource.discover(bad));
    expect(err).toMatchObject({ code: 'auth', field: 'serviceAccountKey' });
  });

  it('an unreachable API endpoint is a network error on the apiEndpoint field', async () => {
    const err = await failure(bigquerySource.describe('SELECT 1 AS ok', ctx({ config: { apiEndpoint: 'http://127.0.0.1:1' } })));
    expect(err.code).toBe('network');
    expect(err.field).toBe('apiEndpoint');
    expect(err.message).toContain('cannot reach http://127.0.0.1:1');
  }, 60_000);

  it('a project that does not exist is not_found', async () => {
    const err = await failure(bigquerySource.describe('SELECT 1 AS ok', ctx({ config: { projectId: 'no-such-project' } })));
    expect(err.code).toBe('not_found');
    expect(err.message).toContain('Project no-such-project');
  });

  it('discover() lists tables and views from INFORMATION_SCHEMA with their types, and honours the dataset filter', async () => {
    const { tables } = await bigquerySource.discover(ctx());
    const people = tables.find((t) => t.schema === 'crm' && t.name === 'people');
    expect(people?.columns.map((c) => [c.name, c.nativeType, c.type, c.nullable])).toEqual([
      ['id', 'INT64', 'integer', false],
      ['name', 'STRING', 'string', true],
      ['score', 'NUMERIC', 'number', true],
      ['active', 'BOOL', 'boolean', true],
      ['created_at', 'TIMESTAMP', 'timestamp', true],
    ]);
    const marts = await bigquerySource.discover(ctx({ config: { datasets: ['marts'] } }));
    expect(marts.tables.map((t) => [t.schema, t.name, t.kind])).toEqual([['marts', 'active_people', 'view']]);
    expect(marts.tables[0]?.columns.map((c) => c.type)).toEqual(['integer', 'string_array', 'json', 'json', 'string']);
  });

  it('describe() is a dry run: columns and types, nothing executed', async () => {
    const cols = await bigquerySource.describe('SELECT * FROM crm.slow', ctx());
    expect(cols).toEqual([{ name: 's', nativeType: 'STRING', type: 'string', nullable: true }]);
    const nested = await bigquerySource.describe('SELECT * FROM marts.active_people', ctx());
    expect(nested.map((c) => [c.name, c.nativeType, c.type])).toEqual([
      ['id', 'INTEGER', 'integer'],
      ['tags', 'ARRAY<STRING>', 'string_array'],
      ['profile', 'RECORD', 'json'],
      ['payload', 'JSON', 'json'],
      ['raw', 'BYTES', 'string'],
    ]);
    expect((await inserts()).every((i) => i.dryRun)).toBe(true);
  });

  it('read() pages through getQueryResults in batches of the requested size, every row once and in order', async () => {
    const { rows, sizes } = await collect('SELECT id, name FROM crm.people ORDER BY id', { batchSize: 500 });
    expect(sizes).toEqual([500, 500, 500, 500, 500, 3]);
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: PEOPLE_ROWS }, (_, i) => i + 1));
    expect(rows[41]).toEqual({ id: 42, name: 'person-42' });
    const pages = (await sandbox.requests()).filter((r) => r.path.includes('/queries/'));
    expect(pages.length).toBe(6);
    const job = (await inserts()).find((i) => !i.dryRun);
    expect(job).toMatchObject({ query: 'SELECT id, name FROM crm.people ORDER BY id', jobTimeoutMs: '300000' });
  });

  it('a listing that ends before the result does fails the read: rows never go missing without an error', async () => {
    // The second 500-row page comes without its pageToken: the listing ends 1,503 rows short.
    const short = await spawnSandbox('bigquery', { env: { BIGQUERY_SANDBOX_PUBLIC_KEY: keys.publicKey, BIGQUERY_SANDBOX_CLIENT_EMAIL: EMAIL, BIGQUERY_SANDBOX_LAST_PAGE: '1' } });
    try {
      let read = 0;
      const over = { credentials: credentials(keys.privateKey, { token_uri: `${short.url}/token` }), config: { apiEndpoint: short.url } };
      const err = await failure(
        (async () => {
          for await (const b of bigquerySource.read('SELECT id, name FROM crm.people ORDER BY id', ctx(over), { batchSize: 500 })) read += b.length;
        })(),
      );
      expect(read).toBe(1000);
      expect(err.message).toContain(NAME);
      expect(err.message).toContain(`the result ended after 1000 of its ${PEOPLE_ROWS} rows`);
      expect(err.message).toContain('— fix: run it again');
      expect(err).toMatchObject({ code: 'network', retryable: true });
    } finally {
      await short.stop();
    }
  });

  it('stopping early cancels the job and fetches no more pages', async () => {
    for await (const batch of bigquerySource.read('SELECT n FROM UNNEST(GENERATE_ARRAY(1, 1000000)) AS n', ctx(), { batchSize: 1000 })) {
      expect(batch[999]?.n).toBe(1000);
      break;
    }
    const reqs = await sandbox.requests();
    expect(reqs.filter((r) => r.path.includes('/queries/')).length).toBe(1);
    expect(reqs.some((r) => r.path.endsWith('/cancel'))).toBe(true);
  });

  it('read() returns NULL, unicode, big numbers, dates, timestamps, arrays, records, JSON and bytes', async () => {
    const { rows } = await collect('SELECT * FROM crm.round_trip');
    expect(rows).toEqual([ROUND_TRIP]);
    const nested = await collect('SELECT * FROM marts.active_people');
    expect(nested.rows).toEqual([{ id: 1, tags: ['a', 'b'], profile: { plan: 'pro', seats: 3 }, payload: { k: [1, 2] }, raw: '\\x00ff' }]);
  });

  it('refuses writes and scripts on the dry run, before any job runs', async () => {
    for (const [sql, text] of [
      ['INSERT INTO crm.people (id) VALUES (1)', 'only SELECT queries can be used as a source, and this statement is INSERT'],
      ['CREATE TABLE crm.copy AS SELECT * FROM crm.people', 'this statement is CREATE_TABLE_AS_SELECT'],
      ["EXPORT DATA OPTIONS (uri = 'gs://b/*.csv', format = 'CSV') AS SELECT * FROM crm.people", 'this statement is EXPORT_DATA'],
      ['SELECT 1 AS ok; DELETE FROM crm.people WHERE TRUE', 'several SQL statements'],
    ] as const) {
      const err = await failure(collect(sql));
      expect(err.message, sql).toContain(text);
      expect(err.message).toContain(`BigQuery connection "${NAME}"`);
      expect(err.code).toBe('bad_request');
      await expect(bigquerySource.describe(sql, ctx())).rejects.toThrow(text);
    }
    expect(await sandbox.creates()).toEqual([]);
    expect((await inserts()).filter((i) => !i.dryRun)).toEqual([]);
  });

  it('enforces the statement timeout as the job timeout', async () => {
    const started = Date.now();
    const err = await failure(collect('SELECT * FROM crm.slow', { timeoutMs: 1000 }));
    expect(err.code).toBe('timeout');
    expect(err.message).toContain('statement timeout');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect((await inserts()).find((i) => !i.dryRun)?.jobTimeoutMs).toBe('1000');
  });

  it('cancels the job when the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 700);
    const err = await failure(collect('SELECT * FROM crm.slow', { signal: controller.signal }));
    expect(err).toMatchObject({ code: 'timeout', retryable: true });
    const records = await sandbox.records<{ cancelled: boolean }[]>();
    expect(records.some((j) => j.cancelled)).toBe(true);
  });

  it('maximumBytesBilled guards the cost and names its field', async () => {
    const err = await failure(collect('SELECT id FROM crm.people', {}, { config: { maximumBytesBilled: '1000' } }));
    expect(err).toMatchObject({ code: 'bad_request', field: 'maximumBytesBilled' });
    expect(err.message).toContain('Query exceeded limit for bytes billed: 1000');
    expect((await inserts()).find((i) => !i.dryRun)?.maximumBytesBilled).toBe('1000');
  });

  it('reports syntax errors with their position, and missing tables', async () => {
    const err = await failure(collect('SELECT id\nFORM crm.people'));
    expect(err.code).toBe('bad_request');
    expect(err.message).toContain('at [2:1]');
    const missing = await failure(collect('SELECT * FROM crm.nope'));
    expect(missing.code).toBe('not_found');
    expect(missing.message).toContain('crm.nope was not found');
  });

  it('timestamps keep their microseconds, before and after 1970', () => {
    expect(isoFromMicros('1709214356789123')).toBe('2024-02-29T13:45:56.789123Z');
    expect(isoFromMicros('-1')).toBe('1969-12-31T23:59:59.999999Z');
  });
});
