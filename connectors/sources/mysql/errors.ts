/**
 * mysql2 errors (server errno, socket and TLS errors) → ConnectorError naming
 * the connection, the cause, the fix and the connection field to change.
 */
import { ConnectorError, type ConnectorErrorCode } from '../../sdk/types';
import type { TMySqlConfig } from './schema';

export type MySqlErrorScope = {
  product: string;
  connectionName: string;
  config: Pick<TMySqlConfig, 'host' | 'port' | 'user' | 'database' | 'connectTimeoutSeconds'>;
  timeoutMs?: number;
};

type Failure = { code: ConnectorErrorCode; retryable: boolean; cause: string; fix: string; field?: string };

type ErrorFields = { message: string; errno?: number; code?: string; sqlState?: string };

function fieldsOf(err: unknown): ErrorFields {
  if (typeof err !== 'object' || err === null) return { message: String(err) };
  const message = err instanceof Error ? err.message : String(err);
  const errno = 'errno' in err && typeof err.errno === 'number' ? err.errno : undefined;
  const code = 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  const sqlState = 'sqlState' in err && typeof err.sqlState === 'string' ? err.sqlState : undefined;
  return { message, ...(errno === undefined ? {} : { errno }), ...(code === undefined ? {} : { code }), ...(sqlState === undefined ? {} : { sqlState }) };
}

const TIMEOUT_ERRNOS = new Set([1969 /* MariaDB max_statement_time */, 3024 /* MySQL max_execution_time */]);

function classify(err: unknown, s: MySqlErrorScope): Failure {
  const { host, port, user, database } = s.config;
  const where = `${host}:${port}`;
  const { message: msg, errno, code, sqlState } = fieldsOf(err);

  switch (errno) {
    case 1045:
      return { code: 'auth', retryable: false, field: 'password', cause: `the server rejected user "${user}" with this password (${msg})`, fix: 'check the user and password fields' };
    case 1044:
      return { code: 'permission', retryable: false, field: 'database', cause: `user "${user}" may not use database "${database}"`, fix: `ask the admin to GRANT SELECT ON \`${database}\`.* TO '${user}'@'%'` };
    case 1049:
      return { code: 'config', retryable: false, field: 'database', cause: `database "${database}" does not exist on ${where}`, fix: 'correct the database field' };
    case 1142:
    case 1143: {
      const table = /for table (\S+)/.exec(msg)?.[1]?.replace(/[`']/g, '') ?? '';
      const target = table.includes('.') ? table : `${database}.${table || '<table>'}`;
      return { code: 'permission', retryable: false, cause: msg, fix: `ask the admin to GRANT SELECT ON ${target} TO '${user}'@'%'` };
    }
    case 1064:
      return { code: 'bad_request', retryable: false, cause: `syntax error: ${msg.replace(/^You have an error in your SQL syntax; check the manual that corresponds to your \S+ server version for the right syntax to use /, '')}`, fix: 'correct the SQL' };
    case 1146:
    case 1109:
      return { code: 'not_found', retryable: false, cause: msg, fix: 'check the database and table names (discover lists the tables this user can read)' };
    case 1052:
    case 1054:
      return { code: 'bad_request', retryable: false, cause: msg, fix: 'check the column names (describe or discover list them)' };
    case 1060:
      return { code: 'bad_request', retryable: false, cause: `the query returns two columns with the same name (${msg})`, fix: 'give each column its own name with AS' };
    case 1792:
      return {
        code: 'bad_request',
        retryable: false,
        cause: `only SELECT queries can be used as a source; the server refused: ${msg}`,
        fix: 'write a SELECT that only reads data — Backflow never writes to a source',
      };
    case 1317:
      return { code: 'timeout', retryable: true, cause: 'the query was cancelled', fix: 'run it again' };
    case 1040:
    case 1203:
    case 1205:
    case 1213:
    case 2013:
    case 2006:
      return { code: 'server', retryable: true, cause: msg, fix: 'try again; if it persists, ask the database admin' };
  }
  if (errno !== undefined && TIMEOUT_ERRNOS.has(errno)) {
    const secs = s.timeoutMs === undefined ? '' : ` after ${Math.round(s.timeoutMs / 100) / 10} s`;
    return { code: 'timeout', retryable: false, cause: `the query was cancelled${secs} (statement timeout)`, fix: 'make the query cheaper (filters, indexes, a pre-built table) or raise the statement timeout' };
  }
  if (sqlState?.startsWith('42') || sqlState?.startsWith('22')) {
    return { code: 'bad_request', retryable: false, cause: msg, fix: 'correct the SQL' };
  }
  if (code === 'ECONNREFUSED') {
    return { code: 'network', retryable: true, field: 'host', cause: `cannot reach ${where} (connection refused)`, fix: 'check the host and port fields, and that the server accepts TCP connections from this machine' };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return { code: 'network', retryable: code === 'EAI_AGAIN', field: 'host', cause: `host "${host}" cannot be resolved (DNS)`, fix: 'correct the host field' };
  }
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return { code: 'network', retryable: true, field: 'host', cause: `no answer from ${where} within ${s.config.connectTimeoutSeconds} s`, fix: 'check the host and port fields, and that a firewall lets this machine through' };
  }
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT' || /does not support secure connection/i.test(msg)) {
    return { code: 'config', retryable: false, field: 'ssl', cause: `${where} does not accept TLS connections`, fix: 'set SSL to "disable" (only on a trusted network)' };
  }
  if (code?.startsWith('ERR_TLS') || /certificate|self[- ]signed/i.test(msg)) {
    return { code: 'config', retryable: false, field: 'ssl', cause: `TLS certificate check failed: ${msg}`, fix: 'paste the server\'s CA certificate into "SSL CA", or set SSL to "require" to encrypt without checking' };
  }
  if (code === 'PROTOCOL_CONNECTION_LOST' || code === 'ECONNRESET' || code === 'EPIPE') {
    return { code: 'network', retryable: true, cause: `the connection to ${where} was closed (${msg})`, fix: 'try again; if it persists, check the server and the network' };
  }
  return { code: 'server', retryable: false, cause: `${msg}${errno ? ` [errno ${errno}]` : ''}`, fix: 'see the database server log' };
}

export function mysqlError(err: unknown, scope: MySqlErrorScope): ConnectorError {
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
