/**
 * MySQL/MariaDB source against the real MariaDB server of these machines
 * (127.0.0.1:3306, database `test`), with uniquely named tables and users that
 * are dropped at the end.
 */
import { randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findConnector } from '../../../connectors/registry';
import { mysqlSource } from '../../../connectors/sources/mysql';
import { ZMySqlConfig, type TMySqlConfig } from '../../../connectors/sources/mysql/schema';
import { splitMySql } from '../../../connectors/sources/mysql/statement';
import { describeColumn, mysqlFieldType } from '../../../connectors/sources/mysql/types';
import { isConnectorError, type SourceRow } from '../../../connectors/sdk/types';
import { testContext } from '../../helpers/connector-context';
import { describeSourceKit, PEOPLE_ROWS, type SourceEnv } from './kit';

const suffix = randomUUID().replace(/-/g, '').slice(0, 10);
const P = `bf_src_my_${suffix}`;
const PEOPLE = `${P}_people`;
const TYPES = `${P}_types`;
const WIDE = `${P}_wide`;
const VIEW = `${P}_view`;
const PW_USER = `${P}_pw`.slice(0, 32);
const RESTRICTED = `${P}_ro`.slice(0, 32);
const HOST = '127.0.0.1';
const PORT = 3306;

const config = (over: Partial<TMySqlConfig> = {}): TMySqlConfig => ZMySqlConfig.parse({ host: HOST, port: PORT, database: 'test', user: 'root', ssl: 'disable', ...over });

async function admin(sql: string, values: unknown[] = []): Promise<SourceRow[]> {
  const c = await mysql.createConnection({ host: HOST, port: PORT, user: 'root', database: 'test', multipleStatements: true, supportBigNumbers: true });
  try {
    const [rows] = await c.query(sql, values);
    const out: SourceRow[] = [];
    if (Array.isArray(rows)) for (const r of rows) if (!Array.isArray(r) && !('affectedRows' in r)) out.push({ ...r });
    return out;
  } finally {
    await c.end();
  }
}

async function setupTables(): Promise<void> {
  // The zero-date fixture needs a permissive sql_mode (this session only).
  await admin(`
    SET SESSION sql_mode = '';
    CREATE TABLE ${PEOPLE} (id INT PRIMARY KEY, name VARCHAR(100), score DECIMAL(10,2), active BOOLEAN, created_at DATETIME);
    INSERT INTO ${PEOPLE} SELECT seq, CONCAT('person-', seq), seq / 7, seq % 2 = 0, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq MINUTE
      FROM seq_1_to_${PEOPLE_ROWS};
    CREATE TABLE ${TYPES} (id INT, nothing TEXT NULL, unicode TEXT CHARACTER SET utf8mb4, big BIGINT, small_big BIGINT, negative_big BIGINT,
      exact DECIMAL(30,9), ratio DOUBLE, flag BOOLEAN, day DATE, at DATETIME(6), at_zone TIMESTAMP(6) NULL) DEFAULT CHARSET = utf8mb4;
    SET time_zone = '+01:00';
    INSERT INTO ${TYPES} VALUES (1, NULL, 'Zoë — 😀 日本語 "quoted" \\'single\\' \\\\ back', 9007199254740993, 42, -9223372036854775808,
      12345678901234567890.123456789, 1.5, TRUE, '2024-02-29', '2024-02-29 13:45:56.789123', '2024-02-29 14:45:56.789123');
    CREATE TABLE ${WIDE} (id BIGINT UNSIGNED, bits BIT(1), flags BIT(8), payload JSON, raw VARBINARY(4), zero_day DATETIME, kind ENUM('a','b'), y YEAR);
    INSERT INTO ${WIDE} VALUES (18446744073709551615, b'1', b'00000101', '{"k":[1,2]}', X'00ff', '0000-00-00 00:00:00', 'b', 2024);
    CREATE VIEW ${VIEW} AS SELECT id, name FROM ${PEOPLE};
  `);
}

async function dropAll(): Promise<void> {
  await admin(`DROP VIEW IF EXISTS ${VIEW}; DROP TABLE IF EXISTS ${PEOPLE}, ${TYPES}, ${WIDE};
    DROP USER IF EXISTS '${PW_USER}'@'%', '${PW_USER}'@'localhost', '${RESTRICTED}'@'%', '${RESTRICTED}'@'localhost'`);
}

let ready: Promise<void> | null = null;
const ensureTables = () =>
  (ready ??= (async () => {
    await setupTables();
    for (const host of ['%', 'localhost']) {
      await admin(`CREATE USER '${PW_USER}'@'${host}' IDENTIFIED BY 'right-password'`);
      await admin(`GRANT SELECT ON test.* TO '${PW_USER}'@'${host}'`);
      await admin(`CREATE USER '${RESTRICTED}'@'${host}' IDENTIFIED BY 'ro-password'`);
      await admin(`GRANT SELECT ON test.${TYPES} TO '${RESTRICTED}'@'${host}'`);
    }
  })());

