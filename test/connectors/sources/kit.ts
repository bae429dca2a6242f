/**
 * The source test kit: the checks every warehouse source that runs against a
 * real server must pass (PostgreSQL, MariaDB/MySQL). Each source's test file
 * builds a SourceSubject (how to reach its server, fixture SQL in its dialect)
 * and calls describeSourceKit(subject).
 *
 * Fixtures the subject creates in setup():
 *   people   id (integer primary key), name (text), score (decimal), active (boolean),
 *            created_at (timestamp); PEOPLE_ROWS rows, id = 1..PEOPLE_ROWS,
 *            name = `person-<id>`
 *   and the `roundTrip` query, whose single row must read back as ROUND_TRIP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConnectorError, type AnySource, type ConnectorError, type FieldType, type QueryOptions, type SourceRow } from '../../../connectors/sdk/types';
import { testContext } from '../../helpers/connector-context';

export const PEOPLE_ROWS = 2503;

/** The value rules every source follows (see connectors/sources/postgres/types.ts). */
export const ROUND_TRIP = {
  id: 1,
  nothing: null,
  unicode: 'Zoë — 😀 日本語 "quoted" \'single\' \\ back',
  big: '9007199254740993',
  small_big: 42,
  negative_big: '-9223372036854775808',
  exact: '12345678901234567890.123456789',
  ratio: 1.5,
  flag: true,
  day: '2024-02-29',
  at: '2024-02-29T13:45:56.789123Z',
  at_zone: '2024-02-29T13:45:56.789123Z',
} as const;

export type SourceEnv = {
  credentials: unknown;
  config: unknown;
  /** Runs SQL with full rights on the server (fixtures, assertions about side effects). */
  admin(sql: string): Promise<SourceRow[]>;
  /** Where the fixture table lives, as discover() reports it. */
  peopleTable: { schema: string; name: string };
  /** The fixture table, quoted for use in SQL. */
  people: string;
  teardown(): Promise<void>;
};

export type BadConnection = {
  credentials: unknown;
  config: unknown;
  /** The ConnectorError.field to change. */
  field: string;
  code: ConnectorError['code'];
  /** Text the message must contain besides the connection name (e.g. the user name, host:port). */
  mentions: string[];
};

export type SourceSubject = {
  name: string;
  connector: AnySource;
  setup(): Promise<SourceEnv>;
  /** The server rejects these credentials (wrong password or unknown user). */
  badCredentials(env: SourceEnv): BadConnection;
  /** Nothing listens there. */
  unreachable(env: SourceEnv): BadConnection;
  /** A database that does not exist. */
  missingDatabase(env: SourceEnv): BadConnection;
  /** A user that can log in but has no SELECT on `people`, and what the fix must mention. */
  restrictedUser?(env: SourceEnv): Promise<{ credentials: unknown; config: unknown; mentions: string[] }>;
  sql: {
    /** Field types the connector must report for people's columns. */
    peopleTypes: Record<'id' | 'name' | 'score' | 'active' | 'created_at', FieldType>;
    /** A SELECT that takes about `seconds` seconds on the server and returns column `s`. */
    slow(seconds: number): string;
    /** `count` rows: columns n (1..count) and pad (a ~1000-character string), in order of n. */
    generate(count: number): string;
    /** A single row whose columns read back as ROUND_TRIP. */
    roundTrip: string;
    /** A statement with a syntax error, and the position text the message must contain. */
    syntaxError: { sql: string; mentions: string[] };
    /** A write that hides inside something that starts like a query (dialect-specific), if the dialect has one. */
    hiddenWrite?: (people: string) => string;
  };
};

async function collect(it: AsyncIterable<SourceRow[]>): Promise<{ rows: SourceRow[]; sizes: number[] }> {
  const rows: SourceRow[] = [];
  const sizes: number[] = [];
  for await (const batch of it) {
    sizes.push(batch.length);
    rows.push(...batch);
  }
  return { rows, sizes };
}

