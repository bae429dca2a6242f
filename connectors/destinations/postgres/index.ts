/**
 * PostgreSQL table destination: upsert, update, insert and mirror into a table
 * of the connection's schema (the destination node's object).
 *
 * One write() is one transaction:
 *   1. introspect the table (columns, types, unique columns) and check the
 *      mapped fields against it — a missing table or column fails the write
 *      with an error that names the connection, the table and the column;
 *   2. one multi-row statement per group of rows with the same operation and
 *      fields, inside a savepoint. A row-level error (NOT NULL, type, check,
 *      unique…) rolls back to the savepoint and the group is retried row by
 *      row, each in its own savepoint: good rows commit, bad rows are
 *      rejected with the column named in the PostgreSQL error;
 *   3. COMMIT. Only a connection lost after COMMIT was sent leaves the outcome
 *      'unknown'; lookup() (a consistent read) then settles it.
 */
import pg from 'pg';
import { defineConnector } from '../../sdk/define';
import {
  ConnectorError,
  type ConnectorContext,
  type FieldDescriptor,
  type JsonValue,
  type LookupResult,
  type ObjectDescriptor,
  type Operation,
  type RowResult,
  type SyncMode,
  type WriteRow,
} from '../../sdk/types';
import { isRowLevel, rowRejection, toConnectorError } from './errors';
import {
  ZPostgresDestConfig,
  ZPostgresDestCredentials,
  ZPostgresDestOptions,
  type TPostgresDestConfig,
  type TPostgresDestCredentials,
} from './schema';
import {
  buildStatement,
  buildTables,
  inferColumnType,
  INTROSPECT_COLUMNS,
  INTROSPECT_UNIQUE,
  qualified,
  quoteIdent,
  rowsPerStatement,
  type BoundRow,
  type ColumnRow,
  type StatementKind,
  type StatementSpec,
  type TableInfo,
  type UniqueRow,
} from './sql';

const BATCH_SIZE = 1000;
type Ctx = ConnectorContext<TPostgresDestCredentials, TPostgresDestConfig>;

// ───────────────────────────── connections ─────────────────────────────

const pools = new Map<string, pg.Pool>();

function poolFor(config: TPostgresDestConfig, credentials: TPostgresDestCredentials): pg.Pool {
  const key = JSON.stringify([config, credentials.password]);
  let pool = pools.get(key);
  if (!pool) {
    pool = new pg.Pool({
      host: config.host,
      port: config.port,
      database: config.database,
      user: config.user,
      password: credentials.password,
      ssl: config.ssl === 'disable' ? false : { rejectUnauthorized: config.ssl === 'verify-full' },
      max: 4,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      statement_timeout: config.statementTimeoutMs,
      // Client-side guard for a server (or network) that stops answering: the statement
      // timeout cannot fire then, and COMMIT is not subject to it at all.
      query_timeout: config.statementTimeoutMs + Math.min(config.statementTimeoutMs, 10_000),
      application_name: 'backflow',
    });
    // An idle client losing its connection must not crash the worker; the next checkout reconnects.
    pool.on('error', () => {});
    pools.set(key, pool);
  }
  return pool;
}

/** Ends every pool (tests, shutdown). */
export async function closePostgresDestinationPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.end().catch(() => {})));
}

function errorContext(ctx: Ctx, phase: 'connect' | 'statements' | 'commit') {
  const { host, port, database, user } = ctx.config;
  return { connectionName: ctx.connectionName, host, port, database, user, phase };
}

/** A pg error without SQLSTATE means the client or its socket failed: never reuse it. */
function brokenConnection(err: unknown): Error | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return undefined;
  return err instanceof Error ? err : new Error(String(err));
}