describeSourceKit({
  name: 'mysql (MariaDB)',
  connector: mysqlSource,
  async setup(): Promise<SourceEnv> {
    await ensureTables();
    return {
      credentials: { password: '' },
      config: config(),
      admin: (sql) => admin(sql),
      peopleTable: { schema: 'test', name: PEOPLE },
      people: PEOPLE,
      teardown: async () => {},
    };
  },
  badCredentials: () => ({
    credentials: { password: 'wrong-password' },
    config: config({ user: PW_USER }),
    field: 'password',
    code: 'auth',
    mentions: [`user "${PW_USER}"`, 'user and password fields'],
  }),
  unreachable: () => ({
    credentials: { password: '' },
    config: config({ port: 1 }),
    field: 'host',
    code: 'network',
    mentions: [`${HOST}:1`, 'host and port'],
  }),
  missingDatabase: () => ({
    credentials: { password: '' },
    config: config({ database: 'bf_no_such_db' }),
    field: 'database',
    code: 'config',
    mentions: ['database "bf_no_such_db" does not exist', 'database field'],
  }),
  async restrictedUser() {
    return {
      credentials: { password: 'ro-password' },
      config: config({ user: RESTRICTED }),
      mentions: [`GRANT SELECT ON test.${PEOPLE} TO '${RESTRICTED}'`],
    };
  },
  sql: {
    peopleTypes: { id: 'integer', name: 'string', score: 'number', active: 'boolean', created_at: 'timestamp' },
    slow: (s) => `SELECT SLEEP(${s}) AS s, 1 AS x`,
    generate: (n) => `SELECT seq AS n, CONCAT(REPEAT('x', 1000), seq) AS pad FROM seq_1_to_${n}`,
    roundTrip: `SELECT * FROM ${TYPES}`,
    syntaxError: { sql: 'SELECT id\nFROM WHERE x', mentions: ["syntax error: near 'WHERE x' at line 2"] },
    hiddenWrite: (people) => `SELECT id FROM ${people} INTO OUTFILE '/tmp/${P}.txt'`,
  },
});

