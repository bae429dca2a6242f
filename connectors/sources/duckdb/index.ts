/**
 * DuckDB source: the embedded default warehouse (.data/warehouse.duckdb), and a
 * way to sync CSV or Parquet files.
 *
 * Safety: the database file is opened READ_ONLY; file access is limited to the
 * configured files (allowed_paths + enable_external_access=false) and the
 * configuration is then locked, so a query cannot read other files or undo it.
 * Only a single SELECT is accepted. DuckDB has no statement timeout, so the
 * connection is interrupted when the timeout passes.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DuckDBConnection, DuckDBInstance, StatementType, type DuckDBType } from '@duckdb/node-api';
import { defineConnector } from '../../sdk/define';
import { ConnectorError, type ColumnDescriptor, type FieldType, type SourceRow } from '../../sdk/types';
import { ZDuckDbConfig, ZDuckDbCredentials, type TDuckDbConfig } from './schema';

const DEFAULT_TIMEOUT_MS = 5 * 60_000;

const instances = new Map<string, Promise<DuckDBInstance>>();

function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

async function openInstance(config: TDuckDbConfig): Promise<DuckDBInstance> {
  if (config.path && !existsSync(config.path)) {
    throw new ConnectorError(`DuckDB file ${config.path} does not exist — fix: correct the path, or run \`npm run setup\` for the demo warehouse`, {
      code: 'config',
      retryable: false,
      applied: 'no',
    });
  }
  const instance = await DuckDBInstance.create(config.path ?? ':memory:', {
    ...(config.path ? { access_mode: 'READ_ONLY' } : {}),
    threads: String(config.threads),
    memory_limit: config.memoryLimit,
  });
  const conn = await instance.connect();
  try {
    for (const f of config.files) {
      if (!existsSync(f.path)) {
        throw new ConnectorError(`file ${f.path} (table ${f.table}) does not exist — fix: correct its path in the connection`, {
          code: 'config',
          retryable: false,
          applied: 'no',
        });
      }
      const reader = /\.parquet$/i.test(f.path) ? 'read_parquet' : 'read_csv_auto';
      await conn.run(`CREATE OR REPLACE TEMP VIEW "${f.table}" AS SELECT * FROM ${reader}(${quoteLiteral(path.resolve(f.path))})`);
    }
    const allowed = config.files.map((f) => quoteLiteral(path.resolve(f.path)));
    await conn.run(`SET allowed_paths = [${allowed.join(', ')}]`);
    await conn.run('SET enable_external_access = false');
    await conn.run('SET lock_configuration = true');
  } finally {
    conn.closeSync();
  }
  return instance;
}

function instanceFor(config: TDuckDbConfig): Promise<DuckDBInstance> {
  const key = JSON.stringify(config);
  let p = instances.get(key);
  if (!p) {
    p = openInstance(config);
    p.catch(() => instances.delete(key));
    instances.set(key, p);
  }
  return p;
}

/** Closes cached instances (tests, and before a writer needs the file). */
export function closeDuckDbInstances(): void {
  for (const p of instances.values()) void p.then((i) => i.closeSync()).catch(() => {});
  instances.clear();
}

export function duckDbFieldType(t: DuckDBType): FieldType {
  return fieldTypeFromName(t.toString());
}

/** Maps a DuckDB type name (as information_schema or DuckDBType.toString() spell it). */
export function fieldTypeFromName(name: string): FieldType {
  const s = name.toUpperCase();
  if (s.endsWith('[]')) return s.startsWith('VARCHAR') ? 'string_array' : 'json';
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(s)) return 'integer';
  if (/^(FLOAT|DOUBLE|REAL)$/.test(s) || s.startsWith('DECIMAL')) return 'number';
  if (s === 'BOOLEAN') return 'boolean';
  if (s === 'DATE') return 'date';
  if (s.startsWith('TIMESTAMP')) return 'timestamp';
  if (s === 'JSON' || s.startsWith('STRUCT') || s.startsWith('MAP')) return 'json';
  return 'string';
}

/** Prepares the one SELECT in `sql`, or explains what is wrong with it. */
async function prepareSelect(conn: DuckDBConnection, sql: string) {
  let extracted;
  try {
    extracted = await conn.extractStatements(sql);
  } catch (err) {
    throw sqlError(err);
  }
  if (extracted.count !== 1) {
    throw new ConnectorError(`expected exactly one SQL statement, found ${extracted.count} — fix: remove the extra statements`, {
      code: 'bad_request',
      retryable: false,
      applied: 'no',
    });
  }
  let prepared;
  try {
    prepared = await extracted.prepare(0);
  } catch (err) {
    throw sqlError(err);
  }
  if (prepared.statementType !== StatementType.SELECT) {
    prepared.destroySync();
    throw new ConnectorError('only SELECT queries can be used as a source; this statement would change data or settings — fix: write a SELECT', {
      code: 'bad_request',
      retryable: false,
      applied: 'no',
    });
  }
  return prepared;
}

