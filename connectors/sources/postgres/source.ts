/**
 * The PostgreSQL-protocol source, shared by the `postgres` and `redshift`
 * connectors (they differ in their catalog views and defaults only).
 *
 * Every call opens its own connection and works inside
 *   BEGIN READ ONLY; set_config('statement_timeout', …, true); set_config('timezone', 'UTC', true)
 *   [; set_config('work_mem', PgFlavor.minWorkMem, true) when the server's is lower]
 * and rolls back at the end, so nothing a query does can persist, and settings
 * never leak between calls.
 *
 * One statement, and a query: the first keyword must be SELECT/WITH/VALUES/TABLE;
 * then the statement is Parsed and Described on the server (extended protocol)
 * before it runs: Parse refuses several statements ("cannot insert multiple
 * commands into a prepared statement"), and Describe says whether it returns
 * rows at all. Rows stream through a portal (pg-cursor): the server keeps the
 * result and sends `batchSize` rows per fetch, so memory stays flat.
 */
import pg from 'pg';
import Cursor from 'pg-cursor';
import { to as copyTo } from 'pg-copy-streams';
import { z } from 'zod';
import { defineConnector } from '../../sdk/define';
import { ConnectorError, type ColumnDescriptor, type ConnectorContext, type QueryOptions, type SourceConnector, type SourceRow, type TableDescriptor } from '../../sdk/types';
import { copyTextLines } from './copy-text';
import { pgError, type PgErrorScope } from './errors';
import type { TPostgresConfig, TPostgresCredentials } from './schema';
import { leadingKeyword, READ_KEYWORDS } from './statement';
import { informationSchemaTypeName, pgFieldType, sourceTypes } from './types';

export type PgFlavor = {
  slug: string;
  product: 'PostgreSQL' | 'Redshift';
  displayName: string;
  icon: string;
  description: string;
  configSchema: z.ZodType<TPostgresConfig>;
  credentialsSchema: z.ZodType<TPostgresCredentials>;
  /** Content hashing in SQL (workflows/engine/hash.ts) needs functions Redshift lacks. */
  sqlHash: boolean;
  /** `COPY (query) TO STDOUT`, which Redshift lacks: readText's fast path. */
  copyOut: boolean;
  /**
   * work_mem to read with, when the server's is lower (transaction-local, like
   * the other settings); null where the setting does not exist (Redshift).
   */
  minWorkMem: string | null;
};

type Ctx = ConnectorContext<TPostgresCredentials, TPostgresConfig>;

/** hash_record_extended(), which the engine's row digests use (workflows/engine/sql-dialect.ts), came in PostgreSQL 14. */
export const MIN_HASHING_VERSION_NUM = 140000;

/**
 * Why a server cannot be a source the engine hashes in, or null: the
 * `server_version_num` setting of a PostgreSQL that hashes in SQL.
 */
export function versionProblem(product: PgFlavor['product'], sqlHash: boolean, serverVersionNum: number): string | null {
  if (!sqlHash || serverVersionNum >= MIN_HASHING_VERSION_NUM) return null;
  const major = serverVersionNum >= 100000 ? Math.floor(serverVersionNum / 10000) : `${Math.floor(serverVersionNum / 10000)}.${Math.floor(serverVersionNum / 100) % 100}`;
  return `${product} ${major} is older than 14, and syncs need its hash_record_extended() function — fix: upgrade the server to PostgreSQL 14 or later`;
}

const DEFAULT_BATCH = 10_000;
/** discover/describe/test are metadata calls: they get a short leash. */
const METADATA_TIMEOUT_MS = 60_000;

function scopeOf(flavor: PgFlavor, ctx: Ctx, extra: Partial<PgErrorScope> = {}): PgErrorScope {
  return { product: flavor.product, connectionName: ctx.connectionName, config: ctx.config, ...extra };
}

