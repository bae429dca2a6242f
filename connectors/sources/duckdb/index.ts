/**
 * DuckDB source: the embedded default warehouse (.data/warehouse.duckdb), and a
 * way to sync CSV or Parquet files.
 *
 * Safety: the database file is opened READ_ONLY; file access is limited to the
 * configured files (allowed_paths + enable_external_access=false) and the
 * configuration is then locked, so a query cannot read other files or undo it.
 * Only a single SELECT is accepted. DuckDB has no statement timeout, so the
 * connection is interrupted when the query has spent the timeout in DuckDB
 * (QueryClock).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection, DuckDBDataChunk, DuckDBInstance, DuckDBResult, DuckDBType } from '@duckdb/node-api';
import { defineConnector } from '../../sdk/define';
import { ConnectorError, type ColumnDescriptor, type FieldType, type QueryOptions, type SourceRow } from '../../sdk/types';
import { ZDuckDbConfig, ZDuckDbCredentials, type TDuckDbConfig } from './schema';

/** Loaded on first use: the native library is ~50 MB of a worker's memory that only DuckDB sources need. */
const duckdb = () => import('@duckdb/node-api');

const DEFAULT_TIMEOUT_MS = 5 * 60_000;


function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * CSV/Parquet files as views. TEMP views belong to one connection (and a
 * read-only database file accepts no other kind), so every connection gets them.
 */
