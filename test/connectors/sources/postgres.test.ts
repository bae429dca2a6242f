/**
 * PostgreSQL source against the real server of the test run (a throw-away
 * database per file), plus the Redshift flavour of the same code on that server
 * with Redshift's catalog views emulated (Redshift itself is not reachable here).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { findConnector } from '../../../connectors/registry';
import { postgresSource } from '../../../connectors/sources/postgres';
import { ZPostgresConfig, type TPostgresConfig } from '../../../connectors/sources/postgres/schema';
import { isoTimestamp, parseInt8, pgFieldType } from '../../../connectors/sources/postgres/types';
import { leadingKeyword } from '../../../connectors/sources/postgres/statement';
import { versionProblem } from '../../../connectors/sources/postgres/source';
import { redshiftSource } from '../../../connectors/sources/redshift';
import { ZRedshiftConfig } from '../../../connectors/sources/redshift/schema';
import { isConnectorError, type SourceRow } from '../../../connectors/sdk/types';
import { testContext } from '../../helpers/connector-context';
import { describeSourceKit, PEOPLE_ROWS, type SourceEnv } from './kit';

const suffix = randomUUID().replace(/-/g, '').slice(0, 10);
const DB = `bf_src_pg_${suffix}`;
const RESTRICTED = `bf_src_restricted_${suffix}`;

function serverConfig(database: string): TPostgresConfig {
  const u = new URL(inject('adminDatabaseUrl'));
  return ZPostgresConfig.parse({
    host: u.hostname,
    port: Number(u.port || 5432),
    database,
    user: decodeURIComponent(u.username || 'postgres'),
    ssl: 'disable',
  });
}

async function adminQuery(database: string, sql: string): Promise<SourceRow[]> {
  const u = new URL(inject('adminDatabaseUrl'));
  u.pathname = `/${database}`;
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  try {
    const res = await c.query(sql);
    return Array.isArray(res) ? [] : res.rows;
  } finally {
    await c.end();
  }
}

const FIXTURES = `
  CREATE TABLE people (id integer PRIMARY KEY, name text, score numeric(10,2), active boolean, created_at timestamp);
  INSERT INTO people SELECT i, 'person-' || i, i / 7.0, i % 2 = 0, TIMESTAMP '2024-01-01' + i * INTERVAL '1 minute'
    FROM generate_series(1, ${PEOPLE_ROWS}) AS i;
  CREATE TABLE round_trip (id integer, nothing text, unicode text, big bigint, small_big bigint, negative_big bigint,
    exact numeric(30,9), ratio double precision, flag boolean, day date, at timestamp(6), at_zone timestamptz(6));
  SET TimeZone = 'Europe/Paris';
  INSERT INTO round_trip VALUES (1, NULL, 'Zoë — 😀 日本語 "quoted" ''single'' \\ back', 9007199254740993, 42, -9223372036854775808,
    12345678901234567890.123456789, 1.5, true, '2024-02-29', '2024-02-29 13:45:56.789123', '2024-02-29 14:45:56.789123+01');
  CREATE SCHEMA analytics;
  CREATE TABLE analytics.orders (order_id bigint, tags text[], payload jsonb, amounts numeric[], placed_on date);
  CREATE VIEW analytics.big_orders AS SELECT order_id FROM analytics.orders;
  CREATE MATERIALIZED VIEW analytics.order_days AS SELECT placed_on, count(*) AS n FROM analytics.orders GROUP BY placed_on;
`;

async function setupDatabase(): Promise<void> {
  await adminQuery('postgres', `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await adminQuery('postgres', `CREATE DATABASE ${DB}`);
  await adminQuery(DB, FIXTURES);
}

let setupDone: Promise<void> | null = null;
const ensureDatabase = () => (setupDone ??= setupDatabase());

describeSourceKit({
  name: 'postgres',
  connector: postgresSource,
  async setup(): Promise<SourceEnv> {
    await ensureDatabase();
    return {
      credentials: { password: '' },
      config: serverConfig(DB),
      admin: (sql) => adminQuery(DB, sql),
      peopleTable: { schema: 'public', name: 'people' },
      people: 'people',
      teardown: async () => {},
    };
  },
  badCredentials: (env) => ({
    credentials: env.credentials,
    config: { ...serverConfig(DB), user: 'bf_no_such_user' },
    field: 'user',
    code: 'auth',
    mentions: ['user "bf_no_such_user" does not exist', 'user field'],
  }),
  unreachable: () => ({
    credentials: { password: '' },
    config: { ...serverConfig(DB), host: '127.0.0.1', port: 1 },
    field: 'host',
    code: 'network',
    mentions: ['127.0.0.1:1', 'host and port'],
  }),
  missingDatabase: () => ({
    credentials: { password: '' },
    config: { ...serverConfig(DB), database: 'bf_no_such_db' },
    field: 'database',
    code: 'config',
    mentions: ['database "bf_no_such_db" does not exist', 'database field'],
  }),
  async restrictedUser() {
    await adminQuery('postgres', `DROP ROLE IF EXISTS ${RESTRICTED}`);
    await adminQuery('postgres', `CREATE ROLE ${RESTRICTED} LOGIN`);
    return { credentials: { password: '' }, config: { ...serverConfig(DB), user: RESTRICTED }, mentions: [`GRANT SELECT ON people TO "${RESTRICTED}"`] };
  },
  sql: {
    peopleTypes: { id: 'integer', name: 'string', score: 'number', active: 'boolean', created_at: 'timestamp' },
    slow: (s) => `SELECT pg_sleep(${s}) AS s, 1 AS x`,
    generate: (n) => `SELECT n, repeat('x', 1000) || n::text AS pad FROM (SELECT generate_series(1, ${n}) AS n) AS g`,
    roundTrip: 'SELECT * FROM round_trip',
    syntaxError: { sql: 'SELECT id\nFROM WHERE x', mentions: ['syntax error at or near "WHERE"', 'line 2, column 6'] },
    hiddenWrite: (people) => `WITH gone AS (DELETE FROM ${people} RETURNING id) SELECT count(*) FROM gone`,
  },
});

describe('postgres source — specifics', () => {
  const ctx = (config: Partial<TPostgresConfig> = {}) => testContext({ credentials: { password: '' }, config: { ...serverConfig(DB), ...config }, name: 'pg specifics' });

  beforeAll(async () => {
    await ensureDatabase();
  });
  afterAll(async () => {
    await adminQuery('postgres', `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await adminQuery('postgres', `DROP ROLE IF EXISTS ${RESTRICTED}`);
  });

  it('is registered, and declares the postgres dialect with SQL hashing', () => {
    expect(findConnector('postgres')).toBe(postgresSource);
    expect(postgresSource.capabilities).toEqual({ dialect: 'postgres', sqlHash: true });
    // Credentials hold secrets only; host, user and database are settings.
    expect(Object.keys(postgresSource.credentialsSchema.parse({}) as object)).toEqual(['password']);
  });

  it('readText() streams one text column through COPY: NULLs, escapes, newlines and non-ASCII come back exactly', async () => {
    const values = ['plain', null, 'tab\there', 'line\nbreak\r\n', 'back\\slash \\N', 'Zoë — 😀 日本語', '', '\\'];
    // Dollar quoting takes each value literally, tabs, newlines and backslashes included.
    const rows = values.map((v, i) => `(${i}, ${v === null ? 'NULL' : `$v$${v}$v$`})`).join(', ');
    const sql = `SELECT v AS l FROM (VALUES ${rows}) AS t(i, v) ORDER BY i`;
    const got: (string | null)[] = [];
    for await (const batch of postgresSource.readText!(sql, ctx())) got.push(...batch);
    expect(got).toEqual(values);
    // Many rows arrive in several batches, in order.
    let n = 0;
    let last = 0;
    for await (const batch of postgresSource.readText!(`SELECT i::text AS l FROM generate_series(1, 100000) AS i ORDER BY i`, ctx())) {
      for (const v of batch) {
        expect(Number(v)).toBe(last + 1);
        last++;
      }
      n += batch.length;
    }
    expect(n).toBe(100_000);
  });

  it('reads with at least 16MB of work_mem, and keeps a larger setting of the server', async () => {
    const workMem = async () => (await collectText(`SELECT current_setting('work_mem') AS l`))[0];
    const serverDefault = async () => (await adminQuery(DB, `SELECT current_setting('work_mem') AS w, pg_size_bytes(current_setting('work_mem')) < 16 * 1024 * 1024 AS low`))[0]!;
    const before = await serverDefault();
    expect(await workMem()).toBe(before.low ? '16MB' : before.w);
    await adminQuery('postgres', `ALTER DATABASE ${DB} SET work_mem = '64MB'`);
    try {
      expect(await workMem()).toBe('64MB');
    } finally {
      await adminQuery('postgres', `ALTER DATABASE ${DB} RESET work_mem`);
    }
    // Transaction-local: the server's own setting is untouched.
    expect(await serverDefault()).toEqual(before);
  });

  it('readText() refuses several columns and writes, reports SQL errors, and releases its connection when left early', async () => {
    await expect(collectText('SELECT 1 AS a, 2 AS b')).rejects.toThrow(/one column, got 2/);
    await expect(collectText('DELETE FROM people')).rejects.toThrow(/only SELECT queries/);
    await expect(collectText('SELECT nope AS l FROM people')).rejects.toThrow(/nope/);
    const before = await backflowConnections();
    for await (const batch of postgresSource.readText!(`SELECT i::text AS l FROM generate_series(1, 1000000) AS i`, ctx())) {
      expect(batch.length).toBeGreaterThan(0);
      break;
    }
    await expect.poll(backflowConnections, { timeout: 5_000 }).toBe(before);
  });

  it('a query that fails while its rows stream fails the read, in readText() and read(), after the rows before the failure', async () => {
    // Rows cut short must never pass for a whole result: a mirror sync would take the rest for deleted rows.
    const sql = "SELECT (CASE WHEN i = 150000 THEN 'abc' ELSE i::text END)::int::text AS l FROM generate_series(1, 300000) AS i";
    await expect(collectText(sql)).rejects.toThrow(/invalid input syntax for type integer: "abc"/);
    let rows = 0;
    await expect(
      (async () => {
        for await (const batch of postgresSource.read(sql, ctx(), { batchSize: 10_000 })) rows += batch.length;
      })(),
    ).rejects.toThrow(/invalid input syntax for type integer: "abc"/);
    expect(rows).toBeLessThan(150_000);
  });

  async function collectText(sql: string): Promise<(string | null)[]> {
    const out: (string | null)[] = [];
    for await (const batch of postgresSource.readText!(sql, ctx())) out.push(...batch);
    return out;
  }

  async function backflowConnections(): Promise<number> {
    const rows = await adminQuery('postgres', `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = '${DB}' AND application_name = 'backflow'`);
    return Number(rows[0]!.n);
  }

  it('discover() lists views, materialized views, arrays and json with their types, and honours the schema filter', async () => {
    const { tables } = await postgresSource.discover(ctx({ schemas: ['analytics'] }));
    const byName = Object.fromEntries(tables.map((t) => [`${t.schema}.${t.name}`, t]));
    expect(Object.keys(byName).sort()).toEqual(['analytics.big_orders', 'analytics.order_days', 'analytics.orders']);
    expect(byName['analytics.big_orders']?.kind).toBe('view');
    expect(byName['analytics.order_days']?.kind).toBe('view');
    expect(byName['analytics.order_days']?.columns.map((c) => [c.name, c.type])).toEqual([
      ['placed_on', 'date'],
      ['n', 'integer'],
    ]);
    expect(byName['analytics.orders']?.columns.map((c) => [c.name, c.nativeType, c.type])).toEqual([
      ['order_id', 'bigint', 'integer'],
      ['tags', 'text[]', 'string_array'],
      ['payload', 'jsonb', 'json'],
      ['amounts', 'numeric[]', 'json'],
      ['placed_on', 'date', 'date'],
    ]);
  });

  it('describe() reports native types with their modifiers', async () => {
    const cols = await postgresSource.describe('SELECT score, created_at, now() AS at_zone, ARRAY[name] AS names FROM people', ctx());
    expect(cols).toEqual([
      { name: 'score', nativeType: 'numeric(10,2)', type: 'number' },
      { name: 'created_at', nativeType: 'timestamp without time zone', type: 'timestamp' },
      { name: 'at_zone', nativeType: 'timestamp with time zone', type: 'timestamp' },
      { name: 'names', nativeType: 'text[]', type: 'string_array' },
    ]);
  });

  it('refuses duplicate column names, which would silently lose a value per row', async () => {
    await expect(postgresSource.describe('SELECT 1 AS a, 2 AS a', ctx())).rejects.toThrow(/two columns named "a"/);
  });

  it('refuses statements that return no rows, even when they start like a query', async () => {
    await expect(postgresSource.describe('SET statement_timeout = 0', ctx())).rejects.toThrow(/starts with SET/);
    await expect(postgresSource.describe('(SELECT 1) ; LOCK TABLE people', ctx())).rejects.toThrow(/several SQL statements/);
  });

  it('refuses SELECT … FOR UPDATE (row locks need a writable transaction)', async () => {
    const err = await postgresSource
      .read('SELECT id FROM people FOR UPDATE', ctx())
      [Symbol.asyncIterator]()
      .next()
      .catch((e: unknown) => e);
    expect(isConnectorError(err) && err.message).toContain('only SELECT queries can be used as a source');
  });

  it('reads arrays, json and numeric arrays as JSON values', async () => {
    await adminQuery(DB, `INSERT INTO analytics.orders VALUES (7, ARRAY['a','b c'], '{"k":[1,2]}', ARRAY[1.10, 2], '2024-03-01')`);
    const rows: SourceRow[] = [];
    for await (const b of postgresSource.read('SELECT * FROM analytics.orders WHERE order_id = 7', ctx())) rows.push(...b);
    expect(rows).toEqual([{ order_id: 7, tags: ['a', 'b c'], payload: { k: [1, 2] }, amounts: ['1.10', '2'], placed_on: '2024-03-01' }]);
  });

  it('SSL: verify-full against a self-signed server certificate names the ssl field', async () => {
    const sslOn = (await adminQuery(DB, 'SHOW ssl'))[0]?.ssl === 'on';
    const r = await postgresSource.test(ctx({ ssl: 'require' }));
    if (sslOn) {
      // Debian's server has TLS on (snakeoil certificate): require encrypts without checking.
      expect(r).toMatchObject({ ok: true });
    } else {
      // A server without TLS (the embedded one): the failure names the ssl setting.
      expect(r).toMatchObject({ ok: false, message: expect.stringMatching(/ssl/i) });
    }
    const err = await postgresSource.discover(ctx({ ssl: 'verify-full' })).catch((e: unknown) => e);
    expect(isConnectorError(err) && err.field).toBe('ssl');
    expect(isConnectorError(err) && err.message).toContain('— fix:');
  });

  it('maps a wrong password (SQLSTATE 28P01) to the password field, naming the user', async () => {
    // This server trusts local connections, so the error is produced the way pg reports it.
    const { pgError } = await import('../../../connectors/sources/postgres/errors');
    const dbErr = new pg.DatabaseError('password authentication failed for user "alice"', 0, 'error');
    dbErr.code = '28P01';
    const e = pgError(dbErr, { product: 'PostgreSQL', connectionName: 'warehouse', config: { ...serverConfig(DB), user: 'alice' } });
    expect(e.message).toBe('PostgreSQL connection "warehouse": the server rejected the password for user "alice" — fix: check the user and password fields');
    expect(e).toMatchObject({ code: 'auth', field: 'password', retryable: false });
  });

  it('value parsers: int8 stays exact, timestamps become ISO UTC', () => {
    expect(parseInt8('42')).toBe(42);
    expect(parseInt8('9007199254740993')).toBe('9007199254740993');
    expect(isoTimestamp('2024-02-29 13:45:56.789123+00')).toBe('2024-02-29T13:45:56.789123Z');
    expect(isoTimestamp('2024-02-29 13:45:56')).toBe('2024-02-29T13:45:56Z');
    expect(isoTimestamp('infinity')).toBe('infinity');
    expect(pgFieldType('character varying(20)')).toBe('string');
    expect(pgFieldType('_varchar')).toBe('string_array');
    expect(pgFieldType('timestamp(3) with time zone')).toBe('timestamp');
    expect(leadingKeyword('/* a /* nested */ comment */ -- line\n ( WITH x AS (SELECT 1) SELECT * FROM x)')).toBe('WITH');
  });

  it('test() accepts this server, and servers older than 14 are refused with the reason and the fix', async () => {
    const r = await postgresSource.test(ctx());
    expect(r).toMatchObject({ ok: true });
    expect(versionProblem('PostgreSQL', true, 140000)).toBeNull();
    expect(versionProblem('PostgreSQL', true, 170004)).toBeNull();
    expect(versionProblem('PostgreSQL', true, 130018)).toMatch(/^PostgreSQL 13 is older than 14, .*hash_record_extended.* — fix: upgrade the server to PostgreSQL 14 or later/);
    expect(versionProblem('PostgreSQL', true, 90624)).toMatch(/^PostgreSQL 9\.6 is older than 14/);
    // Without SQL hashing (Redshift) the engine needs no such function.
    expect(versionProblem('Redshift', false, 80002)).toBeNull();
  });
});