function fail(flavor: PgFlavor, ctx: Ctx, cause: string, fix: string, code: 'bad_request' | 'timeout' = 'bad_request', retryable = false): ConnectorError {
  return new ConnectorError(`${flavor.product} connection "${ctx.connectionName}": ${cause} — fix: ${fix}`, { code, retryable, applied: 'no' });
}

function sslOption(config: TPostgresConfig): pg.ClientConfig['ssl'] {
  if (config.ssl === 'disable') return false;
  if (config.ssl === 'require') return { rejectUnauthorized: false };
  return { rejectUnauthorized: true, ...(config.sslCa ? { ca: config.sslCa } : {}) };
}

/** Refuses what is obviously not a query before a connection is opened. */
function assertQueryText(flavor: PgFlavor, ctx: Ctx, sql: string): void {
  const keyword = leadingKeyword(sql);
  if (keyword === '') throw fail(flavor, ctx, 'the query is empty', 'write a SELECT statement');
  if (!READ_KEYWORDS.has(keyword)) {
    throw fail(flavor, ctx, `only SELECT queries can be used as a source, and this statement starts with ${keyword}`, 'write a SELECT (or WITH … SELECT) that only reads data — Backflow never writes to a source');
  }
}

// ───────────────────────────── sessions ─────────────────────────────

type Session = { client: pg.Client; pid: number };

const ZSessionRow = z.object({ pid: z.coerce.number().int() });

async function openSession(flavor: PgFlavor, ctx: Ctx, timeoutMs: number): Promise<Session> {
  const c = ctx.config;
  const client = new pg.Client({
    host: c.host,
    port: c.port,
    database: c.database,
    user: c.user,
    password: ctx.credentials.password,
    ssl: sslOption(c),
    connectionTimeoutMillis: c.connectTimeoutSeconds * 1000,
    keepAlive: true,
    application_name: 'backflow',
    types: sourceTypes,
  });
  // A dropped socket while idle must not crash the process; the next call reports it.
  client.on('error', (err) => ctx.log.warn(`${flavor.product} connection error: ${err.message}`));
  try {
    await client.connect();
    await client.query('BEGIN READ ONLY');
    const params = [String(Math.max(1, Math.round(timeoutMs)))];
    let workMem = '';
    if (flavor.minWorkMem !== null) {
      params.push(flavor.minWorkMem);
      workMem = `, CASE WHEN pg_size_bytes(current_setting('work_mem')) < pg_size_bytes($2) THEN set_config('work_mem', $2, true) END AS wm`;
    }
    const res = await client.query(
      `SELECT pg_backend_pid() AS pid, set_config('statement_timeout', $1, true) AS st, set_config('timezone', 'UTC', true) AS tz${workMem}`,
      params,
    );
    return { client, pid: ZSessionRow.parse(res.rows[0]).pid };
  } catch (err) {
    await client.end().catch(() => {});
    throw pgError(err, scopeOf(flavor, ctx));
  }
}

async function closeSession(s: Session): Promise<void> {
  await s.client.query('ROLLBACK').catch(() => {});
  await s.client.end().catch(() => {});
}

async function withSession<T>(flavor: PgFlavor, ctx: Ctx, timeoutMs: number, fn: (s: Session) => Promise<T>, sql?: string): Promise<T> {
  const s = await openSession(flavor, ctx, timeoutMs);
  try {
    return await fn(s);
  } catch (err) {
    throw pgError(err, scopeOf(flavor, ctx, { sql, timeoutMs }));
  } finally {
    await closeSession(s);
  }
}

/**
 * A session for one streaming read, whose statement is cancelled when the
 * read's signal aborts. `failure` maps an error (a cancellation first);
 * `stopWatching` ends the watch on the signal.
 */
