/**
 * Snowflake source (snowflake-sdk): password or key-pair login, one session per
 * call, results streamed from the result chunks (streamResult + streamRows).
 *
 * Read-only: Snowflake has no read-only transaction, so the first line of
 * defence is the role (see README: give Backflow a role with SELECT only). On
 * top of it every query must be
 *   - one statement (lexed here; MULTI_STATEMENT_COUNT=1 on the server), that
 *   - starts with SELECT or WITH, and that
 *   - compiles as a subquery: `SELECT * FROM (<query>)` is sent describe-only
 *     (compiled, never run), which only a query survives; it also yields the
 *     columns for describe().
 * The statement timeout is STATEMENT_TIMEOUT_IN_SECONDS, set on the session.
 *
 * The driver is loaded on first use: it is large, and most Backflow processes
 * never talk to Snowflake.
 */
import type { Readable } from 'node:stream';
import type { Column, Connection, ConnectionOptions, RowStatement } from 'snowflake-sdk';
import { z } from 'zod';
import { defineConnector } from '../../sdk/define';
import { ConnectorError, type ColumnDescriptor, type ConnectorContext, type SourceRow, type TableDescriptor } from '../../sdk/types';
import { snowflakeError, type SnowflakeErrorScope } from './errors';
import { ZSnowflakeConfig, ZSnowflakeCredentials, type TSnowflakeConfig, type TSnowflakeCredentials } from './schema';
import { READ_KEYWORDS, splitSnowflake } from './statement';
import { snowflakeFieldType, valueConverter } from './types';

const DEFAULT_BATCH = 10_000;
const METADATA_TIMEOUT_SECONDS = 120;
/** Extra wait past the server-side statement timeout before Backflow cancels the statement itself. */
const CLIENT_GRACE_MS = 15_000;

type Ctx = ConnectorContext<TSnowflakeCredentials, TSnowflakeConfig>;

function scopeOf(ctx: Ctx, extra: Partial<SnowflakeErrorScope> = {}): SnowflakeErrorScope {
  return { connectionName: ctx.connectionName, config: ctx.config, keyPair: ctx.credentials.privateKey !== undefined, ...extra };
}

function fail(ctx: Ctx, cause: string, fix: string, code: 'bad_request' | 'timeout' | 'config' | 'network' = 'bad_request', opts: { retryable?: boolean; field?: string } = {}): ConnectorError {
  return new ConnectorError(`Snowflake connection "${ctx.connectionName}": ${cause} — fix: ${fix}`, {
    code,
    retryable: opts.retryable ?? false,
    applied: 'no',
    ...(opts.field ? { field: opts.field } : {}),
  });
}

/** The one query to run, or a clear refusal. */
function singleQuery(ctx: Ctx, sql: string): string {
  const statements = splitSnowflake(sql);
  const only = statements[0];
  if (!only) throw fail(ctx, 'the query is empty', 'write a SELECT statement');
  if (statements.length > 1) {
    throw fail(ctx, `the query contains several SQL statements (${statements.length})`, 'keep a single SELECT statement and remove the others (and the ";" between them)');
  }
  if (!READ_KEYWORDS.has(only.firstKeyword)) {
    throw fail(ctx, `only SELECT queries can be used as a source, and this statement starts with ${only.firstKeyword || 'no keyword'}`, 'write a SELECT (or WITH … SELECT) that only reads data — Backflow never writes to a source');
  }
  return only.text.trim();
}

// ───────────────────────────── driver ─────────────────────────────

let sdkPromise: Promise<typeof import('snowflake-sdk')> | null = null;

function loadSdk(): Promise<typeof import('snowflake-sdk')> {
  sdkPromise ??= import('snowflake-sdk').then((mod) => {
    const sdk = 'default' in mod && mod.default ? mod.default : mod;
    // By default the driver writes snowflake.log into the working directory; every
    // failure reaches the caller as a ConnectorError anyway, so its log is dropped.
    const drop = () => {};
    sdk.configure({ logLevel: 'ERROR', customLogger: { error: drop, warn: drop, info: drop, debug: drop, trace: drop } });
    return sdk;
  });
  return sdkPromise;
}