async function caught(p: Promise<unknown>): Promise<ConnectorError> {
  try {
    await p;
  } catch (err) {
    if (isConnectorError(err)) return err;
    throw new Error(`expected a ConnectorError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
  throw new Error('expected the call to fail, it succeeded');
}

export function describeSourceKit(subject: SourceSubject): void {
  describe(`${subject.name} — source kit`, () => {
    let env: SourceEnv;
    const NAME = `kit ${subject.name} connection`;
    const ctx = (over: { credentials?: unknown; config?: unknown } = {}) =>
      testContext({ credentials: over.credentials ?? env.credentials, config: over.config ?? env.config, name: NAME });
    const read = (sql: string, opts?: QueryOptions, over?: { credentials?: unknown; config?: unknown }) =>
      collect(subject.connector.read(sql, ctx(over), opts));
    const count = async () => Number((await env.admin(`SELECT COUNT(*) AS c FROM ${env.people}`))[0]?.c);

    beforeAll(async () => {
      env = await subject.setup();
    });
    afterAll(async () => {
      await env?.teardown();
    });

    it('declares itself as a source with a dialect', () => {
      expect(subject.connector.kind).toBe('source');
      expect(['duckdb', 'postgres', 'mysql', 'snowflake', 'bigquery']).toContain(subject.connector.capabilities.dialect);
    });

    it('test() succeeds with good credentials', async () => {
      const r = await subject.connector.test(ctx());
      expect(r).toMatchObject({ ok: true });
    });

    for (const [label, pick] of [
      ['bad credentials', (e: SourceEnv) => subject.badCredentials(e)],
      ['an unreachable host', (e: SourceEnv) => subject.unreachable(e)],
      ['a missing database', (e: SourceEnv) => subject.missingDatabase(e)],
    ] as const) {
      it(`${label}: test() fails with a message naming the connection, the field and the fix`, async () => {
        const bad = pick(env);
        const started = Date.now();
        const r = await subject.connector.test(ctx(bad));
        expect(r.ok).toBe(false);
        if (r.ok) return;
        expect(r.message).toContain(NAME);
        expect(r.message).toContain('— fix:');
        for (const m of bad.mentions) expect(r.message).toContain(m);
        expect(r.code).toBe(bad.code);
        // discover() throws the same error, pointing at the field to change.
        const err = await caught(subject.connector.discover(ctx(bad)));
        expect(err.field).toBe(bad.field);
        expect(err.code).toBe(bad.code);
        expect(Date.now() - started).toBeLessThan(30_000);
      });
    }

    it('discover() lists the fixture table with its columns and types', async () => {
      const { tables } = await subject.connector.discover(ctx());
      const t = tables.find((x) => x.schema === env.peopleTable.schema && x.name === env.peopleTable.name);
      expect(t, `table ${env.peopleTable.schema}.${env.peopleTable.name} in ${tables.map((x) => `${x.schema}.${x.name}`).join(', ')}`).toBeDefined();
      expect(t?.kind).toBe('table');
      expect(t?.columns.map((c) => c.name)).toEqual(['id', 'name', 'score', 'active', 'created_at']);
      const types = Object.fromEntries(t?.columns.map((c) => [c.name, c.type]) ?? []);
      expect(types).toEqual(subject.sql.peopleTypes);
      for (const c of t?.columns ?? []) expect(c.nativeType.length).toBeGreaterThan(0);
    });

    it('describe() returns the columns and their types', async () => {
      const cols = await subject.connector.describe(`SELECT id, name, score, active, created_at FROM ${env.people} ORDER BY id`, ctx());
      expect(cols.map((c) => c.name)).toEqual(['id', 'name', 'score', 'active', 'created_at']);
      expect(Object.fromEntries(cols.map((c) => [c.name, c.type]))).toEqual(subject.sql.peopleTypes);
    });

    it('describe() does not run the query', async () => {
      const started = Date.now();
      const cols = await subject.connector.describe(subject.sql.slow(20), ctx());
      expect(cols.map((c) => c.name)).toContain('s');
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('read() streams batches of the requested size, every row exactly once and in order', async () => {
      const { rows, sizes } = await read(`SELECT id, name FROM ${env.people} ORDER BY id`, { batchSize: 500 });
      expect(sizes).toEqual([500, 500, 500, 500, 500, 3]);
      expect(rows.map((r) => r.id)).toEqual(Array.from({ length: PEOPLE_ROWS }, (_, i) => i + 1));
      expect(rows[41]).toEqual({ id: 42, name: 'person-42' });
    });

    it('read() of an empty result yields no batch', async () => {
      const { sizes } = await read(`SELECT id FROM ${env.people} WHERE id < 0`, { batchSize: 10 });
      expect(sizes).toEqual([]);
    });

    it('read() is a server-side stream: the first batch of a huge result arrives quickly, and stopping early ends the query', async () => {
      const started = Date.now();
      let first: SourceRow[] | undefined;
      for await (const batch of subject.connector.read(subject.sql.generate(1_000_000_000), ctx(), { batchSize: 1000, timeoutMs: 120_000 })) {
        first = batch;
        break;
      }
      expect(first?.length).toBe(1000);
      expect(first?.[999]?.n).toBe(1000);
      expect(Date.now() - started).toBeLessThan(10_000);
      // The connection is usable afterwards: nothing is left half-read.
      const { rows } = await read('SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
    });

    it('read() keeps memory flat while streaming 200k wide rows', async () => {
      const before = process.memoryUsage().heapUsed;
      let peak = before;
      let n = 0;
      let last = 0;
      for await (const batch of subject.connector.read(subject.sql.generate(200_000), ctx(), { batchSize: 2000 })) {
        for (const r of batch) {
          const v = Number(r.n);
          if (v !== last + 1) throw new Error(`row ${v} after ${last}`);
          last = v;
        }
        n += batch.length;
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
      expect(n).toBe(200_000);
      // Buffered, the result would take over 200 MB of heap (200k rows × ~1 kB strings).
      expect(peak - before).toBeLessThan(80 * 1024 * 1024);
    }, 120_000);

    it('read() returns NULL, unicode, big numbers, dates and timestamps exactly', async () => {
      const { rows } = await read(subject.sql.roundTrip);
      expect(rows).toEqual([ROUND_TRIP]);
    });

    it('refuses writes, with a message that says only SELECT can be a source', async () => {
      const before = await count();
      const err = await caught(read(`INSERT INTO ${env.people} (id, name) VALUES (999999, 'x')`));
      expect(err.code).toBe('bad_request');
      expect(err.message).toContain(NAME);
      expect(err.message).toContain('only SELECT queries can be used as a source');
      expect(err.message).toContain('— fix:');
      const err2 = await caught(subject.connector.describe(`DELETE FROM ${env.people}`, ctx()));
      expect(err2.message).toContain('only SELECT queries can be used as a source');
      expect(await count()).toBe(before);
    });

    it('refuses a write hidden inside a query', async () => {
      if (!subject.sql.hiddenWrite) return;
      const before = await count();
      const err = await caught(read(subject.sql.hiddenWrite(env.people)));
      expect(err.message).toContain(NAME);
      expect(err.message).toMatch(/only SELECT queries can be used as a source|read-only|several SQL statements/);
      expect(await count()).toBe(before);
    });

    it('refuses several statements, before running any of them', async () => {
      const before = await count();
      for (const sql of ['SELECT 1; SELECT 2', `SELECT id FROM ${env.people};\nDELETE FROM ${env.people}`, `SELECT ';' AS a; SELECT 2`]) {
        const err = await caught(read(sql));
        expect(err.code).toBe('bad_request');
        expect(err.message).toContain(NAME);
        expect(err.message).toContain('several SQL statements');
        const err2 = await caught(subject.connector.describe(sql, ctx()));
        expect(err2.message).toContain('several SQL statements');
      }
      expect(await count()).toBe(before);
      // A trailing semicolon, or one inside a string or comment, is still a single statement.
      const { rows } = await read(`SELECT ';' AS a -- ; not a second statement\n;`);
      expect(rows).toEqual([{ a: ';' }]);
    });

    it('enforces the statement timeout', async () => {
      const started = Date.now();
      const err = await caught(read(subject.sql.slow(30), { timeoutMs: 1000 }));
      expect(err.code).toBe('timeout');
      expect(err.message).toContain(NAME);
      expect(err.message).toContain('statement timeout');
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('cancels a running read when the signal aborts', async () => {
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 500);
      const err = await caught(read(subject.sql.slow(30), { signal: controller.signal }));
      expect(err.code).toBe('timeout');
      expect(err.retryable).toBe(true);
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('reports a syntax error with its position', async () => {
      const err = await caught(read(subject.sql.syntaxError.sql));
      expect(err.code).toBe('bad_request');
      expect(err.message).toContain(NAME);
      for (const m of subject.sql.syntaxError.mentions) expect(err.message).toContain(m);
      expect(err.message).toContain('— fix:');
    });

    it('reports a missing table as not_found', async () => {
      const err = await caught(read('SELECT * FROM bf_no_such_table_anywhere'));
      expect(err.code).toBe('not_found');
      expect(err.message).toContain('bf_no_such_table_anywhere');
    });

    it('reports permission denied on a table, with the GRANT that fixes it', async () => {
      if (!subject.restrictedUser) return;
      const restricted = await subject.restrictedUser(env);
      const err = await caught(read(`SELECT id FROM ${env.people}`, {}, restricted));
      expect(err.code).toBe('permission');
      expect(err.message).toContain(NAME);
      for (const m of restricted.mentions) expect(err.message).toContain(m);
    });
  });
}
