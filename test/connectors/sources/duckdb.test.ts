/**
 * DuckDB source (the embedded default warehouse) against real DuckDB files, CSV
 * and Parquet files in a temporary directory.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findConnector } from '../../../connectors/registry';
import { closeDuckDbInstances, dollarQuoted, duckdbSource } from '../../../connectors/sources/duckdb';
import { ZDuckDbConfig, type TDuckDbConfig } from '../../../connectors/sources/duckdb/schema';
import { isConnectorError, type ConnectorError, type QueryOptions, type SourceRow } from '../../../connectors/sdk/types';
import { testContext } from '../../helpers/connector-context';

const dir = mkdtempSync(path.join(tmpdir(), 'bf-duckdb-source-'));
const WAREHOUSE = path.join(dir, 'warehouse.duckdb');
const LEADS_CSV = path.join(dir, 'leads.csv');
const ORDERS_PARQUET = path.join(dir, 'orders.parquet');
const SECRET_CSV = path.join(dir, 'secret.csv');
const NAME = 'duckdb test connection';

const fileConfig = (over: Partial<TDuckDbConfig> = {}) => ZDuckDbConfig.parse({ path: WAREHOUSE, ...over });
const filesConfig = () => ZDuckDbConfig.parse({ files: [{ table: 'leads', path: LEADS_CSV }, { table: 'orders', path: ORDERS_PARQUET }] });
const ctx = (config: TDuckDbConfig) => testContext({ credentials: {}, config, name: NAME });

async function collect(sql: string, config: TDuckDbConfig, opts?: QueryOptions): Promise<{ rows: SourceRow[]; sizes: number[] }> {
  const rows: SourceRow[] = [];
  const sizes: number[] = [];
  for await (const b of duckdbSource.read(sql, ctx(config), opts)) {
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

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

beforeAll(async () => {
  const instance = await DuckDBInstance.create(WAREHOUSE);
  const conn = await instance.connect();
  await conn.run(`CREATE TABLE people AS SELECT range::INTEGER + 1 AS id, 'person-' || (range + 1) AS name, (range / 7)::DECIMAL(10,2) AS score,
    range % 2 = 1 AS active, TIMESTAMP '2024-01-01' + INTERVAL (range + 1) MINUTE AS created_at FROM range(2503)`);
  await conn.run(`CREATE TABLE round_trip AS SELECT 1 AS id, NULL::VARCHAR AS nothing, 'Zoë — 😀 日本語' AS unicode, 9007199254740993::BIGINT AS big,
    42::BIGINT AS small_big, 12345678901234567890.123456789::DECIMAL(38,9) AS exact, DATE '2024-02-29' AS day,
    TIMESTAMP '2024-02-29 13:45:56.789123' AS at, TIMESTAMPTZ '2024-02-29 14:45:56.789123+01' AS at_zone, ['a', 'b'] AS tags`);
  await conn.run('CREATE VIEW active_people AS SELECT id, name FROM people WHERE active');
  await conn.run(`COPY (SELECT range AS order_id, range * 1.5 AS amount FROM range(10)) TO '${ORDERS_PARQUET}' (FORMAT parquet)`);
  conn.closeSync();
  instance.closeSync();
  writeFileSync(LEADS_CSV, 'email,score\na@example.com,1\nb@example.com,2\n');
  writeFileSync(SECRET_CSV, 'secret\nhunter2\n');
});

afterAll(() => {
  closeDuckDbInstances();
  rmSync(dir, { recursive: true, force: true });
});

describe('duckdb source', () => {
  it('is registered as the duckdb dialect with SQL hashing', () => {
    expect(findConnector('duckdb')).toBe(duckdbSource);
    expect(duckdbSource.capabilities).toEqual({ dialect: 'duckdb', sqlHash: true });
  });

  it('test() opens the file read-only, and explains a missing file', async () => {
    expect(await duckdbSource.test(ctx(fileConfig()))).toEqual({ ok: true, message: 'opened warehouse.duckdb read-only' });
    const r = await duckdbSource.test(ctx(fileConfig({ path: path.join(dir, 'missing.duckdb') })));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toContain('missing.duckdb does not exist');
      expect(r.message).toContain('— fix:');
    }
  });

  it('discover() lists tables and views with their columns and types', async () => {
    const { tables } = await duckdbSource.discover(ctx(fileConfig()));
    const people = tables.find((t) => t.name === 'people');
    expect(people?.kind).toBe('table');
    expect(people?.columns.map((c) => [c.name, c.type])).toEqual([
      ['id', 'integer'],
      ['name', 'string'],
      ['score', 'number'],
      ['active', 'boolean'],
      ['created_at', 'timestamp'],
    ]);
    expect(tables.find((t) => t.name === 'active_people')?.kind).toBe('view');
  });

  it('describe() returns columns without running the query', async () => {
    const started = Date.now();
    const cols = await duckdbSource.describe('SELECT id, name, sum(a.range * b.range) AS heavy FROM people, range(100000) a, range(100000) b GROUP BY ALL', ctx(fileConfig()));
    expect(cols.map((c) => [c.name, c.type])).toEqual([
      ['id', 'integer'],
      ['name', 'string'],
      ['heavy', 'integer'],
    ]);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('read() streams batches of the requested size, every row once and in order', async () => {
    const { rows, sizes } = await collect('SELECT id, name FROM people ORDER BY id', fileConfig(), { batchSize: 500 });
    expect(sizes).toEqual([500, 500, 500, 500, 500, 3]);
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 2503 }, (_, i) => i + 1));
    expect(rows[41]).toEqual({ id: 42, name: 'person-42' });
  });

  it('read() returns NULL, unicode, big numbers, dates and timestamps as JSON-safe values', async () => {
    const { rows } = await collect('SELECT * FROM round_trip', fileConfig());
    expect(rows).toEqual([
      {
        id: 1,
        nothing: null,
        unicode: 'Zoë — 😀 日本語',
        big: '9007199254740993',
        small_big: 42,
        exact: '12345678901234567890.123456789',
        day: '2024-02-29',
        at: '2024-02-29T13:45:56.789123Z',
        at_zone: '2024-02-29T13:45:56.789123Z',
        tags: ['a', 'b'],
      },
    ]);
  });

  it('read() names repeated columns apart and converts each by its own type', async () => {
    const { rows } = await collect("SELECT 9007199254740993::BIGINT AS a, 2::BIGINT AS a, 'x' AS b", fileConfig());
    expect(rows).toEqual([{ a: '9007199254740993', 'a:1': 2, b: 'x' }]);
  });

  it('keeps every value intact across chunks once each chunk is released (long strings, many chunks)', async () => {
    // Strings over 12 bytes live in a chunk's heap, which is freed when the next chunk is read.
    const sql = "SELECT 'line-' || range || '-' || repeat('y', 40) AS l FROM range(20000) ORDER BY range";
    const lines: (string | null)[] = [];
    for await (const b of duckdbSource.readText!(sql, ctx(fileConfig()), { batchSize: 1000 })) lines.push(...b);
    expect(lines).toEqual(Array.from({ length: 20000 }, (_, i) => `line-${i}-${'y'.repeat(40)}`));
    const { rows } = await collect(sql, fileConfig(), { batchSize: 3000 });
    expect(rows.map((r) => r.l)).toEqual(lines);
  });

  it('streams 500k generated rows in batches of the requested size with flat memory', async () => {
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let n = 0;
    const sizes = new Set<number>();
    for await (const batch of duckdbSource.read("SELECT range AS n, repeat('x', 500) || range AS pad FROM range(500000)", ctx(fileConfig()), { batchSize: 1000 })) {
      if (batch[0]?.n !== n) throw new Error(`batch starts at ${String(batch[0]?.n)}, expected ${n}`);
      n += batch.length;
      sizes.add(batch.length);
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    expect(n).toBe(500_000);
    expect([...sizes]).toEqual([1000]);
    // Buffered, 500k rows of ~500-character strings would need over 250 MB of heap.
    expect(peak - before).toBeLessThan(100 * 1024 * 1024);
  }, 120_000);

  it('never writes to the database file', async () => {
    const before = sha(WAREHOUSE);
    for (const sql of ['INSERT INTO people (id) VALUES (-1)', 'CREATE TABLE x AS SELECT 1', 'DELETE FROM people', `ATTACH '${path.join(dir, 'other.duckdb')}' AS o`, 'CHECKPOINT']) {
      const err = await failure(collect(sql, fileConfig()));
      expect(err.message, sql).toContain('only SELECT queries can be used as a source');
      expect(err.message).toContain(NAME);
      expect(err.code).toBe('bad_request');
    }
    closeDuckDbInstances();
    expect(sha(WAREHOUSE)).toBe(before);
  });

  it('refuses several statements', async () => {
    for (const sql of ['SELECT 1; SELECT 2', 'SELECT 1; DROP TABLE people']) {
      const err = await failure(collect(sql, fileConfig()));
      expect(err.message).toContain('several SQL statements');
      expect(err.message).toContain(NAME);
    }
    const { rows } = await collect("SELECT ';' AS a;", fileConfig());
    expect(rows).toEqual([{ a: ';' }]);
  });

  it('reads a query as written: a trailing semicolon or comment, and text that looks like the quoting its end check uses', async () => {
    // Every read is wrapped (withEndMarker), and must still run the SQL the user wrote.
    for (const [sql, a] of [
      ['SELECT 1 AS a; -- done', 1],
      ['SELECT 2 AS a -- no newline after this comment', 2],
      ['SELECT 3 AS a ;; \n /* end */', 3],
      ["SELECT '$bf$) UNION ALL SELECT 4 --' AS a", '$bf$) UNION ALL SELECT 4 --'],
      ['SELECT 5 AS "a$bf"', undefined],
    ] as const) {
      const { rows } = await collect(sql, fileConfig());
      expect(rows, sql).toEqual([a === undefined ? { a$bf: 5 } : { a }]);
    }
    const reserved = await failure(collect('SELECT 1 AS __bf_end_of_result', fileConfig()));
    expect(reserved.message).toContain('returns a column named __bf_end_of_result, which Backflow reserves — fix: rename it with AS');
    expect(dollarQuoted('x')).toBe('$bf$x$bf$');
    expect(dollarQuoted('a $bf$ b')).toBe('$bf1$a $bf$ b$bf1$');
    // The closing tag would be found one character early.
    expect(dollarQuoted('a$bf')).toBe('$bf1$a$bf$bf1$');
    expect(dollarQuoted('$bf$$bf1$')).toBe('$bf2$$bf$$bf1$$bf2$');
  });

  it('enforces the statement timeout by interrupting the query', async () => {
    const started = Date.now();
    const err = await failure(collect('SELECT sum(a.range * b.range) AS s FROM range(200000) a, range(200000) b', fileConfig(), { timeoutMs: 500 }));
    expect(err.code).toBe('timeout');
    expect(err.message).toContain('statement timeout');
    expect(err.message).toContain(NAME);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('counts only DuckDB time against the statement timeout: a slow consumer still gets every row', async () => {
    // The engine pauses a stream while PostgreSQL catches up; that is not the query running long.
    let rows = 0;
    let batches = 0;
    // The pause is longer than the timeout; DuckDB's own time for 20,000 rows
    // stays far below it even on a loaded machine (300,000 rows against a
    // 300 ms timeout once did not, in a CI run).
    for await (const b of duckdbSource.read('SELECT range AS n FROM range(20000)', ctx(fileConfig()), { timeoutMs: 1000, batchSize: 2048 })) {
      rows += b.length;
      if (batches++ === 0) await new Promise((r) => setTimeout(r, 1500));
    }
    expect(batches).toBe(10);
    expect(rows).toBe(20000);
  });

  it('fails, never ends early, when a cancel interrupts a stream between chunks', async () => {
    // Cut short, the rest of the result must not silently vanish: a mirror
    // sync would take the missing rows for deleted ones.
    const abort = new AbortController();
    let rows = 0;
    const reading = (async () => {
      for await (const b of duckdbSource.read('SELECT range AS n FROM range(300000)', ctx(fileConfig()), { signal: abort.signal, batchSize: 2048 })) {
        rows += b.length;
        if (rows === 2048) abort.abort();
      }
    })();
    const err = await failure(reading);
    expect(err.code).toBe('timeout');
    expect(err.message).toContain('cancelled');
    expect(rows).toBeLessThan(300000);
  });

  it('exposes configured CSV and Parquet files as views', async () => {
    const { tables } = await duckdbSource.discover(ctx(filesConfig()));
    expect(tables.map((t) => [t.name, t.kind]).sort()).toEqual([
      ['leads', 'view'],
      ['orders', 'view'],
    ]);
    const { rows } = await collect('SELECT l.email, o.amount FROM leads l JOIN orders o ON o.order_id = l.score ORDER BY l.email', filesConfig());
    expect(rows).toEqual([
      { email: 'a@example.com', amount: '1.5' },
      { email: 'b@example.com', amount: '3.0' },
    ]);
  });

  it('refuses every file that is not configured, and cannot be talked out of it', async () => {
    for (const sql of [
      `SELECT * FROM read_csv_auto('${SECRET_CSV}')`,
      `SELECT * FROM '${SECRET_CSV}'`,
      "SELECT * FROM read_text('/etc/hostname')",
      `SELECT * FROM read_parquet('${ORDERS_PARQUET.replace('orders', '*')}')`,
    ]) {
      const err = await failure(collect(sql, filesConfig()));
      expect(err.message, sql).toMatch(/Permission Error|disabled|not allowed|allowed/i);
      expect(err.message).not.toContain('hunter2');
    }
    for (const sql of ['SET enable_external_access = true', "SET allowed_paths = ['/']", 'RESET lock_configuration']) {
      const err = await failure(collect(sql, filesConfig()));
      expect(err.message, sql).toContain('only SELECT queries can be used as a source');
    }
    // What makes it hold: external access off, and the configuration locked against SET.
    const { rows } = await collect("SELECT current_setting('enable_external_access') AS external, current_setting('lock_configuration') AS locked", filesConfig());
    expect(rows).toEqual([{ external: false, locked: true }]);
  });

  it('says to raise the memory limit when a query outgrows it', async () => {
    // Three million distinct 64-character groups cannot fit in 16 MB.
    const sql = `SELECT count(*) AS n FROM (SELECT s FROM (SELECT md5(i::VARCHAR) || md5((i * 7)::VARCHAR) AS s FROM range(0, 3000000) t(i)) GROUP BY s)`;
    const err = await failure(collect(sql, fileConfig({ memoryLimit: '16MB', threads: 1 })));
    expect(err.message).toContain(NAME);
    expect(err.message).toMatch(/Out of Memory/);
    expect(err.message).toContain('fix: raise the connection\'s memory limit (memoryLimit)');
    expect(err.message).not.toContain('correct the SQL');
  });

  it('never passes off part of a result as all of it: a query that fails while its rows stream fails read() and readText()', async () => {
    // A value that does not convert at row 150,000. The engine reads with
    // readText; had it taken the rows after the failure for rows deleted from
    // the warehouse, mirror mode would have deleted them in the destination.
    const sql = "SELECT (CASE WHEN range = 150000 THEN 'abc' ELSE range::VARCHAR END)::INTEGER::VARCHAR AS l FROM range(300000)";

    // The premise, straight from DuckDB's node API: the stream ends part-way and says nothing.
    const raw = await DuckDBInstance.create(':memory:', { threads: '2' });
    const rawConn = await raw.connect();
    const result = await rawConn.stream(sql);
    let streamed = 0;
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) streamed += chunk.rowCount;
    rawConn.closeSync();
    raw.closeSync();
    expect(streamed).toBeGreaterThan(0);
    expect(streamed).toBeLessThan(150_000);

    let read = 0;
    const err = await failure(
      (async () => {
        for await (const b of duckdbSource.readText!(sql, ctx(fileConfig()), { batchSize: 10_000 })) read += b.length;
      })(),
    );
    expect(err.message).toContain(NAME);
    expect(err.message).toContain('ended part-way');
    expect(err.message).toContain("fix: run the query outside Backflow (e.g. the duckdb CLI) to see DuckDB's error");
    expect(err.retryable).toBe(false);
    expect(read).toBeLessThan(150_000);

    // read() serves editor previews and dry runs: a dry run cut short would
    // show the missing rows as deletes.
    const rowsErr = await failure(collect(sql, fileConfig(), { batchSize: 10_000 }));
    expect(rowsErr.message).toContain(NAME);
    expect(rowsErr.message).toContain('ended part-way');

    // A whole result passes: every line, in order, without the end marker.
    const lines: (string | null)[] = [];
    for await (const b of duckdbSource.readText!('SELECT range::VARCHAR AS l FROM range(300000) ORDER BY range DESC', ctx(fileConfig()), { batchSize: 50_000 })) lines.push(...b);
    expect(lines).toEqual(Array.from({ length: 300_000 }, (_, i) => String(299_999 - i)));
  });

  it('readText of an empty result is empty, and says which column count it needs', async () => {
    const lines: (string | null)[] = [];
    for await (const b of duckdbSource.readText!('SELECT name AS l FROM people WHERE id < 0', ctx(fileConfig()))) lines.push(...b);
    expect(lines).toEqual([]);
    const err = await failure(
      (async () => {
        for await (const b of duckdbSource.readText!('SELECT id, name FROM people', ctx(fileConfig()))) lines.push(...b);
      })(),
    );
    expect(err.message).toContain('one column, got 2');
  });

  it('reports syntax errors and missing tables with the connection name', async () => {
    const err = await failure(collect('SELECT id\nFROM WHERE x', fileConfig()));
    expect(err.message).toContain(NAME);
    expect(err.message).toMatch(/syntax error/i);
    expect(err.message).toContain('— fix:');
    const missing = await failure(collect('SELECT * FROM no_such_table', fileConfig()));
    expect(missing.message).toContain('no_such_table');
    expect(missing.message).toContain(NAME);
  });
});