function connectionOptions(ctx: Ctx): ConnectionOptions {
  const c = ctx.config;
  const cr = ctx.credentials;
  return {
    account: c.account,
    username: c.user,
    warehouse: c.warehouse,
    database: c.database,
    ...(c.schema ? { schema: c.schema } : {}),
    ...(c.role ? { role: c.role } : {}),
    ...(c.accessUrl ? { accessUrl: c.accessUrl } : {}),
    ...(cr.privateKey
      ? { authenticator: 'SNOWFLAKE_JWT', privateKey: cr.privateKey, ...(cr.privateKeyPassphrase ? { privateKeyPass: cr.privateKeyPassphrase } : {}) }
      : { password: cr.password ?? '' }),
    application: 'Backflow',
    timeout: c.loginTimeoutSeconds * 1000,
    sfRetryMaxLoginRetries: 1,
    clientSessionKeepAlive: false,
    fetchAsString: ['Number'],
    rowMode: 'array',
  };
}

async function connect(ctx: Ctx, statementTimeoutSeconds: number): Promise<Connection> {
  const sdk = await loadSdk();
  const conn = sdk.createConnection(connectionOptions(ctx));
  try {
    // connectAsync resolves even when the login fails; the callback carries the error.
    await new Promise<void>((resolve, reject) => {
      conn.connectAsync((err) => (err ? reject(err) : resolve())).catch(reject);
    });
    await run(conn, { sqlText: `ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = ${Math.max(1, Math.round(statementTimeoutSeconds))}` });
    return conn;
  } catch (err) {
    await destroy(conn);
    throw snowflakeError(err, scopeOf(ctx));
  }
}

/** Ends the session on the server (best effort, bounded). */
async function destroy(conn: Connection): Promise<void> {
  if (!conn.isUp()) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5_000);
    try {
      conn.destroy(() => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

type Executed = { statement: RowStatement; rows: unknown[] };

function run(conn: Connection, opts: { sqlText: string; binds?: string[]; describeOnly?: boolean }): Promise<Executed> {
  return new Promise((resolve, reject) => {
    conn.execute({
      ...opts,
      parameters: { MULTI_STATEMENT_COUNT: 1 },
      complete: (err, statement, rows) => (err ? reject(err) : resolve({ statement, rows: rows ?? [] })),
    });
  });
}

async function withConnection<T>(ctx: Ctx, fn: (conn: Connection) => Promise<T>, scope: Partial<SnowflakeErrorScope> = {}): Promise<T> {
  const conn = await connect(ctx, METADATA_TIMEOUT_SECONDS);
  try {
    return await fn(conn);
  } catch (err) {
    throw snowflakeError(err, scopeOf(ctx, scope));
  } finally {
    await destroy(conn);
  }
}

// ───────────────────────────── compile check ─────────────────────────────

const WRAP_PREFIX = 'SELECT * FROM (\n';

/** Compiles `query` as a subquery without running it; only a query survives. Returns its columns. */
async function compileQuery(ctx: Ctx, conn: Connection, query: string): Promise<Column[]> {
  let executed: Executed;
  try {
    executed = await run(conn, { sqlText: `${WRAP_PREFIX}${query}\n)`, describeOnly: true });
  } catch (err) {
    // Positions in the message count from the user's SQL, not from the wrapper.
    throw snowflakeError(err, scopeOf(ctx, { lineOffset: 1 }));
  }
  const columns = executed.statement.getColumns() ?? [];
  if (columns.length === 0) throw fail(ctx, 'only SELECT queries can be used as a source, and this statement returns no rows', 'write a SELECT that only reads data');
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.getName())) throw fail(ctx, `the query returns two columns named "${c.getName()}"`, `give one of them another name (… AS "${c.getName()}_2")`);
    seen.add(c.getName());
  }
  return columns;
}

// ───────────────────────────── discover ─────────────────────────────

const ZCatalogRow = z.tuple([z.string(), z.string(), z.string(), z.string(), z.string(), z.union([z.string(), z.number(), z.null()]), z.string()]);