describe('mysql source — specifics', () => {
  const ctx = (over: Partial<TMySqlConfig> = {}) => testContext({ credentials: { password: '' }, config: config(over), name: 'my specifics' });
  const readAll = async (sql: string) => {
    const rows: SourceRow[] = [];
    for await (const b of mysqlSource.read(sql, ctx())) rows.push(...b);
    return rows;
  };

  beforeAll(async () => {
    await ensureTables();
  });
  afterAll(async () => {
    await dropAll();
  });

  it('is registered, and declares the mysql dialect with SQL hashing', () => {
    expect(findConnector('mysql')).toBe(mysqlSource);
    expect(mysqlSource.capabilities).toEqual({ dialect: 'mysql', sqlHash: true });
    expect(Object.keys(mysqlSource.credentialsSchema.parse({}) as object)).toEqual(['password']);
  });

  it('a query that fails while its rows stream fails the read, after the rows before the failure', async () => {
    // Rows cut short must never pass for a whole result: a mirror sync would take the rest for deleted rows.
    let rows = 0;
    await expect(
      (async () => {
        for await (const b of mysqlSource.read('SELECT IF(seq = 150000, (SELECT 1 UNION SELECT 2), seq) AS l FROM seq_1_to_300000', ctx(), { batchSize: 10_000 })) rows += b.length;
      })(),
    ).rejects.toThrow(/Subquery returns more than 1 row/);
    expect(rows).toBeLessThan(150_000);
  });

  it('test() reports the server and user', async () => {
    const r = await mysqlSource.test(ctx());
    expect(r.ok && r.message).toMatch(/^connected to MariaDB \d+\.\d+\.\d+ as root@/);
  });

  it('connects with a password', async () => {
    const r = await mysqlSource.test(testContext({ credentials: { password: 'right-password' }, config: config({ user: PW_USER }), name: 'pw' }));
    expect(r).toMatchObject({ ok: true });
  });

  it('discover() lists views, JSON, BIT and binary columns', async () => {
    const { tables } = await mysqlSource.discover(ctx());
    const view = tables.find((t) => t.name === VIEW);
    expect(view?.kind).toBe('view');
    expect(view?.columns.map((c) => c.name)).toEqual(['id', 'name']);
    const wide = tables.find((t) => t.name === WIDE);
    expect(wide?.columns.map((c) => [c.name, c.type])).toEqual([
      ['id', 'integer'],
      ['bits', 'boolean'],
      ['flags', 'integer'],
      // MariaDB's JSON is LONGTEXT with a json_valid() check; MySQL reports json.
      ['payload', wide?.columns[3]?.nativeType === 'json' ? 'json' : 'string'],
      ['raw', 'string'],
      ['zero_day', 'timestamp'],
      ['kind', 'string'],
      ['y', 'integer'],
    ]);
  });

  it('reads unsigned BIGINT, BIT, JSON, binary, zero dates, ENUM and YEAR as JSON-safe values', async () => {
    const rows = await readAll(`SELECT * FROM ${WIDE}`);
    expect(rows).toEqual([{ id: '18446744073709551615', bits: true, flags: 5, payload: expect.anything(), raw: '\\x00ff', zero_day: null, kind: 'b', y: 2024 }]);
    const payload = rows[0]?.payload;
    expect(typeof payload === 'string' ? JSON.parse(payload) : payload).toEqual({ k: [1, 2] });
  });

  it('describe() reports types from the prepared statement, without running it', async () => {
    const cols = await mysqlSource.describe(`SELECT w.id, bits, raw, kind, score, active, NOW(6) AS now6 FROM ${WIDE} w JOIN ${PEOPLE} p ON TRUE`, ctx());
    expect(cols.map((c) => [c.name, c.nativeType, c.type])).toEqual([
      ['id', 'bigint', 'integer'],
      ['bits', 'bit(1)', 'boolean'],
      ['raw', 'varbinary', 'string'],
      ['kind', 'enum', 'string'],
      ['score', 'decimal', 'number'],
      ['active', 'tinyint(1)', 'boolean'],
      ['now6', 'datetime', 'timestamp'],
    ]);
  });

  it('refuses duplicate column names, which would silently lose a value per row', async () => {
    await expect(mysqlSource.describe('SELECT 1 AS a, 2 AS a', ctx())).rejects.toThrow(/two columns named "a"/);
  });

  it('refuses SELECT … INTO, DDL and statements hidden in executable comments', async () => {
    for (const [sql, pattern] of [
      ['SELECT 1 INTO @x', /SELECT … INTO/],
      [`CREATE TABLE ${P}_x AS SELECT 1`, /starts with CREATE/],
      [`SELECT 1 /*!; DROP TABLE ${PEOPLE} */`, /several SQL statements/],
      [`SET @a = 1`, /starts with SET/],
    ] as const) {
      const err = await readAll(sql).catch((e: unknown) => e);
      expect(isConnectorError(err) && err.message, sql).toMatch(pattern);
    }
    expect(await admin(`SELECT COUNT(*) AS c FROM ${PEOPLE}`)).toEqual([{ c: PEOPLE_ROWS }]);
  });

  it('the read-only transaction refuses a write made by a function the SELECT calls', async () => {
    await admin(`CREATE FUNCTION ${P}_fn() RETURNS INT MODIFIES SQL DATA BEGIN DELETE FROM ${PEOPLE}; RETURN 1; END`);
    try {
      const err = await readAll(`SELECT ${P}_fn() AS f`).catch((e: unknown) => e);
      expect(isConnectorError(err) && err.message).toContain('only SELECT queries can be used as a source; the server refused');
      expect(await admin(`SELECT COUNT(*) AS c FROM ${PEOPLE}`)).toEqual([{ c: PEOPLE_ROWS }]);
    } finally {
      await admin(`DROP FUNCTION IF EXISTS ${P}_fn`);
    }
  });

  it('the lexer keeps strings, identifiers and comments apart from statements', () => {
    const parts = splitMySql("SELECT 'a;b', \"c;\\\"d\", `e;f` -- g;\n # h;\n /* i; */ FROM t; ;\n  -- only a comment");
    expect(parts).toHaveLength(1);
    expect(parts[0]?.words).toEqual(['SELECT', 'FROM', 'T']);
    expect(splitMySql('SELECT 1--1;SELECT 2')).toHaveLength(2); // "--1" is not a comment in MySQL
    expect(mysqlFieldType('tinyint', 'tinyint(1)')).toBe('boolean');
    expect(mysqlFieldType('tinyint', 'tinyint(4)')).toBe('integer');
    expect(describeColumn({ name: 'b', columnType: 252, columnLength: 65535, flags: 144, characterSet: 63 })).toEqual({ nativeType: 'blob', type: 'string' });
  });

  it('SSL required against a server without TLS names the ssl field', async () => {
    const have = await admin("SHOW VARIABLES LIKE 'have_ssl'");
    const err = await mysqlSource.discover(ctx({ ssl: 'require' })).catch((e: unknown) => e);
    if (have[0]?.Value === 'YES') {
      expect(err).toMatchObject({ tables: expect.any(Array) });
    } else {
      expect(isConnectorError(err) && err.field).toBe('ssl');
      expect(isConnectorError(err) && err.message).toContain('set SSL to "disable"');
    }
  });
});
