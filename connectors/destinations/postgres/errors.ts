/**
 * PostgreSQL failures → Backflow's error model.
 *
 * Row-level failures (data exceptions 22xxx, integrity violations 23xxx,
 * cardinality 21xxx, a trigger's RAISE P0001) reject one row and name its
 * column. Everything else fails the whole write as a ConnectorError that says
 * whether it may have been applied: only a connection lost after COMMIT was
 * sent is 'unknown'; PostgreSQL rolls back every transaction that did not
 * commit, so any earlier failure is 'no'.
 */
import { ConnectorError, type ConnectorErrorCode, type JsonValue } from '../../sdk/types';
import type { TableInfo } from './sql';

export type PgErrorLike = {
  code?: string;
  message: string;
  detail?: string;
  column?: string;
  constraint?: string;
  table?: string;
};

function pgFields(err: unknown): PgErrorLike | null {
  if (!(err instanceof Error)) return null;
  const o = err as Error & Record<string, unknown>;
  const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  const out: PgErrorLike = { message: err.message };
  for (const k of ['code', 'detail', 'column', 'constraint', 'table'] as const) {
    const v = str(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** A SQLSTATE (five characters) — as opposed to a Node system error code. */
function sqlState(err: unknown): string | undefined {
  const code = pgFields(err)?.code;
  return code && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function isRowLevel(err: unknown): boolean {
  const s = sqlState(err);
  if (!s) return false;
  return s.startsWith('22') || s.startsWith('23') || s.startsWith('21') || s === 'P0001';
}

/** The column a row-level error is about, from the error fields or parsed from its text. */
export function columnOf(err: unknown, values: Record<string, JsonValue>, table: TableInfo): string | undefined {
  const e = pgFields(err);
  if (!e) return undefined;
  if (e.column && table.columns.has(e.column)) return e.column;
  // 23505 / 23503: "Key (email)=(a@b.c) already exists."
  const key = e.detail?.match(/^Key \((.+?)\)=/);
  if (key?.[1] && table.columns.has(key[1])) return key[1];
  // 22001: "value too long for type character varying(5)"
  const tooLong = e.message.match(/value too long for type (.+)$/);
  if (tooLong?.[1]) {
    const type = tooLong[1];
    const limit = Number(type.match(/\((\d+)\)/)?.[1] ?? NaN);
    for (const [name, v] of Object.entries(values)) {
      const col = table.columns.get(name);
      if (col?.type === type && typeof v === 'string' && (Number.isNaN(limit) || v.length > limit)) return name;
    }
  }
  // 23514: PostgreSQL names a column check "<table>_<column>_check".
  if (e.constraint) {
    const prefix = `${table.name}_`;
    const middle = e.constraint.startsWith(prefix) && e.constraint.endsWith('_check') ? e.constraint.slice(prefix.length, -'_check'.length) : '';
    if (middle && table.columns.has(middle)) return middle;
  }
  // 22P02, 22003, 22007, 22008: `invalid input syntax for type integer: "abc"` — find the value.
  const quoted = e.message.match(/: "(.*)"$/)?.[1] ?? e.message.match(/^value "(.*)" is out of range/)?.[1];
  if (quoted !== undefined) {
    for (const [name, v] of Object.entries(values)) {
      if (v !== null && String(typeof v === 'object' ? JSON.stringify(v) : v) === quoted) return name;
    }
  }
  return undefined;
}

const ROW_FIXES: Record<string, string> = {
  '23502': 'map a value for this column, or give the column a default',
  '23505': 'another record already holds this value in a unique column; deduplicate the source or drop the unique constraint',
  '23503': 'the referenced record must exist first; sync it before this table',
  '23514': 'send a value the check constraint accepts',
  '22001': 'shorten the value in the map, or widen the column',
  '22003': 'the number does not fit the column type; widen the column or transform the value',
  '22P02': 'cast the value to the column type in the map',
  '22007': 'send dates and timestamps as ISO 8601 text',
  '22008': 'send dates and timestamps as ISO 8601 text',
  '21000': 'two rows of the batch carry the same match value; deduplicate the source',
};

/** Message and field for a rejected row. */
export function rowRejection(
  err: unknown,
  ctx: { connectionName: string; recordKey: string; values: Record<string, JsonValue>; table: TableInfo },
): { field?: string; message: string } {
  const e = pgFields(err);
  const field = columnOf(err, ctx.values, ctx.table);
  const code = e?.code ?? '';
  const fix = ROW_FIXES[code] ?? 'correct the value, or the table definition';
  const about = field ? `column "${field}": ` : '';
  // "Failing row contains (…)" repeats every value of the row: keep personal data out of run records.
  const detail = e?.detail && !e.detail.startsWith('Failing row contains') ? ` (${e.detail})` : '';
  return {
    ...(field ? { field } : {}),
    message: `${ctx.connectionName}: row ${ctx.recordKey} rejected by ${ctx.table.schema}.${ctx.table.name}: ${about}${e?.message ?? String(err)}${detail} — fix: ${fix}`,
  };
}

const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ETIMEDOUT']);

function systemCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    const inner = (cur as { errors?: unknown }).errors;
    if (Array.isArray(inner) && inner[0]) cur = inner[0];
    else cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A whole-write failure. `phase` says how far the transaction got:
 * connect (nothing sent), statements (rolled back by PostgreSQL), or commit
 * (COMMIT was sent: the outcome is unknown if the answer never arrived).
 */
export function toConnectorError(
  err: unknown,
  ctx: { connectionName: string; host: string; port: number; database: string; user: string; phase: 'connect' | 'statements' | 'commit' },
): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const e = pgFields(err);
  const state = sqlState(err);
  const where = `${ctx.connectionName}: PostgreSQL ${ctx.host}:${ctx.port}/${ctx.database}`;
  const make = (code: ConnectorErrorCode, retryable: boolean, text: string, applied: 'no' | 'unknown' = 'no', field?: string) =>
    new ConnectorError(`${where}: ${text}`, { code, retryable, applied, cause: err, ...(field ? { field } : {}) });

  if (state) {
    const msg = e?.message ?? '';
    if (state === '28P01' || state === '28000')
      return make('auth', false, `${msg} — fix: correct the password (or the user "${ctx.user}") of the connection`, 'no', state === '28P01' ? 'password' : 'user');
    if (state === '3D000') return make('config', false, `${msg} — fix: correct the database name of the connection, or create the database`, 'no', 'database');
    if (state === '42501') return make('permission', false, `${msg} — fix: GRANT INSERT, UPDATE, DELETE, SELECT on the table to "${ctx.user}"`);
    if (state === '42P01') return make('not_found', false, `${msg} — fix: create the table, enable "create table" in the sync, or pick another table`);
    if (state === '42703') return make('schema_changed', false, `${msg} — fix: add the column, or remove it from the map and refresh the destination fields`, 'no', e?.column);
    if (state === '53300') return make('rate_limited', true, `${msg} (too many connections) — fix: wait, or raise max_connections`);
    if (state === '57014') return make('timeout', true, `statement cancelled by the statement timeout: ${msg} — fix: raise the connection's statement timeout, or lower the batch size`);
    if (state === '40001' || state === '40P01' || state === '55P03') return make('server', true, `${msg} (transaction conflict; retried)`);
    if (state.startsWith('08') || state.startsWith('57') || state.startsWith('53') || state.startsWith('58') || state === 'XX000')
      return make('server', true, `server error ${state}: ${msg}`, ctx.phase === 'commit' ? 'unknown' : 'no');
    return make('bad_request', false, `${state}: ${msg}`);
  }

  const sys = systemCode(err);
  const text = err instanceof Error ? err.message : String(err);
  if (ctx.phase === 'connect') {
    if (sys && NOT_SENT.has(sys)) {
      return make('network', true, `cannot connect (${sys}) — fix: check the host "${ctx.host}" and port ${ctx.port}, and that the server accepts connections from Backflow`, 'no', 'host');
    }
    if (/timeout/i.test(text)) return make('timeout', true, `connecting timed out — fix: check the host "${ctx.host}", port ${ctx.port} and firewall`, 'no', 'host');
    if (/SSL|TLS|certificate/i.test(text)) return make('config', false, `${text} — fix: adjust the connection's SSL mode`, 'no', 'ssl');
    return make('network', true, `cannot connect: ${text}`, 'no', 'host');
  }
  // The connection broke (or a client-side timeout fired) mid-transaction.
  const applied = ctx.phase === 'commit' ? 'unknown' : 'no';
  const code: ConnectorErrorCode = /timeout/i.test(text) ? 'timeout' : 'network';
  return make(code, true, `${ctx.phase === 'commit' ? 'connection lost while committing; the write may or may not have been applied' : 'connection lost'}: ${text}`, applied);
}
