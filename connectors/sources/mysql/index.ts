/**
 * MySQL / MariaDB source: streams one read-only SELECT, row by row, from the
 * server (mysql2 query streams: the socket is paused while Backflow is busy, so
 * memory stays flat).
 *
 * Each call opens its own connection (multipleStatements off), sets the session
 * to UTC and a statement timeout — max_statement_time on MariaDB,
 * max_execution_time on MySQL, chosen from VERSION() — and runs inside
 * START TRANSACTION READ ONLY, rolled back at the end.
 *
 * Before anything runs, the text is lexed (./statement.ts): one statement, a
 * query keyword, and no SELECT … INTO (which writes a file or variables even in
 * a read-only transaction). Then the server prepares it (COM_STMT_PREPARE),
 * which checks it and returns its columns without executing it; describe()
 * stops there.
 */
import type { Readable } from 'node:stream';
import mysql from 'mysql2';
import type mysqlPromise from 'mysql2/promise';
import { z } from 'zod';
import { defineConnector } from '../../sdk/define';
import { ConnectorError, type ColumnDescriptor, type ConnectorContext, type SourceRow, type TableDescriptor } from '../../sdk/types';
import { mysqlError, type MySqlErrorScope } from './errors';
import { ZMySqlConfig, ZMySqlCredentials, type TMySqlConfig, type TMySqlCredentials } from './schema';
import { firstKeyword, READ_KEYWORDS, splitMySql } from './statement';
import { describeColumn, mysqlFieldType, typeCast, type ColumnPacket } from './types';

const PRODUCT = 'MySQL';
const DEFAULT_BATCH = 10_000;
const METADATA_TIMEOUT_MS = 60_000;

type Ctx = ConnectorContext<TMySqlCredentials, TMySqlConfig>;

function scopeOf(ctx: Ctx, extra: Partial<MySqlErrorScope> = {}): MySqlErrorScope {
  return { product: PRODUCT, connectionName: ctx.connectionName, config: ctx.config, ...extra };
}

function fail(ctx: Ctx, cause: string, fix: string, code: 'bad_request' | 'timeout' = 'bad_request', retryable = false): ConnectorError {
  return new ConnectorError(`${PRODUCT} connection "${ctx.connectionName}": ${cause} — fix: ${fix}`, { code, retryable, applied: 'no' });
}

/** The one statement to run, or a clear refusal. */
function singleQuery(ctx: Ctx, sql: string): string {
  const statements = splitMySql(sql);
  const only = statements[0];
  if (!only) throw fail(ctx, 'the query is empty', 'write a SELECT statement');
  if (statements.length > 1) {
    throw fail(ctx, `the query contains several SQL statements (${statements.length})`, 'keep a single SELECT statement and remove the others (and the ";" between them)');
  }
  const keyword = firstKeyword(only);
  if (!READ_KEYWORDS.has(keyword)) {
    throw fail(ctx, `only SELECT queries can be used as a source, and this statement starts with ${keyword || 'no keyword'}`, 'write a SELECT that only reads data — Backflow never writes to a source');
  }
  if (only.words.includes('INTO')) {
    throw fail(ctx, 'only SELECT queries can be used as a source, and SELECT … INTO writes to a file or to variables', 'remove the INTO clause');
  }
  return only.text;
}

function connectionOptions(ctx: Ctx): mysql.ConnectionOptions {
  const c = ctx.config;
  return {
    host: c.host,
    port: c.port,
    user: c.user,
    password: ctx.credentials.password,
    database: c.database,
    connectTimeout: c.connectTimeoutSeconds * 1000,
    multipleStatements: false,
    charset: 'utf8mb4',
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: false,
    dateStrings: true,
    typeCast,
    ...(c.ssl === 'disable' ? {} : { ssl: c.ssl === 'require' ? { rejectUnauthorized: false } : { rejectUnauthorized: true, ...(c.sslCa ? { ca: c.sslCa } : {}) } }),
  };
}

// ───────────────────────────── sessions ─────────────────────────────

/** `raw` streams and prepares (callback API); `conn` is its promise view for plain queries. */
type Session = { raw: mysql.Connection; conn: mysqlPromise.Connection; threadId: number; mariadb: boolean; version: string; user: string };