/** Runs `fn` in one transaction on a pooled client, classifying failures by how far it got. */
async function inTransaction<T>(ctx: Ctx, fn: (client: pg.PoolClient) => Promise<T>, opts: { readOnly?: boolean } = {}): Promise<T> {
  if (ctx.signal.aborted) throw new ConnectorError(`${ctx.connectionName}: cancelled`, { code: 'timeout', retryable: true, applied: 'no' });
  let client: pg.PoolClient;
  try {
    client = await poolFor(ctx.config, ctx.credentials).connect();
  } catch (err) {
    throw toConnectorError(err, errorContext(ctx, 'connect'));
  }
  let phase: 'statements' | 'commit' = 'statements';
  let broken: Error | undefined;
  // A connection lost mid-transaction also surfaces as the failed query below;
  // without a listener the client's 'error' event would crash the worker.
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  try {
    await client.query(opts.readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
    const out = await fn(client);
    phase = 'commit';
    await client.query('COMMIT');
    return out;
  } catch (err) {
    broken = brokenConnection(err);
    if (!broken && phase === 'statements') {
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
      });
    }
    throw toConnectorError(err, errorContext(ctx, phase));
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

// ───────────────────────────── introspection ─────────────────────────────

async function introspect(client: pg.ClientBase, schema: string, table: string | null): Promise<Map<string, TableInfo>> {
  const cols = await client.query<ColumnRow>(INTROSPECT_COLUMNS, [schema, table]);
  const uniq = await client.query<UniqueRow>(INTROSPECT_UNIQUE, [schema, table]);
  return buildTables(schema, cols.rows, uniq.rows);
}

function missingTable(ctx: Ctx, table: string): ConnectorError {
  return new ConnectorError(
    `${ctx.connectionName}: table ${qualified(ctx.config.schema, table)} does not exist — fix: create it, enable "create table" in the sync options, or pick another table and refresh the destination`,
    { code: 'not_found', retryable: false, applied: 'no', field: table },
  );
}

function missingColumn(ctx: Ctx, table: TableInfo, column: string, role: string): ConnectorError {
  return new ConnectorError(
    `${ctx.connectionName}: table ${qualified(table.schema, table.name)} has no column "${column}" (${role}) — the table changed since the sync was set up; fix: add the column (ALTER TABLE ${qualified(table.schema, table.name)} ADD COLUMN ${quoteIdent(column)} …), or remove it from the map and refresh the destination fields`,
    { code: 'schema_changed', retryable: false, applied: 'no', field: column },
  );
}

/** Creates the table from the batch's fields (createTable option). */
async function createTable(client: pg.ClientBase, ctx: Ctx & { object: string }, rows: WriteRow[]): Promise<void> {
  const matchColumn = rows[0]!.match.field;
  const names = new Set<string>([matchColumn]);
  for (const r of rows) for (const k of Object.keys(r.fields)) names.add(k);
  const columnSql = [...names].map((name) => {
    const samples = rows.map((r) => (name === matchColumn ? (r.fields[name] ?? r.match.value) : r.fields[name]));
    return `${quoteIdent(name)} ${inferColumnType(samples)}${name === matchColumn ? ' PRIMARY KEY' : ''}`;
  });
  await client.query(`CREATE TABLE IF NOT EXISTS ${qualified(ctx.config.schema, ctx.object)} (${columnSql.join(', ')})`);
  ctx.log.info(`created table ${qualified(ctx.config.schema, ctx.object)}`, { columns: [...names] });
}

// ───────────────────────────── write ─────────────────────────────

/** What SQL a row needs, from the sync mode and the engine's operation. */
function statementKind(mode: SyncMode, op: Operation): StatementKind | null {
  if (op === 'delete') return 'delete';
  if (op === 'create') return 'insert';
  if (op === 'update') return 'update';
  if (op === 'upsert') return mode === 'insert' ? 'insert' : mode === 'update' ? 'update' : 'upsert';
  return null; // add / remove: list membership, which a table does not have
}

type Group = { spec: StatementSpec; rows: { index: number; row: WriteRow; values: Record<string, JsonValue> }[] };

function planGroups(rows: WriteRow[], table: TableInfo, ctx: Ctx & { mode: SyncMode }, results: (RowResult | undefined)[]): Group[] {
  const groups = new Map<string, Group>();
  rows.forEach((row, index) => {
    const kind = statementKind(ctx.mode, row.op);
    if (!kind) {
      results[index] = {
        recordKey: row.recordKey,
        status: 'rejected',
        message: `${ctx.connectionName}: operation "${row.op}" is not supported by a PostgreSQL table — fix: use upsert, update, insert or mirror`,
      };
      return;
    }
    const matchColumn = row.match.field;
    const values: Record<string, JsonValue> = kind === 'delete' ? {} : { ...row.fields };
    values[matchColumn] = row.fields[matchColumn] ?? row.match.value;
    const columns = Object.keys(values).filter((c) => c !== matchColumn).sort();
    const onlyIfEmpty = (row.setOnlyIfEmpty ?? []).filter((c) => c in values && c !== matchColumn).sort();
    const key = JSON.stringify([kind, matchColumn, columns, onlyIfEmpty]);
    let g = groups.get(key);
    if (!g) {
      g = { spec: { kind, table, matchColumn, columns, onlyIfEmpty: new Set(onlyIfEmpty) }, rows: [] };
      groups.set(key, g);
    }
    g.rows.push({ index, row, values });
  });
  return [...groups.values()];
}

function checkColumns(ctx: Ctx, table: TableInfo, groups: Group[]): void {
  for (const g of groups) {
    const { matchColumn, kind } = g.spec;
    const match = table.columns.get(matchColumn);
    if (!match) throw missingColumn(ctx, table, matchColumn, 'the match field');
    for (const c of g.spec.columns) {
      const col = table.columns.get(c);
      if (!col) throw missingColumn(ctx, table, c, 'a mapped field');
      if (col.generated) {
        throw new ConnectorError(
          `${ctx.connectionName}: column "${c}" of ${qualified(table.schema, table.name)} is generated by the database and cannot be written — fix: remove it from the map`,
          { code: 'config', retryable: false, applied: 'no', field: c },
        );
      }
    }
    if ((kind === 'upsert' || kind === 'insert') && !table.uniqueColumns.has(matchColumn)) {
      throw new ConnectorError(
        `${ctx.connectionName}: ${kind} needs a unique constraint on the match column "${matchColumn}" of ${qualified(table.schema, table.name)}, and it has none — fix: ALTER TABLE ${qualified(table.schema, table.name)} ADD UNIQUE (${quoteIdent(matchColumn)}), or match on a unique column (${[...table.uniqueColumns].join(', ') || 'none yet'})`,
        { code: 'config', retryable: false, applied: 'no', field: matchColumn },
      );
    }
  }
}

/** Splits a group into statements whose match values are distinct (ON CONFLICT cannot touch a row twice). */
function chunks(g: Group): Group['rows'][] {
  const cap = rowsPerStatement(g.spec.columns.length + 2, BATCH_SIZE);
  const out: Group['rows'][] = [];
  let current: Group['rows'] = [];
  let seen = new Set<string>();
  for (const r of g.rows) {
    const m = JSON.stringify(r.values[g.spec.matchColumn] ?? null);
    if (current.length >= cap || seen.has(m)) {
      out.push(current);
      current = [];
      seen = new Set();
    }
    current.push(r);
    seen.add(m);
  }
  if (current.length) out.push(current);
  return out;
}

type StatementResultRow = { __bf_i: number; __bf_id: string | null; __bf_written: boolean };

async function runChunk(
  client: pg.ClientBase,
  ctx: Ctx,
  spec: StatementSpec,
  rows: Group['rows'],
  results: (RowResult | undefined)[],
): Promise<void> {
  const bound: BoundRow[] = rows.map((r) => ({ ordinal: r.index, values: r.values }));
  const stmt = buildStatement(spec, bound);
  const res = await client.query<StatementResultRow>(stmt.text, stmt.values);
  const found = new Map<number, string | null>();
  for (const r of res.rows) if (!found.has(r.__bf_i)) found.set(r.__bf_i, r.__bf_id);
  for (const r of rows) {
    if (found.has(r.index)) {
      const id = found.get(r.index) ?? String(r.values[spec.matchColumn] ?? r.row.match.value);
      results[r.index] = { recordKey: r.row.recordKey, status: 'accepted', externalId: id };
    } else if (spec.kind === 'update') {
      results[r.index] = {
        recordKey: r.row.recordKey,
        status: 'rejected',
        field: spec.matchColumn,
        message: `${ctx.connectionName}: no row of ${qualified(spec.table.schema, spec.table.name)} has ${spec.matchColumn} = ${JSON.stringify(r.row.match.value)}; update mode does not create rows — fix: use upsert mode to create missing rows`,
      };
    } else {
      results[r.index] = { recordKey: r.row.recordKey, status: 'retryable', message: `${ctx.connectionName}: the row was neither written nor found; it will be retried` };
    }
  }
}

async function writeRows(client: pg.ClientBase, rows: WriteRow[], ctx: Ctx & { object: string; mode: SyncMode; options: { createTable: boolean } }): Promise<RowResult[]> {
  let table = (await introspect(client, ctx.config.schema, ctx.object)).get(ctx.object);
  if (!table) {
    if (!ctx.options.createTable) throw missingTable(ctx, ctx.object);
    await createTable(client, ctx, rows);
    table = (await introspect(client, ctx.config.schema, ctx.object)).get(ctx.object);
    if (!table) throw missingTable(ctx, ctx.object);
  }
  const results: (RowResult | undefined)[] = new Array(rows.length);
  const groups = planGroups(rows, table, ctx, results);
  checkColumns(ctx, table, groups);

  for (const g of groups) {
    for (const chunk of chunks(g)) {
      await client.query('SAVEPOINT bf_batch');
      try {
        await runChunk(client, ctx, g.spec, chunk, results);
        await client.query('RELEASE SAVEPOINT bf_batch');
        continue;
      } catch (err) {
        if (!isRowLevel(err)) throw err;
        await client.query('ROLLBACK TO SAVEPOINT bf_batch');
        await client.query('RELEASE SAVEPOINT bf_batch');
      }
      // One bad row failed the statement: redo it row by row so the others commit.
      for (const r of chunk) {
        await client.query('SAVEPOINT bf_row');
        try {
          await runChunk(client, ctx, g.spec, [r], results);
          await client.query('RELEASE SAVEPOINT bf_row');
        } catch (err) {
          if (!isRowLevel(err)) throw err;
          await client.query('ROLLBACK TO SAVEPOINT bf_row');
          await client.query('RELEASE SAVEPOINT bf_row');
          const why = rowRejection(err, { connectionName: ctx.connectionName, recordKey: r.row.recordKey, values: r.values, table });
          results[r.index] = { recordKey: r.row.recordKey, status: 'rejected', ...why };
        }
      }
    }
  }
  return rows.map((row, i) => results[i] ?? { recordKey: row.recordKey, status: 'retryable', message: `${ctx.connectionName}: no outcome recorded` });
}

// ───────────────────────────── discover ─────────────────────────────

function describeTable(t: TableInfo): ObjectDescriptor {
  const fields: FieldDescriptor[] = [...t.columns.values()].map((c) => ({
    name: c.name,
    type: c.fieldType,
    description: c.type,
    ...(c.notNull && !c.hasDefault ? { required: true } : {}),
    ...(t.uniqueColumns.has(c.name) ? { unique: true } : {}),
    ...(c.generated ? { readOnly: true } : {}),
  }));
  return {
    name: t.name,
    label: `${t.schema}.${t.name}`,
    fields,
    // Upsert and insert need a unique match column; without one only update and mirror deletes work.
    upsert: t.uniqueColumns.size > 0,
    ...(t.uniqueColumns.size > 0 ? {} : { modes: ['update'] as SyncMode[] }),
  };
}

// ───────────────────────────── connector ─────────────────────────────

export const postgresDestination = defineConnector({
  slug: 'postgres-table',
  kind: 'destination',
  displayName: 'PostgreSQL table',
  icon: '🐘',
  description: 'Upsert, update, insert or mirror rows into a table of a PostgreSQL database (ON CONFLICT on a unique match column).',
  credentialsSchema: ZPostgresDestCredentials,
  configSchema: ZPostgresDestConfig,
  optionsSchema: ZPostgresDestOptions,
  capabilities: {
    writes: 'records',
    modes: ['upsert', 'update', 'insert', 'mirror'],
    batchSize: BATCH_SIZE,
    rateLimit: { requestsPerSecond: 50, burst: 50 },
    deletes: true,
    idempotencyKey: false,
    consistentLookup: true,
    setOnlyIfEmpty: true,
  },

  async test(ctx) {
    try {
      const info = await inTransaction(
        ctx,
        async (client) => {
          const r = await client.query<{ user: string; version: string; schema_exists: boolean; can_use: boolean | null; tables: number }>(
            `SELECT current_user AS user, current_setting('server_version') AS version,
                    EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema_exists,
                    CASE WHEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) THEN has_schema_privilege($1, 'USAGE') END AS can_use,
                    (SELECT count(*)::int FROM pg_tables WHERE schemaname = $1) AS tables`,
            [ctx.config.schema],
          );
          return r.rows[0]!;
        },
        { readOnly: true },
      );
      if (!info.schema_exists) {
        return { ok: false, code: 'not_found', message: `${ctx.connectionName}: schema "${ctx.config.schema}" does not exist in ${ctx.config.database} — fix: create it, or correct the schema setting` };
      }
      if (!info.can_use) {
        return { ok: false, code: 'permission', message: `${ctx.connectionName}: user "${info.user}" has no USAGE on schema "${ctx.config.schema}" — fix: GRANT USAGE ON SCHEMA ${quoteIdent(ctx.config.schema)} TO ${quoteIdent(info.user)}` };
      }
      return { ok: true, message: `connected to PostgreSQL ${info.version} as ${info.user}; schema "${ctx.config.schema}" has ${info.tables} table(s)` };
    } catch (err) {
      const e = toConnectorError(err, errorContext(ctx, 'connect'));
      return { ok: false, code: e.code, message: e.message };
    }
  },

  async discover(ctx) {
    const tables = await inTransaction(ctx, (client) => introspect(client, ctx.config.schema, null), { readOnly: true });
    return { objects: [...tables.values()].map(describeTable) };
  },

  async write(rows, ctx) {
    if (rows.length === 0) return [];
    await ctx.limiter.take(1, ctx.signal);
    return inTransaction(ctx, (client) => writeRows(client, rows, ctx));
  },

  async lookup(requests, ctx) {
    if (requests.length === 0) return [];
    await ctx.limiter.take(1, ctx.signal);
    return inTransaction(
      ctx,
      async (client) => {
        const table = (await introspect(client, ctx.config.schema, ctx.object)).get(ctx.object);
        if (!table) throw missingTable(ctx, ctx.object);
        const byField = new Map<string, number[]>();
        requests.forEach((r, i) => byField.set(r.match.field, [...(byField.get(r.match.field) ?? []), i]));
        const out: LookupResult[] = requests.map((r) => ({ recordKey: r.recordKey, externalId: null }));
        for (const [field, indexes] of byField) {
          const col = table.columns.get(field);
          if (!col) throw missingColumn(ctx, table, field, 'the match field');
          const idColumn = table.primaryKey ?? field;
          const values: unknown[] = [];
          const tuples = indexes.map((i) => {
            values.push(requests[i]!.match.value);
            return `(${i}, $${values.length}::${col.castType})`;
          });
          const sql = `WITH v("__bf_i", "c0") AS (VALUES ${tuples.join(', ')})
            SELECT v."__bf_i", t.${quoteIdent(idColumn)}::text AS "__bf_id" FROM v JOIN ${qualified(table.schema, table.name)} AS t ON t.${quoteIdent(field)} = v."c0"`;
          await client.query('SAVEPOINT bf_lookup');
          try {
            const res = await client.query<{ __bf_i: number; __bf_id: string | null }>(sql, values);
            for (const r of res.rows) out[r.__bf_i] = { recordKey: requests[r.__bf_i]!.recordKey, externalId: r.__bf_id ?? requests[r.__bf_i]!.match.value };
            await client.query('RELEASE SAVEPOINT bf_lookup');
          } catch (err) {
            // A value that does not even cast to the column type cannot exist in it.
            if (!isRowLevel(err)) throw err;
            await client.query('ROLLBACK TO SAVEPOINT bf_lookup');
            for (const i of indexes) {
              await client.query('SAVEPOINT bf_lookup_one');
              try {
                const one = await client.query<{ id: string | null }>(
                  `SELECT t.${quoteIdent(idColumn)}::text AS id FROM ${qualified(table.schema, table.name)} AS t WHERE t.${quoteIdent(field)} = $1::${col.castType} LIMIT 1`,
                  [requests[i]!.match.value],
                );
                if (one.rows[0]) out[i] = { recordKey: requests[i]!.recordKey, externalId: one.rows[0].id ?? requests[i]!.match.value };
                await client.query('RELEASE SAVEPOINT bf_lookup_one');
              } catch (e) {
                if (!isRowLevel(e)) throw e;
                await client.query('ROLLBACK TO SAVEPOINT bf_lookup_one');
              }
            }
          }
        }
        return out;
      },
      { readOnly: true },
    );
  },
});