async function createFileViews(conn: DuckDBConnection, files: TDuckDbConfig['files']): Promise<void> {
  for (const f of files) {
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
}

async function openInstance(config: TDuckDbConfig): Promise<DuckDBInstance> {
  if (config.path && !existsSync(config.path)) {
    throw new ConnectorError(`DuckDB file ${config.path} does not exist — fix: correct the path, or run \`npm run setup\` for the demo warehouse`, {
      code: 'config',
      retryable: false,
      applied: 'no',
    });
  }
  const { DuckDBInstance } = await duckdb();
  const instance = await DuckDBInstance.create(config.path ?? ':memory:', {
    ...(config.path ? { access_mode: 'READ_ONLY' } : {}),
    threads: String(config.threads),
    memory_limit: config.memoryLimit,
  });
  const conn = await instance.connect();
  try {
    await createFileViews(conn, config.files);
    const allowed = config.files.map((f) => quoteLiteral(path.resolve(f.path)));
    await conn.run(`SET allowed_paths = [${allowed.join(', ')}]`);
    await conn.run('SET enable_external_access = false');
    await conn.run('SET lock_configuration = true');
  } finally {
    conn.closeSync();
  }
  return instance;
}

type Entry = { instance: Promise<DuckDBInstance>; users: number; idle: NodeJS.Timeout | null };
const entries = new Map<string, Entry>();

/**
 * Instances are shared while in use and closed soon after: even a read-only
 * open takes a lock that keeps writers (setup, a dbt job) out of the file.
 */
const IDLE_CLOSE_MS = 1_000;

async function acquire(config: TDuckDbConfig): Promise<{ conn: DuckDBConnection; release: () => void }> {
  const key = JSON.stringify(config);
  let entry = entries.get(key);
  if (!entry) {
    entry = { instance: openInstance(config), users: 0, idle: null };
    entries.set(key, entry);
    const created = entry;
    created.instance.catch(() => {
      if (entries.get(key) === created) entries.delete(key);
    });
  }
  const e = entry;
  e.users++;
  if (e.idle) {
    clearTimeout(e.idle);
    e.idle = null;
  }
  let conn: DuckDBConnection;
  try {
    const c = await (await e.instance).connect();
    if (config.files.length > 0) {
      await createFileViews(c, config.files).catch((err: unknown) => {
        c.closeSync();
        throw err;
      });
    }
    conn = c;
  } catch (err) {
    e.users--;
    throw err;
  }
  let released = false;
  return {
    conn,
    release: () => {
      if (released) return;
      released = true;
      conn.closeSync();
      e.users--;
      if (e.users === 0) {
        e.idle = setTimeout(() => {
          if (e.users === 0 && entries.get(key) === e) {
            entries.delete(key);
            void e.instance.then((i) => i.closeSync()).catch(() => {});
          }
        }, IDLE_CLOSE_MS);
        e.idle.unref();
      }
    },
  };
}

/** Closes every idle instance now (tests, and before a writer needs the file). */
export function closeDuckDbInstances(): void {
  for (const [key, e] of entries) {
    if (e.users > 0) continue;
    if (e.idle) clearTimeout(e.idle);
    entries.delete(key);
    void e.instance.then((i) => i.closeSync()).catch(() => {});
  }
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

function refusal(connectionName: string, cause: string, fix: string): ConnectorError {
  return new ConnectorError(`DuckDB connection "${connectionName}": ${cause} — fix: ${fix}`, { code: 'bad_request', retryable: false, applied: 'no' });
}

/** Prepares the one SELECT in `sql`, or explains what is wrong with it. */
async function prepareSelect(conn: DuckDBConnection, sql: string, connectionName: string) {
  let extracted;
  try {
    extracted = await conn.extractStatements(sql);
  } catch (err) {
    throw sqlError(err, connectionName);
  }
  if (extracted.count === 0) throw refusal(connectionName, 'the query is empty', 'write a SELECT statement');
  if (extracted.count > 1) {
    throw refusal(connectionName, `the query contains several SQL statements (${extracted.count})`, 'keep a single SELECT statement and remove the others');
  }
  let prepared;
  try {
    prepared = await extracted.prepare(0);
  } catch (err) {
    throw sqlError(err, connectionName);
  }
  const { StatementType } = await duckdb();
  if (prepared.statementType !== StatementType.SELECT) {
    prepared.destroySync();
    throw refusal(connectionName, 'only SELECT queries can be used as a source; this statement would change data or settings', 'write a SELECT that only reads data');
  }
  return prepared;
}

function sqlError(err: unknown, connectionName: string): ConnectorError {
  const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0]?.replace(/^Failed to extract statements: /, '') ?? '';
  if (/^Out of Memory Error/.test(msg)) {
    return new ConnectorError(
      `DuckDB connection "${connectionName}": ${msg} — fix: raise the connection's memory limit (memoryLimit), or lower its threads`,
      { code: 'config', retryable: false, applied: 'no', cause: err },
    );
  }
  const code = /^Catalog Error/.test(msg) ? 'not_found' : /^Permission Error/.test(msg) ? 'permission' : 'bad_request';
  const fix = code === 'permission' ? 'only the files configured on the connection can be read; add the file there' : 'correct the SQL';
  return new ConnectorError(`DuckDB connection "${connectionName}": ${msg} — fix: ${fix}`, { code, retryable: false, applied: 'no', cause: err });
}

/**
 * DuckDB's JSON rows carry BIGINT/HUGEINT as strings and timestamps as
 * "YYYY-MM-DD hh:mm:ss[.f][+00]"; every Backflow source yields integers as
 * numbers when exact and timestamps as ISO 8601 UTC (see ../postgres/types.ts).
 */
function valueConverter(t: DuckDBType): ((v: unknown) => unknown) | null {
  const name = t.toString().toUpperCase();
  if (/^(BIGINT|HUGEINT|UBIGINT|UHUGEINT)$/.test(name)) {
    return (v) => (typeof v === 'string' && Number.isSafeInteger(Number(v)) ? Number(v) : v);
  }
  if (name.startsWith('TIMESTAMP') && !name.endsWith(']')) {
    return (v) => {
      if (typeof v !== 'string') return v;
      const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?:\+00(?::00)?)?$/.exec(v);
      return m ? `${m[1]}T${m[2]}Z` : v;
    };
  }
  return null;
}

/** A chunk of a marked result (withEndMarker) and how many of its rows are the query's. */
type QueryChunk = { chunk: DuckDBDataChunk; rows: number };

/** The query's own columns, as written (the marked query renames repeated names). */
type QueryColumns = { names: string[]; types: DuckDBType[] };

/**
 * Runs one read-only SELECT and streams what `consume` makes of its result,
 * with the statement timeout, cancellation, the end-of-result check and the
 * error mapping every read shares.
 */