/**
 * Redshift speaks the PostgreSQL protocol; what differs is its catalog. Here the
 * svv_tables / svv_columns views are emulated on PostgreSQL (TEST
 * INFRASTRUCTURE, defined from information_schema with Redshift's column
 * names) so that the redshift connector's own discover query runs.
 */
describe('redshift source (PostgreSQL protocol; catalog views emulated — not the live service)', () => {
  const RS_DB = `bf_src_rs_${suffix}`;
  const ctx = () =>
    testContext({ credentials: { password: '' }, config: ZRedshiftConfig.parse({ ...serverConfig(RS_DB), port: serverConfig(RS_DB).port }), name: 'rs' });

  beforeAll(async () => {
    await adminQuery('postgres', `DROP DATABASE IF EXISTS ${RS_DB} WITH (FORCE)`);
    await adminQuery('postgres', `CREATE DATABASE ${RS_DB}`);
    await adminQuery(
      RS_DB,
      `CREATE TABLE events (id bigint, kind varchar(20), at timestamp);
       INSERT INTO events SELECT i, 'k' || i, TIMESTAMP '2024-01-01' + i * INTERVAL '1 hour' FROM generate_series(1, 5) i;
       CREATE VIEW svv_tables AS SELECT table_catalog::text, table_schema::text, table_name::text, table_type::text FROM information_schema.tables;
       CREATE VIEW svv_columns AS SELECT table_catalog::text, table_schema::text, table_name::text, column_name::text,
         ordinal_position::int, is_nullable::text, data_type::text FROM information_schema.columns;`,
    );
  });
  afterAll(async () => {
    await adminQuery('postgres', `DROP DATABASE IF EXISTS ${RS_DB} WITH (FORCE)`);
  });

  it('is registered with Redshift defaults: port 5439, TLS required, no SQL hashing', () => {
    expect(findConnector('redshift')).toBe(redshiftSource);
    expect(redshiftSource.capabilities).toEqual({ dialect: 'postgres', sqlHash: false });
    const config = ZRedshiftConfig.parse({ host: 'example.redshift.amazonaws.com', database: 'dev', user: 'bf' });
    expect(config).toMatchObject({ port: 5439, ssl: 'require' });
  });

  it('discovers through svv_columns, and reads through the shared cursor path', async () => {
    const { tables } = await redshiftSource.discover(ctx());
    const events = tables.find((t) => t.name === 'events');
    expect(events?.columns.map((c) => [c.name, c.type])).toEqual([
      ['id', 'integer'],
      ['kind', 'string'],
      ['at', 'timestamp'],
    ]);
    // Redshift has no COPY … TO STDOUT: the engine reads it through read().
    expect(redshiftSource.readText).toBeUndefined();
    const rows: SourceRow[] = [];
    for await (const b of redshiftSource.read('SELECT id, at FROM events ORDER BY id', ctx(), { batchSize: 2 })) rows.push(...b);
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0]?.at).toBe('2024-01-01T01:00:00Z');
    const err = await redshiftSource.describe('DELETE FROM events', ctx()).catch((e: unknown) => e);
    expect(isConnectorError(err) && err.message).toMatch(/^Redshift connection "rs": only SELECT queries/);
  });
});
