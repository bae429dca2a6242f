/**
 * Snowflake source at the request level: the real snowflake-sdk talks HTTP to
 * the Snowflake SANDBOX (test/sandboxes/snowflake, test infrastructure). This
 * has not been run against the live Snowflake service.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findConnector } from '../../../connectors/registry';
import { snowflakeSource } from '../../../connectors/sources/snowflake';
import { ZSnowflakeConfig, ZSnowflakeCredentials, type TSnowflakeConfig, type TSnowflakeCredentials } from '../../../connectors/sources/snowflake/schema';
import { splitSnowflake } from '../../../connectors/sources/snowflake/statement';
import { isConnectorError, type ConnectorError, type QueryOptions, type SourceRow } from '../../../connectors/sdk/types';
import { testContext } from '../../helpers/connector-context';
import { spawnSandbox, type SandboxProcess } from '../../sandboxes/lib/spawn';
import { PEOPLE_ROWS, ROUND_TRIP } from './kit';

const NAME = 'snowflake test connection';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const otherKeys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });

let sandbox: SandboxProcess;

const config = (over: Partial<TSnowflakeConfig> = {}): TSnowflakeConfig =>
  ZSnowflakeConfig.parse({ account: 'bf_sandbox', user: 'BACKFLOW', warehouse: 'BF_WH', database: 'ANALYTICS', role: 'BF_READER', accessUrl: sandbox.url, loginTimeoutSeconds: 10, ...over });
const password: TSnowflakeCredentials = { password: 'sandbox-password' };
const ctx = (over: { credentials?: TSnowflakeCredentials; config?: Partial<TSnowflakeConfig> } = {}) =>
  testContext({ credentials: over.credentials ?? password, config: config(over.config), name: NAME });

async function collect(sql: string, opts?: QueryOptions, over?: Parameters<typeof ctx>[0]): Promise<{ rows: SourceRow[]; sizes: number[] }> {
  const rows: SourceRow[] = [];
  const sizes: number[] = [];
  for await (const b of snowflakeSource.read(sql, ctx(over), opts)) {
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

/** Query requests the sandbox received, with their bodies. */
async function queryRequests(): Promise<{ sqlText: string; describeOnly?: boolean; parameters?: Record<string, unknown> }[]> {
  const out: { sqlText: string; describeOnly?: boolean; parameters?: Record<string, unknown> }[] = [];
  for (const r of await sandbox.requests()) {
    if (r.path !== '/queries/v1/query-request' || typeof r.body !== 'object' || r.body === null) continue;
    const b = r.body;
    const sqlText = 'sqlText' in b && typeof b.sqlText === 'string' ? b.sqlText : '';
    const describeOnly = 'describeOnly' in b && b.describeOnly === true;
    const parameters = 'parameters' in b && typeof b.parameters === 'object' && b.parameters !== null ? Object.fromEntries(Object.entries(b.parameters)) : {};
    out.push({ sqlText, describeOnly, parameters });
  }
  return out;
}

beforeAll(async () => {
  sandbox = await spawnSandbox('snowflake', {
    env: { SNOWFLAKE_SANDBOX_KEY_USER: 'BF_KEY_USER', SNOWFLAKE_SANDBOX_PUBLIC_KEY: keys.publicKey, SNOWFLAKE_SANDBOX_CHUNK_ROWS: '4000' },
  });
});
afterAll(async () => {
  await sandbox?.stop();
});
beforeEach(async () => {
  await sandbox.reset();
});