async function* streamQuery<T>(
  sql: string,
  config: TDuckDbConfig,
  connectionName: string,
  opts: QueryOptions,
  ctxSignal: AbortSignal,
  consume: (chunks: AsyncIterable<QueryChunk>, columns: QueryColumns) => AsyncIterable<T[]>,
): AsyncGenerator<T[]> {
  const { conn, release } = await acquire(config);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signal = opts.signal ?? ctxSignal;
  // Interrupting the connection cancels the statement.
  const clock = new QueryClock(timeoutMs, () => conn.interrupt());
  const onAbort = () => conn.interrupt();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const prepared = await clock.run(() => prepareSelect(conn, sql, connectionName));
    const columns: QueryColumns = { names: [], types: [] };
    for (let i = 0; i < prepared.columnCount; i++) {
      columns.names.push(prepared.columnName(i));
      columns.types.push(prepared.columnType(i));
    }
    prepared.destroySync();
    // UNION ALL BY NAME would pair such a column with the marker.
    if (columns.names.includes(END_MARKER_COLUMN)) throw refusal(connectionName, `the query returns a column named ${END_MARKER_COLUMN}, which Backflow reserves`, 'rename it with AS');
    const cancelled = () =>
      clock.timedOut
        ? new ConnectorError(
            `DuckDB connection "${connectionName}": query cancelled after ${Math.round(timeoutMs / 100) / 10} s (statement timeout) — fix: simplify the query or raise the timeout`,
            { code: 'timeout', retryable: false, applied: 'no' },
          )
        : signal.aborted
          ? new ConnectorError(`DuckDB connection "${connectionName}": query cancelled — fix: start the run again`, { code: 'timeout', retryable: true, applied: 'no' })
          : null;
    try {
      const result = await clock.run(() => conn.stream(withEndMarker(sql)));
      yield* consume(markedChunksOf(result, clock, connectionName), columns);
    } catch (err) {
      throw cancelled() ?? (err instanceof ConnectorError ? err : sqlError(err, connectionName));
    }
    // An interrupt that lands between chunks can end the result early without
    // an error: a cut-short result must never pass for a whole one.
    const cut = cancelled();
    if (cut) throw cut;
  } finally {
    clock.stop();
    signal.removeEventListener('abort', onAbort);
    release();
  }
}

/**
 * The statement timeout counts DuckDB's time only: the clock runs while DuckDB
 * prepares, starts or produces a chunk, and stops while the consumer holds a
 * chunk. An extract that streams into a slower PostgreSQL then takes as long
 * as it must, while a query that runs away is still stopped.
 */