async function openRead(flavor: PgFlavor, ctx: Ctx, sql: string, opts: QueryOptions) {
  assertQueryText(flavor, ctx, sql);
  const timeoutMs = opts.timeoutMs ?? ctx.config.statementTimeoutSeconds * 1000;
  const signal = opts.signal ?? ctx.signal;
  if (signal.aborted) throw fail(flavor, ctx, 'the read was cancelled before it started', 'start the run again', 'timeout', true);
  const session = await openSession(flavor, ctx, timeoutMs);
  let cancelled = false;
  const onAbort = () => {
    cancelled = true;
    void cancelBackend(flavor, ctx, session.pid);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  return {
    session,
    failure: (err: unknown): Error =>
      cancelled ? fail(flavor, ctx, 'the read was cancelled', 'start the run again', 'timeout', true) : pgError(err, scopeOf(flavor, ctx, { sql, timeoutMs })),
    stopWatching: () => signal.removeEventListener('abort', onAbort),
  };
}

/** Asks the server to cancel a running statement, from a second connection (the first is busy). */
async function cancelBackend(flavor: PgFlavor, ctx: Ctx, pid: number): Promise<void> {
  const s = await openSession(flavor, ctx, 10_000).catch(() => null);
  if (!s) return;
  await s.client.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => {});
  await closeSession(s);
}

// ───────────────────────────── describe ─────────────────────────────

/**
 * Parse + Describe (statement) + Sync, without Bind/Execute: the server checks
 * the SQL and reports the result columns, but runs nothing.
 */
class DescribeStatement implements pg.Submittable {
  private fields: pg.FieldDef[] | null = null;
  private settle: { resolve: (f: pg.FieldDef[] | null) => void; reject: (e: Error) => void } | null = null;
  readonly done: Promise<pg.FieldDef[] | null>;

  constructor(private readonly text: string) {
    this.done = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  }

  submit(connection: pg.Connection): void {
    connection.parse({ name: '', text: this.text, types: [] }, true);
    connection.describe({ type: 'S', name: '' }, true);
    connection.sync();
  }

  handleRowDescription(msg: { fields: pg.FieldDef[] }): void {
    this.fields = msg.fields;
  }

  // On an error the client drops this query at once (the later ReadyForQuery is not
  // forwarded); the Sync already sent brings the connection back to idle.
  handleError(err: Error): void {
    this.settle?.reject(err);
  }

  handleReadyForQuery(): void {
    this.settle?.resolve(this.fields);
  }

  // Not expected for Parse/Describe; present because the client may call them.
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handleDataRow(): void {}
  handlePortalSuspended(): void {}
}

/** The statement's result columns; refuses statements that return no rows and duplicate names. */
async function describeFields(flavor: PgFlavor, ctx: Ctx, client: pg.Client, sql: string): Promise<pg.FieldDef[]> {
  const fields = await client.query(new DescribeStatement(sql)).done;
  if (!fields) {
    throw fail(flavor, ctx, 'only SELECT queries can be used as a source, and this statement returns no rows', 'write a SELECT (or WITH … SELECT) that only reads data');
  }
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.name)) {
      throw fail(flavor, ctx, `the query returns two columns named "${f.name}"`, `give one of them another name (… AS "${f.name}_2")`);
    }
    seen.add(f.name);
  }
  return fields;
}

const ZTypeNames = z.record(z.string(), z.string());

/** format_type() for each (oid, typmod): "numeric(10,2)", "timestamp with time zone", "text[]". */
async function typeNames(client: pg.Client, fields: pg.FieldDef[]): Promise<string[]> {
  if (fields.length === 0) return [];
  // The numbers come from the protocol (int32), never from user text; Redshift has no unnest() for arrays of parameters.
  const exprs = fields.map((f, i) => `format_type(${Math.trunc(f.dataTypeID)}, ${Math.trunc(f.dataTypeModifier)}) AS t${i}`);
  const res = await client.query(`SELECT ${exprs.join(', ')}`);
  const row = ZTypeNames.parse(res.rows[0]);
  return fields.map((_, i) => row[`t${i}`] ?? 'unknown');
}

// ───────────────────────────── discover ─────────────────────────────