const ZHello = z.object({ version: z.string(), id: z.coerce.number().int(), user: z.string() });

async function openSession(ctx: Ctx, timeoutMs: number, opts: { transaction?: boolean } = {}): Promise<Session> {
  const raw = mysql.createConnection(connectionOptions(ctx));
  // A dropped socket while idle must not crash the process; the next call reports it.
  raw.on('error', (err: Error) => ctx.log.warn(`${PRODUCT} connection error: ${err.message}`));
  const conn = raw.promise();
  try {
    await conn.connect();
    const [rows] = await conn.query('SELECT VERSION() AS version, CONNECTION_ID() AS id, CURRENT_USER() AS user');
    const hello = ZHello.parse(Array.isArray(rows) ? rows[0] : undefined);
    const mariadb = /mariadb/i.test(hello.version);
    // MariaDB counts seconds (a decimal), MySQL milliseconds (SELECT only, which is all we run).
    if (mariadb) await conn.query("SET SESSION time_zone = '+00:00', SESSION max_statement_time = ?", [Math.max(0.001, timeoutMs / 1000)]);
    else await conn.query("SET SESSION time_zone = '+00:00', SESSION max_execution_time = ?", [Math.max(1, Math.round(timeoutMs))]);
    if (opts.transaction !== false) await conn.query('START TRANSACTION READ ONLY');
    return { raw, conn, threadId: hello.id, mariadb, version: hello.version, user: hello.user };
  } catch (err) {
    raw.destroy();
    throw mysqlError(err, scopeOf(ctx));
  }
}

async function closeSession(s: Session): Promise<void> {
  try {
    await s.conn.query('ROLLBACK');
    await s.conn.end();
  } catch {
    s.conn.destroy();
  }
}

async function withSession<T>(ctx: Ctx, timeoutMs: number, fn: (s: Session) => Promise<T>): Promise<T> {
  const s = await openSession(ctx, timeoutMs);
  try {
    return await fn(s);
  } catch (err) {
    throw mysqlError(err, scopeOf(ctx, { timeoutMs }));
  } finally {
    await closeSession(s);
  }
}

/** Stops a running statement from a second connection (the first is busy streaming). */
async function killQuery(ctx: Ctx, threadId: number): Promise<void> {
  const s = await openSession(ctx, 10_000, { transaction: false }).catch(() => null);
  if (!s) return;
  await s.conn.query('KILL QUERY ?', [threadId]).catch(() => {});
  s.conn.destroy();
}

// ───────────────────────────── describe ─────────────────────────────

const ZPrepared = z.object({
  columns: z
    .array(z.object({ name: z.string(), columnType: z.number(), columnLength: z.number(), flags: z.number(), characterSet: z.number() }))
    .optional(),
});

/** COM_STMT_PREPARE: the server parses and checks the statement and returns its columns; nothing runs. */
function prepareColumns(conn: mysql.Connection, sql: string): Promise<ColumnPacket[]> {
  return new Promise((resolve, reject) => {
    conn.prepare(sql, (err, statement) => {
      if (err) return reject(err);
      const parsed = ZPrepared.safeParse(statement);
      statement.close();
      if (!parsed.success) return reject(new Error(`unexpected prepared statement metadata: ${parsed.error.message}`));
      resolve(parsed.data.columns ?? []);
    });
  });
}

async function checkedColumns(ctx: Ctx, s: Session, sql: string): Promise<ColumnPacket[]> {
  const columns = await prepareColumns(s.raw, sql);
  if (columns.length === 0) throw fail(ctx, 'only SELECT queries can be used as a source, and this statement returns no rows', 'write a SELECT that only reads data');
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name)) throw fail(ctx, `the query returns two columns named "${c.name}"`, `give one of them another name (… AS \`${c.name}_2\`)`);
    seen.add(c.name);
  }
  return columns;
}

// ───────────────────────────── discover ─────────────────────────────

const ZCatalogRow = z.object({
  table_schema: z.string(),
  table_name: z.string(),
  table_type: z.string(),
  column_name: z.string(),
  data_type: z.string(),
  column_type: z.string(),
  is_nullable: z.string(),
});