function isArrayRow(v: unknown): v is unknown[] {
  return Array.isArray(v);
}

// ───────────────────────────── the connector ─────────────────────────────

export const snowflakeSource = defineConnector({
  slug: 'snowflake',
  kind: 'source',
  displayName: 'Snowflake',
  icon: '❄️',
  description: 'A Snowflake warehouse, read with a read-only role through streamed result chunks.',
  credentialsSchema: ZSnowflakeCredentials,
  configSchema: ZSnowflakeConfig,
  // The engine's SQL content hash is not validated against Snowflake: rows are hashed in Node.
  capabilities: { dialect: 'snowflake', sqlHash: false },

  async test(ctx) {
    try {
      const info = await withConnection(ctx, async (conn) => {
        const { rows } = await run(conn, {
          sqlText: 'SELECT CURRENT_VERSION() AS VERSION, CURRENT_USER() AS "USER", CURRENT_ROLE() AS ROLE, CURRENT_WAREHOUSE() AS WAREHOUSE, CURRENT_DATABASE() AS "DATABASE"',
        });
        const row = rows[0];
        return z.tuple([z.string(), z.string(), z.string().nullable(), z.string().nullable(), z.string().nullable()]).parse(row);
      });
      const [version, user, role, warehouse, database] = info;
      if (!warehouse) {
        const e = fail(ctx, `warehouse "${ctx.config.warehouse}" does not exist or is not granted to role ${role ?? '(none)'}`, 'correct the warehouse field, or GRANT USAGE ON WAREHOUSE … TO ROLE …', 'config', { field: 'warehouse' });
        return { ok: false, message: e.message, code: e.code };
      }
      if (!database) {
        const e = fail(ctx, `database "${ctx.config.database}" does not exist or is not granted to role ${role ?? '(none)'}`, 'correct the database field, or GRANT USAGE ON DATABASE … TO ROLE …', 'config', { field: 'database' });
        return { ok: false, message: e.message, code: e.code };
      }
      return { ok: true, message: `connected to Snowflake ${version} as ${user} (role ${role ?? '—'}, warehouse ${warehouse}, database ${database})` };
    } catch (err) {
      const e = snowflakeError(err, scopeOf(ctx));
      return { ok: false, message: e.message, code: e.code };
    }
  },

  async discover(ctx) {
    const db = ctx.config.database;
    const schemas = ctx.config.schemas;
    return withConnection(ctx, async (conn) => {
      const filter = schemas.length ? ` AND c.TABLE_SCHEMA IN (${schemas.map(() => '?').join(', ')})` : '';
      const { rows } = await run(conn, {
        sqlText: `SELECT c.TABLE_SCHEMA, c.TABLE_NAME, t.TABLE_TYPE, c.COLUMN_NAME, c.DATA_TYPE, c.NUMERIC_SCALE, c.IS_NULLABLE
          FROM IDENTIFIER(?) c JOIN IDENTIFIER(?) t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
          WHERE c.TABLE_SCHEMA <> 'INFORMATION_SCHEMA'${filter}
          ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION`,
        binds: [`${db}.INFORMATION_SCHEMA.COLUMNS`, `${db}.INFORMATION_SCHEMA.TABLES`, ...schemas],
      });
      const tables = new Map<string, TableDescriptor>();
      for (const raw of rows) {
        // A row of another shape fails the listing (zod names it) rather than dropping a column from it.
        const [schema, name, tableType, column, dataType, scale, nullable] = ZCatalogRow.parse(raw);
        const key = `${schema}\u0000${name}`;
        let t = tables.get(key);
        if (!t) {
          t = { schema, name, kind: /VIEW/i.test(tableType) ? 'view' : 'table', columns: [] };
          tables.set(key, t);
        }
        const numericScale = scale === null ? null : Number(scale);
        const nativeType = dataType === 'NUMBER' && numericScale !== null ? `NUMBER(38,${numericScale})` : dataType;
        t.columns.push({ name: column, nativeType, type: snowflakeFieldType(dataType, numericScale), nullable: nullable === 'YES' });
      }
      return { tables: [...tables.values()] };
    });
  },

  async describe(sql, ctx) {
    const query = singleQuery(ctx, sql);
    return withConnection(
      ctx,
      async (conn) => {
        const columns = await compileQuery(ctx, conn, query);
        return columns.map(
          (c): ColumnDescriptor => ({
            name: c.getName(),
            nativeType: c.getType() === 'fixed' ? `NUMBER(${c.getPrecision()},${c.getScale()})` : c.getType().toUpperCase(),
            type: snowflakeFieldType(c.getType(), c.getScale()),
            nullable: c.isNullable(),
          }),
        );
      },
      { lineOffset: 1 },
    );
  },

  async *read(sql, ctx, opts = {}) {
    const query = singleQuery(ctx, sql);
    const batchSize = opts.batchSize ?? DEFAULT_BATCH;
    const timeoutMs = opts.timeoutMs ?? ctx.config.statementTimeoutSeconds * 1000;
    const signal = opts.signal ?? ctx.signal;
    if (signal.aborted) throw fail(ctx, 'the read was cancelled before it started', 'start the run again', 'timeout', { retryable: true });
    const conn = await connect(ctx, Math.ceil(timeoutMs / 1000));
    let statement: RowStatement | null = null;
    let stream: Readable | null = null;
    let cancelled = false;
    let timedOut = false;
    const cancel = () => {
      try {
        statement?.cancel(() => {});
      } catch {
        // Already finished.
      }
      stream?.destroy();
    };
    const onAbort = () => {
      cancelled = true;
      cancel();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const backstop = setTimeout(() => {
      timedOut = true;
      cancel();
    }, timeoutMs + CLIENT_GRACE_MS);
    try {
      await compileQuery(ctx, conn, query);
      const started = await new Promise<RowStatement>((resolve, reject) => {
        statement = conn.execute({
          sqlText: query,
          streamResult: true,
          parameters: { MULTI_STATEMENT_COUNT: 1 },
          complete: (err, s) => (err ? reject(err) : resolve(s)),
        });
      });
      const columns = started.getColumns() ?? [];
      const names = columns.map((c) => c.getName());
      const convert = columns.map((c) => valueConverter(c.getType(), c.getScale()));
      const rows = started.streamRows();
      stream = rows;
      let batch: SourceRow[] = [];
      let read = 0;
      for await (const raw of rows) {
        if (!isArrayRow(raw)) throw fail(ctx, `the driver returned row ${read + 1} in an unexpected shape (${typeof raw})`, 'this is a bug in Backflow or the driver; report it', 'bad_request');
        read++;
        const row: SourceRow = {};
        for (let i = 0; i < names.length; i++) row[names[i] ?? `column_${i}`] = (convert[i] ?? ((v: unknown) => v))(raw[i] ?? null);
        batch.push(row);
        if (batch.length === batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
      stream = null;
      // The driver fetches a large result in chunks from cloud storage, and a
      // chunk that holds fewer rows than Snowflake said ends its part of the
      // stream early without an error. Rows missing from a result look deleted
      // to the engine, so the count must be the one Snowflake gave.
      const expected = started.getNumRows();
      if (typeof expected === 'number' && read !== expected) {
        throw fail(ctx, `the result ended after ${read} of its ${expected} rows (a result chunk came back short); none of it was used`, 'run it again; if it happens again, check the network path to Snowflake\'s result storage (proxies, firewalls)', 'network', { retryable: true });
      }
    } catch (err) {
      if (cancelled) throw fail(ctx, 'the read was cancelled', 'start the run again', 'timeout', { retryable: true });
      if (timedOut) throw fail(ctx, `the query was cancelled after ${Math.round(timeoutMs / 1000)} s (statement timeout)`, 'make the query cheaper, use a bigger warehouse, or raise the statement timeout', 'timeout');
      throw snowflakeError(err, scopeOf(ctx, { timeoutMs }));
    } finally {
      clearTimeout(backstop);
      signal.removeEventListener('abort', onAbort);
      // Stopped early: stop the statement too, so the warehouse does not keep working.
      if (stream) cancel();
      await destroy(conn);
    }
  },
});