const ZCatalogRow = z.object({
  table_schema: z.string(),
  table_name: z.string(),
  table_type: z.string(),
  column_name: z.string(),
  data_type: z.string(),
  udt_name: z.string().nullable(),
  nullable: z.boolean().nullable(),
});

function schemaFilter(column: string, schemas: string[], firstParam: number): string {
  if (schemas.length === 0) return '';
  return ` AND ${column} IN (${schemas.map((_, i) => `$${firstParam + i}`).join(', ')})`;
}

function catalogSql(flavor: PgFlavor, schemas: string[]): string {
  const notSystem = (col: string) =>
    `${col} NOT IN ('pg_catalog', 'information_schema', 'pg_internal', 'pg_automv') AND ${col} NOT LIKE 'pg\\_toast%' AND ${col} NOT LIKE 'pg\\_temp\\_%'`;
  if (flavor.product === 'Redshift') {
    // svv_columns also covers late-binding views and Spectrum (external) tables.
    return `SELECT c.table_schema, c.table_name, t.table_type, c.column_name, c.data_type, NULL::varchar AS udt_name, c.is_nullable = 'YES' AS nullable
      FROM svv_columns c
      JOIN svv_tables t ON t.table_catalog = c.table_catalog AND t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE ${notSystem('c.table_schema')}${schemaFilter('c.table_schema', schemas, 1)}
      ORDER BY c.table_schema, c.table_name, c.ordinal_position`;
  }
  // information_schema lists only what the user holds a privilege on; materialized views are not in it.
  return `SELECT * FROM (
      SELECT c.table_schema::text, c.table_name::text, t.table_type::text, c.column_name::text, c.data_type::text, c.udt_name::text,
             c.is_nullable = 'YES' AS nullable, c.ordinal_position::int AS pos
      FROM information_schema.columns c
      JOIN information_schema.tables t ON t.table_catalog = c.table_catalog AND t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE ${notSystem('c.table_schema')}${schemaFilter('c.table_schema', schemas, 1)}
      UNION ALL
      SELECT n.nspname::text, cl.relname::text, 'MATERIALIZED VIEW', a.attname::text, format_type(a.atttypid, a.atttypmod), NULL,
             NOT a.attnotnull, a.attnum::int
      FROM pg_class cl
      JOIN pg_namespace n ON n.oid = cl.relnamespace
      JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE cl.relkind = 'm' AND has_table_privilege(cl.oid, 'SELECT')${schemaFilter('n.nspname', schemas, 1 + schemas.length)}
    ) cols ORDER BY table_schema, table_name, pos`;
}

// ───────────────────────────── the connector ─────────────────────────────