function isRow(v: unknown): v is SourceRow {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ───────────────────────────── the connector ─────────────────────────────

export const mysqlSource = defineConnector({
  slug: 'mysql',
  kind: 'source',
  displayName: 'MySQL / MariaDB',
  icon: '🐬',
  description: 'A MySQL or MariaDB database, read through a read-only transaction and a streamed result.',
  credentialsSchema: ZMySqlCredentials,
  configSchema: ZMySqlConfig,
  capabilities: { dialect: 'mysql', sqlHash: true },

  async test(ctx) {
    try {
      const info = await withSession(ctx, METADATA_TIMEOUT_MS, async (s) => ({ version: s.version, user: s.user, mariadb: s.mariadb }));
      return { ok: true, message: `connected to ${info.mariadb ? 'MariaDB' : 'MySQL'} ${info.version.split('-')[0]} as ${info.user}, database ${ctx.config.database} (read-only transaction)` };
    } catch (err) {
      const e = mysqlError(err, scopeOf(ctx));
      return { ok: false, message: e.message, code: e.code };
    }
  },

  async discover(ctx) {
    const databases = [...new Set([ctx.config.database, ...ctx.config.schemas])];
    return withSession(ctx, METADATA_TIMEOUT_MS, async (s) => {
      const [rows] = await s.conn.query(
        `SELECT c.TABLE_SCHEMA AS table_schema, c.TABLE_NAME AS table_name, t.TABLE_TYPE AS table_type, c.COLUMN_NAME AS column_name,
                c.DATA_TYPE AS data_type, c.COLUMN_TYPE AS column_type, c.IS_NULLABLE AS is_nullable
         FROM information_schema.COLUMNS c
         JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
         WHERE c.TABLE_SCHEMA IN (?)
         ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION`,
        [databases],
      );
      const tables = new Map<string, TableDescriptor>();
      for (const raw of Array.isArray(rows) ? rows : []) {
        const r = ZCatalogRow.parse(raw);
        const key = `${r.table_schema}\u0000${r.table_name}`;
        let t = tables.get(key);
        if (!t) {
          t = { schema: r.table_schema, name: r.table_name, kind: /VIEW/i.test(r.table_type) ? 'view' : 'table', columns: [] };
          tables.set(key, t);
        }
        t.columns.push({ name: r.column_name, nativeType: r.column_type, type: mysqlFieldType(r.data_type, r.column_type), nullable: r.is_nullable === 'YES' });
      }
      return { tables: [...tables.values()] };
    });
  },

  async describe(sql, ctx) {
    const statement = singleQuery(ctx, sql);
    return withSession(ctx, METADATA_TIMEOUT_MS, async (s) => {
      const columns = await checkedColumns(ctx, s, statement);
      return columns.map((c): ColumnDescriptor => ({ name: c.name, ...describeColumn(c) }));
    });
  },

  async *read(sql, ctx, opts = {}) {
    const statement = singleQuery(ctx, sql);
    const batchSize = opts.batchSize ?? DEFAULT_BATCH;
    const timeoutMs = opts.timeoutMs ?? ctx.config.statementTimeoutSeconds * 1000;
    const signal = opts.signal ?? ctx.signal;
    if (signal.aborted) throw fail(ctx, 'the read was cancelled before it started', 'start the run again', 'timeout', true);
    const session = await openSession(ctx, timeoutMs);
    let cancelled = false;
    let finished = false;
    const onAbort = () => {
      cancelled = true;
      void killQuery(ctx, session.threadId);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let stream: Readable | null = null;
    try {
      await checkedColumns(ctx, session, statement);
      const rows = session.raw.query({ sql: statement, typeCast }).stream({ highWaterMark: Math.min(batchSize, 2000) });
      stream = rows;
      let batch: SourceRow[] = [];
      for await (const row of rows) {
        if (!isRow(row)) continue;
        batch.push(row);
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
      finished = true;
    } catch (err) {
      if (cancelled) throw fail(ctx, 'the read was cancelled', 'start the run again', 'timeout', true);
      throw mysqlError(err, scopeOf(ctx, { timeoutMs }));
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (finished || !stream) {
        await closeSession(session);
      } else {
        // Stopped early (the consumer broke off, or an error): the server may still be sending.
        stream.destroy();
        session.raw.destroy();
        await killQuery(ctx, session.threadId);
      }
    }
  },
});