function sqlError(err: unknown): ConnectorError {
  const msg = err instanceof Error ? err.message : String(err);
  return new ConnectorError(`DuckDB: ${msg.split('\n')[0]}`, { code: 'bad_request', retryable: false, applied: 'no', cause: err });
}

export const duckdbSource = defineConnector({
  slug: 'duckdb',
  kind: 'source',
  displayName: 'DuckDB',
  icon: '🦆',
  description: 'A DuckDB database file (the demo warehouse), or CSV and Parquet files.',
  credentialsSchema: ZDuckDbCredentials,
  configSchema: ZDuckDbConfig,
  capabilities: { dialect: 'duckdb', sqlHash: true },

  async test(ctx) {
    try {
      const instance = await instanceFor(ctx.config);
      const conn = await instance.connect();
      try {
        await conn.run('SELECT 1');
      } finally {
        conn.closeSync();
      }
      return { ok: true, message: ctx.config.path ? `opened ${path.basename(ctx.config.path)} read-only` : 'in-memory database ready' };
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  },

  async discover(ctx) {
    const instance = await instanceFor(ctx.config);
    const conn = await instance.connect();
    try {
      const reader = await conn.runAndReadAll(
        `SELECT c.table_schema, c.table_name, t.table_type, c.column_name, c.data_type, c.is_nullable
         FROM information_schema.columns c
         JOIN information_schema.tables t USING (table_catalog, table_schema, table_name)
         WHERE c.table_schema NOT IN ('information_schema', 'pg_catalog')
         ORDER BY c.table_schema, c.table_name, c.ordinal_position`,
      );
      const tables = new Map<string, { schema: string; name: string; kind: 'table' | 'view'; columns: ColumnDescriptor[] }>();
      for (const r of reader.getRowObjectsJson()) {
        const key = `${r.table_schema}.${r.table_name}`;
        let t = tables.get(key);
        if (!t) {
          t = { schema: String(r.table_schema), name: String(r.table_name), kind: String(r.table_type).includes('VIEW') ? 'view' : 'table', columns: [] };
          tables.set(key, t);
        }
        const nativeType = String(r.data_type);
        t.columns.push({ name: String(r.column_name), nativeType, type: fieldTypeFromName(nativeType), nullable: r.is_nullable === 'YES' });
      }
      return { tables: [...tables.values()] };
    } finally {
      conn.closeSync();
    }
  },

  async describe(sql, ctx) {
    const instance = await instanceFor(ctx.config);
    const conn = await instance.connect();
    try {
      const prepared = await prepareSelect(conn, sql);
      try {
        const cols: ColumnDescriptor[] = [];
        for (let i = 0; i < prepared.columnCount; i++) {
          const t = prepared.columnType(i);
          cols.push({ name: prepared.columnName(i), nativeType: t.toString(), type: duckDbFieldType(t) });
        }
        return cols;
      } finally {
        prepared.destroySync();
      }
    } finally {
      conn.closeSync();
    }
  },

  async *read(sql, ctx, opts = {}) {
    const instance = await instanceFor(ctx.config);
    const conn = await instance.connect();
    const batchSize = opts.batchSize ?? 10_000;
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const signal = opts.signal ?? ctx.signal;
    // One timer for the whole statement: interrupting the connection cancels it.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      conn.interrupt();
    }, timeoutMs);
    const onAbort = () => conn.interrupt();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const prepared = await prepareSelect(conn, sql);
      prepared.destroySync();
      let batch: SourceRow[] = [];
      try {
        const result = await conn.stream(sql);
        for await (const rows of result.yieldRowObjectJson()) {
          for (const row of rows) batch.push(row);
          if (batch.length >= batchSize) {
            yield batch;
            batch = [];
          }
        }
      } catch (err) {
        if (timedOut) {
          throw new ConnectorError(`DuckDB query cancelled after ${Math.round(timeoutMs / 1000)} s (statement timeout) — fix: simplify the query or raise the timeout`, {
            code: 'timeout',
            retryable: false,
            applied: 'no',
          });
        }
        if (signal.aborted) throw new ConnectorError('DuckDB query cancelled', { code: 'timeout', retryable: true, applied: 'no' });
        throw err instanceof ConnectorError ? err : sqlError(err);
      }
      if (batch.length) yield batch;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      conn.closeSync();
    }
  },
});

