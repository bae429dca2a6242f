/**
 * snowflake-sdk errors (Snowflake error codes from the server, driver codes for
 * network failures) → ConnectorError naming the connection, cause, fix and the
 * connection field to change.
 */
import { ConnectorError, type ConnectorErrorCode } from '../../sdk/types';
import type { TSnowflakeConfig } from './schema';

export type SnowflakeErrorScope = {
  connectionName: string;
  config: Pick<TSnowflakeConfig, 'account' | 'user' | 'warehouse' | 'database' | 'role' | 'accessUrl' | 'loginTimeoutSeconds'>;
  keyPair: boolean;
  timeoutMs?: number;
  /** Lines the compile-check wrapper added before the user's SQL. */
  lineOffset?: number;
};

type Failure = { code: ConnectorErrorCode; retryable: boolean; cause: string; fix: string; field?: string };

function read(err: unknown): { message: string; code: string; sqlState: string; cause: unknown } {
  if (typeof err !== 'object' || err === null) return { message: String(err), code: '', sqlState: '', cause: undefined };
  const message = err instanceof Error ? err.message : String(err);
  const code = 'code' in err && (typeof err.code === 'string' || typeof err.code === 'number') ? String(err.code) : '';
  const sqlState = 'sqlState' in err && typeof err.sqlState === 'string' ? err.sqlState : '';
  const cause = 'cause' in err ? err.cause : undefined;
  return { message, code, sqlState, cause };
}

function networkCode(cause: unknown): string {
  let cur = cause;
  for (let i = 0; i < 4 && typeof cur === 'object' && cur !== null; i++) {
    if ('code' in cur && typeof cur.code === 'string') return cur.code;
    cur = 'cause' in cur ? cur.cause : undefined;
  }
  return '';
}

function shiftLines(message: string, offset: number): string {
  if (!offset) return message;
  return message.replace(/line (\d+)/g, (_, n: string) => `line ${Math.max(1, Number(n) - offset)}`);
}

function classify(err: unknown, s: SnowflakeErrorScope): Failure {
  const { message, code, sqlState, cause } = read(err);
  const c = s.config;
  const host = c.accessUrl ?? `https://${c.account}.snowflakecomputing.com`;
  const msg = shiftLines(message.replace(/\s*\n\s*/g, ' ').trim(), s.lineOffset ?? 0);
  switch (code) {
    case '390100':
      return { code: 'auth', retryable: false, field: 'password', cause: `Snowflake rejected user "${c.user}" with this password (${msg})`, fix: 'check the user and password fields' };
    case '390144':
    case '394304':
      return {
        code: 'auth',
        retryable: false,
        field: 'privateKey',
        cause: `Snowflake rejected the key-pair login of user "${c.user}" (${msg})`,
        fix: `check the private key, and that its public key is set on the user (ALTER USER ${c.user} SET RSA_PUBLIC_KEY = '…')`,
      };
    case '390101':
    case '390102':
    case '390103':
      return { code: 'auth', retryable: false, field: 'user', cause: msg, fix: `ask an administrator to enable user "${c.user}"` };
    case '390189':
      return { code: 'config', retryable: false, field: 'role', cause: `role "${c.role ?? ''}" does not exist or is not granted to "${c.user}"`, fix: `correct the role field, or GRANT ROLE ${c.role ?? '<role>'} TO USER ${c.user}` };
    case '390201':
      return { code: 'config', retryable: false, field: 'database', cause: `database "${c.database}" does not exist or is not authorized`, fix: `correct the database field, or GRANT USAGE ON DATABASE ${c.database} TO ROLE ${c.role ?? '<role>'}` };
    case '000606':
      return { code: 'config', retryable: false, field: 'warehouse', cause: `no usable warehouse (warehouse "${c.warehouse}" does not exist, is suspended without auto-resume, or is not granted)`, fix: `correct the warehouse field, or GRANT USAGE ON WAREHOUSE ${c.warehouse} TO ROLE ${c.role ?? '<role>'}` };
    case '000008':
      return { code: 'bad_request', retryable: false, cause: 'the query contains several SQL statements', fix: 'keep a single SELECT statement and remove the others (and the ";" between them)' };
    case '000630': {
      const secs = s.timeoutMs === undefined ? '' : ` after ${Math.round(s.timeoutMs / 100) / 10} s`;
      return { code: 'timeout', retryable: false, cause: `the query was cancelled${secs} (statement timeout)`, fix: 'make the query cheaper, use a bigger warehouse, or raise the statement timeout' };
    }
    case '000604':
      return { code: 'timeout', retryable: true, cause: 'the query was cancelled', fix: 'run it again' };
    case '002003':
      return { code: 'not_found', retryable: false, cause: msg, fix: `check the name; if it exists, GRANT SELECT on it (and USAGE on its database and schema) TO ROLE ${c.role ?? '<role>'}` };
    case '003001':
      return { code: 'permission', retryable: false, cause: msg, fix: `GRANT the privilege TO ROLE ${c.role ?? '<role>'}` };
  }
  if (code === '001003' || code.startsWith('0020') || code.startsWith('0010') || sqlState.startsWith('42')) {
    return { code: 'bad_request', retryable: false, cause: msg, fix: 'correct the SQL' };
  }
  const net = networkCode(cause);
  if (code === '401001' || net) {
    const field = c.accessUrl ? 'accessUrl' : 'account';
    if (net === 'ENOTFOUND' || net === 'EAI_AGAIN') {
      return { code: 'network', retryable: net === 'EAI_AGAIN', field, cause: `${host} cannot be resolved (DNS)`, fix: 'check the account identifier (e.g. myorg-myaccount)' };
    }
    return { code: 'network', retryable: true, field, cause: `cannot reach ${host} (${net || msg})`, fix: `check the ${field} field and that this machine can reach Snowflake` };
  }
  if (/timeout|timed out/i.test(msg)) {
    return { code: 'network', retryable: true, field: c.accessUrl ? 'accessUrl' : 'account', cause: `no answer from ${host} within ${c.loginTimeoutSeconds} s`, fix: 'check the network path to Snowflake' };
  }
  return { code: 'server', retryable: false, cause: `${msg}${code ? ` [${code}]` : ''}`, fix: 'see the query history in Snowflake' };
}

export function snowflakeError(err: unknown, scope: SnowflakeErrorScope): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const f = classify(err, scope);
  return new ConnectorError(`Snowflake connection "${scope.connectionName}": ${f.cause} — fix: ${f.fix}`, {
    code: f.code,
    retryable: f.retryable,
    applied: 'no',
    cause: err,
    ...(f.field ? { field: f.field } : {}),
  });
}