describe('snowflake source (request level, against the Snowflake sandbox)', () => {
  it('is registered; credentials hold secrets only and need a password or a key', () => {
    expect(findConnector('snowflake')).toBe(snowflakeSource);
    expect(snowflakeSource.capabilities).toEqual({ dialect: 'snowflake', sqlHash: false });
    expect(ZSnowflakeCredentials.safeParse({}).success).toBe(false);
    expect(ZSnowflakeCredentials.safeParse({ password: 'x', privateKey: keys.privateKey }).success).toBe(false);
    expect(ZSnowflakeCredentials.safeParse({ privateKey: keys.privateKey }).success).toBe(true);
  });

  it('test() logs in with a password and reports who and where', async () => {
    const r = await snowflakeSource.test(ctx());
    expect(r).toEqual({ ok: true, message: 'connected to Snowflake 8.40.1 as BACKFLOW (role BF_READER, warehouse BF_WH, database ANALYTICS)' });
    // The session is closed afterwards.
    expect((await sandbox.requests()).some((r) => r.path === '/session' && r.method === 'POST')).toBe(true);
  });

  it('test() logs in with a key pair (SNOWFLAKE_JWT signed with the private key)', async () => {
    const r = await snowflakeSource.test(ctx({ credentials: { privateKey: keys.privateKey }, config: { user: 'BF_KEY_USER' } }));
    expect(r.ok).toBe(true);
    const bad = await snowflakeSource.test(ctx({ credentials: { privateKey: otherKeys.privateKey }, config: { user: 'BF_KEY_USER' } }));
    expect(bad.ok).toBe(false);
    const err = await failure(snowflakeSource.discover(ctx({ credentials: { privateKey: otherKeys.privateKey }, config: { user: 'BF_KEY_USER' } })));
    expect(err).toMatchObject({ code: 'auth', field: 'privateKey' });
    expect(err.message).toContain('RSA_PUBLIC_KEY');
  });

  it('a wrong password names the connection, the user and the fields to fix', async () => {
    const r = await snowflakeSource.test(ctx({ credentials: { password: 'wrong' } }));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toContain(`Snowflake connection "${NAME}"`);
      expect(r.message).toContain('user "BACKFLOW"');
      expect(r.message).toContain('— fix: check the user and password fields');
      expect(r.code).toBe('auth');
    }
    const err = await failure(snowflakeSource.discover(ctx({ credentials: { password: 'wrong' } })));
    expect(err.field).toBe('password');
  });

  it('a missing role, database or warehouse points at its field', async () => {
    expect(await failure(snowflakeSource.discover(ctx({ config: { role: 'NO_SUCH_ROLE' } })))).toMatchObject({ field: 'role', code: 'config' });
    expect(await failure(snowflakeSource.discover(ctx({ config: { database: 'NO_SUCH_DB' } })))).toMatchObject({ field: 'database', code: 'config' });
    const r = await snowflakeSource.test(ctx({ config: { warehouse: 'NO_SUCH_WH' } }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('warehouse "NO_SUCH_WH" does not exist or is not granted');
    const err = await failure(collect('SELECT ID FROM PEOPLE', {}, { config: { warehouse: 'NO_SUCH_WH' } }));
    expect(err).toMatchObject({ field: 'warehouse', code: 'config' });
  });

  it('an unreachable endpoint is a network error on the accessUrl field, reported promptly', async () => {
    const started = Date.now();
    const r = await snowflakeSource.test(ctx({ config: { accessUrl: 'http://127.0.0.1:1' } }));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('network');
      expect(r.message).toContain('cannot reach http://127.0.0.1:1');
    }
    expect(Date.now() - started).toBeLessThan(45_000);
  }, 60_000);

  it('discover() lists tables and views with their columns and types, and honours the schema filter', async () => {
    const { tables } = await snowflakeSource.discover(ctx());
    const people = tables.find((t) => t.name === 'PEOPLE');
    expect(people?.columns.map((c) => [c.name, c.type])).toEqual([
      ['ID', 'integer'],
      ['NAME', 'string'],
      ['SCORE', 'number'],
      ['ACTIVE', 'boolean'],
      ['CREATED_AT', 'timestamp'],
    ]);
    expect(people?.columns[2]?.nativeType).toBe('NUMBER(38,2)');
    const marts = await snowflakeSource.discover(ctx({ config: { schemas: ['MARTS'] } }));
    expect(marts.tables.map((t) => [t.schema, t.name, t.kind])).toEqual([['MARTS', 'ACTIVE_PEOPLE', 'view']]);
    expect(marts.tables[0]?.columns.map((c) => c.type)).toEqual(['integer', 'string', 'json', 'json']);
  });

  it('describe() compiles the query as a subquery, describe-only, and never runs it', async () => {
    const started = Date.now();
    const cols = await snowflakeSource.describe('SELECT SYSTEM$WAIT(30) AS S', ctx());
    expect(cols).toEqual([{ name: 'S', nativeType: 'TEXT', type: 'string', nullable: true }]);
    expect(Date.now() - started).toBeLessThan(10_000);
    const people = await snowflakeSource.describe('SELECT ID, SCORE, CREATED_AT FROM PEOPLE ORDER BY ID', ctx());
    expect(people.map((c) => [c.name, c.nativeType, c.type])).toEqual([
      ['ID', 'NUMBER(38,0)', 'integer'],
      ['SCORE', 'NUMBER(10,2)', 'number'],
      ['CREATED_AT', 'TIMESTAMP_NTZ', 'timestamp'],
    ]);
    const sent = (await queryRequests()).filter((q) => !q.sqlText.startsWith('ALTER SESSION'));
    expect(sent.every((q) => q.describeOnly)).toBe(true);
    expect(sent.map((q) => q.sqlText)).toContain('SELECT * FROM (\nSELECT ID, SCORE, CREATED_AT FROM PEOPLE ORDER BY ID\n)');
  });

  it('read() yields batches of the requested size, every row once and in order', async () => {
    const { rows, sizes } = await collect('SELECT ID, NAME FROM PEOPLE ORDER BY ID', { batchSize: 500 });
    expect(sizes).toEqual([500, 500, 500, 500, 500, 3]);
    expect(rows.map((r) => r.ID)).toEqual(Array.from({ length: PEOPLE_ROWS }, (_, i) => i + 1));
    expect(rows[41]).toEqual({ ID: 42, NAME: 'person-42' });
    const executed = (await queryRequests()).find((q) => q.sqlText === 'SELECT ID, NAME FROM PEOPLE ORDER BY ID');
    expect(executed?.parameters).toEqual({ MULTI_STATEMENT_COUNT: 1 });
  });

  it('read() streams a large result chunk by chunk from storage', async () => {
    const n = 25_000;
    let last = 0;
    let batches = 0;
    for await (const batch of snowflakeSource.read(`SELECT SEQ4() + 1 AS N FROM TABLE(GENERATOR(ROWCOUNT => ${n}))`, ctx(), { batchSize: 1000 })) {
      for (const r of batch) {
        if (r.N !== last + 1) throw new Error(`row ${String(r.N)} after ${last}`);
        last = Number(r.N);
      }
      batches++;
    }
    expect(last).toBe(n);
    expect(batches).toBe(25);
    const chunkGets = (await sandbox.requests()).filter((r) => r.path.startsWith('/sandbox-storage/'));
    expect(chunkGets).toHaveLength(Math.ceil((n - 1000) / 4000));
  });

  it('a result chunk that comes back short fails the read: rows never go missing without an error', async () => {
    // The driver itself yields the short chunk's rows and goes on: the premise is checked by the count.
    const short = await spawnSandbox('snowflake', { env: { SNOWFLAKE_SANDBOX_CHUNK_ROWS: '4000', SNOWFLAKE_SANDBOX_SHORT_CHUNK: '2' } });
    try {
      let read = 0;
      const err = await failure(
        (async () => {
          for await (const batch of snowflakeSource.read('SELECT SEQ4() + 1 AS N FROM TABLE(GENERATOR(ROWCOUNT => 25000))', ctx({ config: { accessUrl: short.url } }), { batchSize: 1000 })) read += batch.length;
        })(),
      );
      expect(read).toBe(24_999);
      expect(err.message).toContain(NAME);
      expect(err.message).toContain('the result ended after 24999 of its 25000 rows');
      expect(err.message).toContain('— fix: run it again');
      expect(err).toMatchObject({ code: 'network', retryable: true });
    } finally {
      await short.stop();
    }
  });

  it('stopping early closes the session without fetching every chunk', async () => {
    for await (const batch of snowflakeSource.read('SELECT SEQ4() + 1 AS N FROM TABLE(GENERATOR(ROWCOUNT => 200000))', ctx(), { batchSize: 500 })) {
      expect(batch).toHaveLength(500);
      break;
    }
    await new Promise((r) => setTimeout(r, 300));
    const reqs = await sandbox.requests();
    expect(reqs.filter((r) => r.path.startsWith('/sandbox-storage/')).length).toBeLessThan(10);
    expect(reqs.some((r) => r.path === '/session' && r.method === 'POST')).toBe(true);
  });

  it('read() returns NULL, unicode, big numbers, dates and timestamps exactly', async () => {
    const { rows } = await collect('SELECT * FROM ROUND_TRIP');
    expect(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k.toLowerCase(), v])))).toEqual([ROUND_TRIP]);
  });

  it('refuses writes and several statements before anything runs', async () => {
    for (const [sql, text] of [
      ['INSERT INTO PEOPLE (ID) VALUES (1)', 'only SELECT queries can be used as a source'],
      ['DELETE FROM PEOPLE', 'only SELECT queries can be used as a source'],
      ['SELECT 1; DROP TABLE PEOPLE', 'several SQL statements'],
      ["SELECT ';' AS A; SELECT 2", 'several SQL statements'],
    ] as const) {
      const err = await failure(collect(sql));
      expect(err.message, sql).toContain(text);
      expect(err.message).toContain(`Snowflake connection "${NAME}"`);
      await expect(snowflakeSource.describe(sql, ctx())).rejects.toThrow(text);
    }
    // A write that starts like a query does not compile as a subquery: refused by the server, never executed.
    const hidden = await failure(collect('WITH x AS (SELECT 1) INSERT INTO PEOPLE SELECT * FROM x'));
    expect(hidden.code).toBe('bad_request');
    expect(await sandbox.creates()).toEqual([]);
    expect((await queryRequests()).filter((q) => !q.describeOnly && !q.sqlText.startsWith('ALTER SESSION'))).toEqual([]);
  });

  it('enforces the statement timeout through STATEMENT_TIMEOUT_IN_SECONDS', async () => {
    const started = Date.now();
    const err = await failure(collect('SELECT SYSTEM$WAIT(30) AS S', { timeoutMs: 1000 }));
    expect(err.code).toBe('timeout');
    expect(err.message).toContain('statement timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await queryRequests()).map((q) => q.sqlText)).toContain('ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = 1');
  });

  it('cancels the running statement when the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const started = Date.now();
    const err = await failure(collect('SELECT SYSTEM$WAIT(30) AS S', { signal: controller.signal }));
    expect(err).toMatchObject({ code: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await sandbox.requests()).some((r) => r.path.endsWith('/abort-request'))).toBe(true);
  });

  it('reports syntax errors at the line of the user\'s SQL, and missing tables', async () => {
    const err = await failure(collect('SELECT ID\nFORM PEOPLE'));
    expect(err.code).toBe('bad_request');
    expect(err.message).toContain("syntax error line 2 at position 0 unexpected 'FORM'");
    const missing = await failure(collect('SELECT * FROM NO_SUCH_TABLE'));
    expect(missing.code).toBe('not_found');
    expect(missing.message).toContain("Object 'NO_SUCH_TABLE' does not exist or not authorized");
  });

  it('the lexer keeps strings, $$ blocks and comments apart from statements', () => {
    expect(splitSnowflake("SELECT ';', $$;$$, \"a;b\" -- ;\n // ;\n /* ; */ FROM t;  ")).toHaveLength(1);
    expect(splitSnowflake('(SELECT 1) UNION (SELECT 2)')[0]?.firstKeyword).toBe('SELECT');
    expect(splitSnowflake("SELECT 'it\\'s; fine'")).toHaveLength(1);
  });
});