class QueryClock {
  timedOut = false;
  private left: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    ms: number,
    private readonly onTimeout: () => void,
  ) {
    this.left = ms;
  }

  async run<R>(work: () => Promise<R>): Promise<R> {
    const started = Date.now();
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.onTimeout();
    }, Math.max(0, this.left));
    try {
      return await work();
    } finally {
      this.stop();
      this.left -= Date.now() - started;
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The column withEndMarker adds: false on the query's rows, true on the one row after them. */
const END_MARKER_COLUMN = '__bf_end_of_result';

/**
 * `sql` followed by one more row, marked in an extra last column. A DuckDB
 * streaming result that fails part-way ends like a whole one: the C API
 * returns no chunk for an error and for the end alike, and the node API
 * cannot read the error. Seen here: a value that fails to convert at row
 * 150,000 of 300,000 ended the stream after 86,016 rows; the engine's digest
 * query over 10M rows at a 64 MB memoryLimit, whose sorted groups spilled to
 * disk, after 229,376 of 1,048,512. UNION ALL keeps its inputs' order (DuckDB's order
 * preservation), so the marker arrives last, and only after every row of the
 * query did. `sql` is passed whole to DuckDB's query() table function, which
 * parses it as one SELECT as written: a trailing semicolon or comment in it
 * would break a subquery, and does not break query().
 */
function withEndMarker(sql: string): string {
  return `SELECT *, false AS ${END_MARKER_COLUMN} FROM query(${dollarQuoted(sql)}) UNION ALL BY NAME SELECT true AS ${END_MARKER_COLUMN}`;
}

/** `text` as a dollar-quoted string literal, with a tag that `text` cannot end early. */
export function dollarQuoted(text: string): string {
  for (let n = 0; ; n++) {
    const tag = `$bf${n || ''}$`;
    const quoted = `${tag}${text}${tag}`;
    // The literal ends at the first tag after the opening one: it must be the closing one.
    if (quoted.indexOf(tag, tag.length) === quoted.length - tag.length) return quoted;
  }
}

/**
 * A marked result's chunks (withEndMarker) and how many of each chunk's rows
 * are the query's. Throws when the marker does not come last: the result was
 * cut short, and a cut-short result must never pass for a whole one.
 *
 * Each chunk is reset once the consumer asks for the next one, so it must copy
 * the values out first. A chunk's strings live in native memory that V8 does
 * not see: without the reset they stay until a garbage collection happens to
 * finalize the chunk (streaming 1M rows grew the process by 120–170 MB that
 * way; reset, it stays flat).
 */
async function* markedChunksOf(result: DuckDBResult, clock: QueryClock, connectionName: string): AsyncGenerator<QueryChunk> {
  const marker = result.columnCount - 1;
  let ended = false;
  for (;;) {
    const chunk = await clock.run(() => result.fetchChunk());
    if (!chunk || chunk.rowCount === 0) break;
    try {
      const flags = chunk.getColumnVector(marker);
      const last = flags.getItem(chunk.rowCount - 1) === true;
      const rows = last ? chunk.rowCount - 1 : chunk.rowCount;
      // Anything after the marker, or a marker before the last row.
      let misplaced = ended;
      for (let i = 0; i < rows && !misplaced; i++) misplaced = flags.getItem(i) === true;
      if (misplaced) {
        throw new ConnectorError(`DuckDB connection "${connectionName}": rows came after the end of the result — this is a bug; report it`, {
          code: 'unsupported',
          retryable: false,
          applied: 'no',
        });
      }
      ended = last;
      if (rows > 0) yield { chunk, rows };
    } finally {
      chunk.reset();
    }
  }
  if (!ended) {
    throw new ConnectorError(
      `DuckDB connection "${connectionName}": the query's result ended part-way, and DuckDB's client drops the error of a query that fails while its rows stream (a value that does not convert, an error() call, or running out of memory); none of the result was used — fix: run the query outside Backflow (e.g. the duckdb CLI) to see DuckDB's error and correct the data or the SQL; if DuckDB ran out of memory, raise the connection's memory limit (memoryLimit)`,
      { code: 'bad_request', retryable: false, applied: 'no' },
    );
  }
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
      const { conn, release } = await acquire(ctx.config);
      try {
        await conn.run('SELECT 1');
      } finally {
        release();
      }
      return { ok: true, message: ctx.config.path ? `opened ${path.basename(ctx.config.path)} read-only` : 'in-memory database ready' };
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  },

  async discover(ctx) {
    const { conn, release } = await acquire(ctx.config);
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
      release();
    }
  },

  async describe(sql, ctx) {
    const { conn, release } = await acquire(ctx.config);
    try {
      const prepared = await prepareSelect(conn, sql, ctx.connectionName);
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
      release();
    }
  },

  read(sql, ctx, opts = {}) {
    const batchSize = opts.batchSize ?? 10_000;
    return streamQuery(sql, ctx.config, ctx.connectionName, opts, ctx.signal, async function* (chunks, columns) {
      const { JsonDuckDBValueConverter } = await duckdb();
      const names = distinctNames(columns.names);
      const conversions = columns.types.map((t) => valueConverter(t));
      let batch: SourceRow[] = [];
      for await (const { chunk, rows } of chunks) {
        const values = chunk.convertRows(JsonDuckDBValueConverter);
        for (let r = 0; r < rows; r++) {
          const row: SourceRow = {};
          for (let i = 0; i < names.length; i++) {
            const convert = conversions[i];
            row[names[i]!] = convert ? convert(values[r]![i]) : values[r]![i];
          }
          batch.push(row);
          // Exactly batchSize rows per batch, whatever size DuckDB's chunks are.
          if (batch.length === batchSize) {
            yield batch;
            batch = [];
          }
        }
      }
      if (batch.length) yield batch;
    });
  },

  // The engine's reads: straight from DuckDB's vectors, with no row objects
  // and no JSON conversion.
  readText(sql, ctx, opts = {}) {
    return streamQuery(sql, ctx.config, ctx.connectionName, opts, ctx.signal, async function* (chunks, columns) {
      if (columns.names.length !== 1) {
        throw new ConnectorError(`readText needs a query with one column, got ${columns.names.length}`, { code: 'config', retryable: false, applied: 'no' });
      }
      for await (const { chunk, rows } of chunks) {
        const v = chunk.getColumnVector(0);
        const out = new Array<string | null>(rows);
        for (let i = 0; i < rows; i++) out[i] = v.getItem(i) as string | null;
        yield out;
      }
    });
  },
});

/** Repeated column names told apart as DuckDB's own row objects do: a, a:1, a:2. */
function distinctNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const n = seen.get(name) ?? 0;
    seen.set(name, n + 1);
    return n === 0 ? name : `${name}:${n}`;
  });
}