export function createPgSource(flavor: PgFlavor): SourceConnector<TPostgresCredentials, TPostgresConfig> {
  return defineConnector({
    slug: flavor.slug,
    kind: 'source',
    displayName: flavor.displayName,
    icon: flavor.icon,
    description: flavor.description,
    credentialsSchema: flavor.credentialsSchema,
    configSchema: flavor.configSchema,
    capabilities: { dialect: 'postgres', sqlHash: flavor.sqlHash },

    async test(ctx) {
      try {
        const info = await withSession(flavor, ctx, METADATA_TIMEOUT_MS, async (s) => {
          // Redshift (8.0-based, no SQL hashing) has no server_version_num.
          const versionNum = flavor.sqlHash ? `current_setting('server_version_num')` : 'NULL';
          const res = await s.client.query(`SELECT version() AS version, ${versionNum} AS version_num, current_user AS "user", current_database() AS database`);
          return z.object({ version: z.string(), version_num: z.coerce.number().int().nullable(), user: z.string(), database: z.string() }).parse(res.rows[0]);
        });
        const problem = info.version_num === null ? null : versionProblem(flavor.product, flavor.sqlHash, info.version_num);
        if (problem) return { ok: false, message: `${flavor.product} connection "${ctx.connectionName}": ${problem}`, code: 'bad_request' };
        const version = /^(\S+ \S+)/.exec(info.version)?.[1] ?? info.version;
        return { ok: true, message: `connected to ${version} as ${info.user}, database ${info.database} (read-only transaction)` };
      } catch (err) {
        const e = pgError(err, scopeOf(flavor, ctx));
        return { ok: false, message: e.message, code: e.code };
      }
    },

    async discover(ctx) {
      const schemas = ctx.config.schemas;
      const params = flavor.product === 'Redshift' ? schemas : [...schemas, ...schemas];
      return withSession(flavor, ctx, METADATA_TIMEOUT_MS, async (s) => {
        const res = await s.client.query(catalogSql(flavor, schemas), params);
        const tables = new Map<string, TableDescriptor>();
        for (const raw of res.rows) {
          const r = ZCatalogRow.parse(raw);
          const key = `${r.table_schema}\u0000${r.table_name}`;
          let t = tables.get(key);
          if (!t) {
            t = { schema: r.table_schema, name: r.table_name, kind: /VIEW/i.test(r.table_type) ? 'view' : 'table', columns: [] };
            tables.set(key, t);
          }
          const nativeType = informationSchemaTypeName(r.data_type, r.udt_name ?? '');
          t.columns.push({ name: r.column_name, nativeType, type: pgFieldType(nativeType), ...(r.nullable === null ? {} : { nullable: r.nullable }) });
        }
        return { tables: [...tables.values()] };
      });
    },

    async describe(sql, ctx) {
      assertQueryText(flavor, ctx, sql);
      return withSession(
        flavor,
        ctx,
        METADATA_TIMEOUT_MS,
        async (s) => {
          const fields = await describeFields(flavor, ctx, s.client, sql);
          const names = await typeNames(s.client, fields);
          return fields.map((f, i): ColumnDescriptor => {
            const nativeType = names[i] ?? 'unknown';
            return { name: f.name, nativeType, type: pgFieldType(nativeType) };
          });
        },
        sql,
      );
    },

    async *read(sql, ctx, opts = {}) {
      const batchSize = opts.batchSize ?? DEFAULT_BATCH;
      const r = await openRead(flavor, ctx, sql, opts);
      let cursor: Cursor<SourceRow> | null = null;
      try {
        await describeFields(flavor, ctx, r.session.client, sql);
        cursor = r.session.client.query(new Cursor<SourceRow>(sql, undefined, { types: sourceTypes }));
        for (;;) {
          const rows = await cursor.read(batchSize);
          if (rows.length > 0) yield rows;
          if (rows.length < batchSize) break;
        }
      } catch (err) {
        throw r.failure(err);
      } finally {
        r.stopWatching();
        if (cursor) await cursor.close().catch(() => {});
        await closeSession(r.session);
      }
    },

    // One text column through COPY … TO STDOUT: no row objects, and unlike a
    // cursor's portal, PostgreSQL may run the query in parallel.
    ...(flavor.copyOut
      ? {
          async *readText(sql: string, ctx: Ctx, opts: QueryOptions = {}) {
            const r = await openRead(flavor, ctx, sql, opts);
            let stream: ReturnType<typeof copyTo> | null = null;
            try {
              // Parse and Describe first: one statement, and exactly one column.
              const fields = await describeFields(flavor, ctx, r.session.client, sql);
              if (fields.length !== 1) {
                throw new ConnectorError(`readText needs a query with one column, got ${fields.length}`, { code: 'config', retryable: false, applied: 'no' });
              }
              stream = r.session.client.query(copyTo(`COPY (${sql.replace(/[\s;]+$/, '')}) TO STDOUT`));
              yield* copyTextLines(stream);
            } catch (err) {
              throw r.failure(err);
            } finally {
              r.stopWatching();
              // Ended early (or failed): the connection is mid-COPY, so it is closed, not rolled back.
              if (stream && !stream.readableEnded) {
                stream.destroy();
                await r.session.client.end().catch(() => {});
              } else {
                await closeSession(r.session);
              }
            }
          },
        }
      : {}),
  });
}
