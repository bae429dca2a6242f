/**
 * Turns whatever pg throws (server errors with a SQLSTATE, socket errors, TLS
 * errors) into a ConnectorError that names the connection, the cause and the
 * fix, and points at the connection field to change where there is one.
 */
import pg from 'pg';
import { ConnectorError, type ConnectorErrorCode } from '../../sdk/types';
import type { TPostgresConfig } from './schema';

export type PgErrorScope = {
  product: string;
  connectionName: string;
  config: Pick<TPostgresConfig, 'host' | 'port' | 'user' | 'database' | 'ssl' | 'connectTimeoutSeconds'>;
  /** The user's SQL, to turn an error position into line and column. */
  sql?: string;
  timeoutMs?: number;
};

type Failure = { code: ConnectorErrorCode; retryable: boolean; cause: string; fix: string; field?: string };

/** 1-based character position → "line L, column C". */
export function lineColumn(sql: string, position: number): string {
  const before = sql.slice(0, Math.max(0, position - 1));
  const lines = before.split('\n');
  return `line ${lines.length}, column ${(lines.at(-1)?.length ?? 0) + 1}`;
}

function socketCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let i = 0; i < 4 && typeof cur === 'object' && cur !== null; i++) {
    if ('code' in cur && typeof cur.code === 'string') return cur.code;
    cur = 'cause' in cur ? cur.cause : undefined;
  }
  return undefined;
}

function classify(err: unknown, s: PgErrorScope): Failure {
  const { host, port, user, database } = s.config;
  const where = `${host}:${port}`;
  if (err instanceof pg.DatabaseError) {
    const msg = err.message;
    const sqlstate = err.code ?? '';
    const at = err.position && s.sql ? ` (${lineColumn(s.sql, Number(err.position))})` : '';
    if (sqlstate === '28P01') {
      return { code: 'auth', retryable: false, field: 'password', cause: `the server rejected the password for user "${user}"`, fix: 'check the user and password fields' };
    }
    if (sqlstate === '28000' && /does not exist/.test(msg)) {
      return { code: 'auth', retryable: false, field: 'user', cause: `user "${user}" does not exist on ${where}`, fix: 'correct the user field' };
    }
    if (sqlstate === '28000') {
      const sslHint = /no encryption|SSL off/i.test(msg) ? 'set SSL to "require"' : `ask the database admin to allow user "${user}" from this machine (pg_hba.conf)`;
      return { code: 'permission', retryable: false, field: /no encryption|SSL off/i.test(msg) ? 'ssl' : 'user', cause: msg, fix: sslHint };
    }
    if (sqlstate === '3D000') {
      return { code: 'config', retryable: false, field: 'database', cause: `database "${database}" does not exist on ${where}`, fix: 'correct the database field' };
    }
    if (sqlstate === '42501') {
      const table = /permission denied for (?:table|relation|view|materialized view) (\S+)/.exec(msg)?.[1];
      return {
        code: 'permission',
        retryable: false,
        cause: msg,
        fix: table ? `ask the owner to run GRANT SELECT ON ${table} TO "${user}"` : `grant user "${user}" the privileges this query needs (USAGE on the schema, SELECT on the tables)`,
      };
    }
    if (sqlstate === '25006') {
      return {
        code: 'bad_request',
        retryable: false,
        cause: `only SELECT queries can be used as a source; the server refused: ${msg}`,
        fix: 'write a SELECT (or WITH … SELECT) that only reads data — Backflow never writes to a source',
      };
    }
    if (sqlstate === '42601' && /multiple commands/.test(msg)) {
      return { code: 'bad_request', retryable: false, cause: 'the query contains several SQL statements', fix: 'keep a single SELECT statement and remove the others (and the ";" between them)' };
    }
    if (sqlstate === '57014') {
      if (/statement timeout/.test(msg)) {
        const secs = s.timeoutMs === undefined ? '' : ` after ${Math.round(s.timeoutMs / 100) / 10} s`;
        return { code: 'timeout', retryable: false, cause: `the query was cancelled${secs} (statement timeout)`, fix: 'make the query cheaper (filters, indexes, a pre-built table) or raise the statement timeout' };
      }
      return { code: 'timeout', retryable: true, cause: 'the query was cancelled', fix: 'run it again' };
    }
    if (sqlstate === '42P01' || sqlstate === '3F000') {
      return { code: 'not_found', retryable: false, cause: `${msg}${at}`, fix: 'check the schema and table names (discover lists the tables this user can read)' };
    }
    if (sqlstate === '42703') {
      return { code: 'bad_request', retryable: false, cause: `${msg}${at}`, fix: 'check the column names (describe or discover list them)' };
    }
    if (sqlstate.startsWith('42') || sqlstate.startsWith('22')) {
      return { code: 'bad_request', retryable: false, cause: `${msg}${at}`, fix: 'correct the SQL' };
    }
    if (sqlstate === '53300' || sqlstate.startsWith('57P') || sqlstate.startsWith('08') || sqlstate === '40001' || sqlstate === '40P01') {
      return { code: 'server', retryable: true, cause: msg, fix: 'try again; if it persists, ask the database admin' };
    }
    return { code: 'server', retryable: false, cause: `${msg}${sqlstate ? ` [SQLSTATE ${sqlstate}]` : ''}`, fix: 'see the database server log' };
  }

  const msg = err instanceof Error ? err.message : String(err);
  const code = socketCode(err);
  if (code === 'ECONNREFUSED') {
    return { code: 'network', retryable: true, field: 'host', cause: `cannot reach ${where} (connection refused)`, fix: 'check the host and port fields, and that the server accepts TCP connections from this machine' };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return { code: 'network', retryable: code === 'EAI_AGAIN', field: 'host', cause: `host "${host}" cannot be resolved (DNS)`, fix: 'correct the host field' };
  }
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || /connection timeout|timeout expired/i.test(msg)) {
    return {
      code: 'network',
      retryable: true,
      field: 'host',
      cause: `no answer from ${where} within ${s.config.connectTimeoutSeconds} s`,
      fix: 'check the host and port fields, and that a firewall lets this machine through',
    };
  }
  if (/does not support SSL/i.test(msg)) {
    return { code: 'config', retryable: false, field: 'ssl', cause: `${where} does not accept TLS connections`, fix: 'set SSL to "disable" (only on a trusted network)' };
  }
  if (code?.startsWith('ERR_TLS') || /certificate|self[- ]signed/i.test(msg)) {
    return { code: 'config', retryable: false, field: 'ssl', cause: `TLS certificate check failed: ${msg}`, fix: 'paste the server\'s CA certificate into "SSL CA", or set SSL to "require" to encrypt without checking' };
  }
  if (code === 'ECONNRESET' || /Connection terminated/i.test(msg)) {
    return { code: 'network', retryable: true, cause: `the connection to ${where} was closed (${msg})`, fix: 'try again; if it persists, check the server and the network' };
  }
  return { code: 'server', retryable: false, cause: msg, fix: 'see the message above' };
}

export function pgError(err: unknown, scope: PgErrorScope): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const f = classify(err, scope);
  return new ConnectorError(`${scope.product} connection "${scope.connectionName}": ${f.cause} — fix: ${f.fix}`, {
    code: f.code,
    retryable: f.retryable,
    applied: 'no',
    cause: err,
    ...(f.field ? { field: f.field } : {}),
  });
}
