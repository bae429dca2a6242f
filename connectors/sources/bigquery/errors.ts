/**
 * BigQuery failures (API errors with a reason, token-endpoint refusals, socket
 * errors) → ConnectorError naming the connection, the cause, the fix and the
 * connection field to change.
 */
import { ConnectorError, type ConnectorErrorCode } from '../../sdk/types';
import type { TBigQueryConfig } from './schema';

export type BigQueryErrorScope = {
  connectionName: string;
  config: Pick<TBigQueryConfig, 'location' | 'apiEndpoint' | 'maximumBytesBilled'>;
  projectId: string;
  clientEmail: string;
  timeoutMs?: number;
};

type Failure = { code: ConnectorErrorCode; retryable: boolean; cause: string; fix: string; field?: string };

type ApiErrorShape = { message: string; status: number; reasons: string[]; net: string };

function shape(err: unknown): ApiErrorShape {
  const message = err instanceof Error ? err.message : String(err);
  let status = 0;
  const reasons: string[] = [];
  let net = '';
  let cur: unknown = err;
  for (let i = 0; i < 5 && typeof cur === 'object' && cur !== null; i++) {
    if (!status && 'code' in cur && typeof cur.code === 'number') status = cur.code;
    if (!net && 'code' in cur && typeof cur.code === 'string' && /^E[A-Z]+$/.test(cur.code)) net = cur.code;
    if ('errors' in cur && Array.isArray(cur.errors)) {
      for (const e of cur.errors) if (typeof e === 'object' && e !== null && 'reason' in e && typeof e.reason === 'string') reasons.push(e.reason);
    }
    cur = 'cause' in cur ? cur.cause : undefined;
  }
  return { message, status, reasons, net };
}

function classify(err: unknown, s: BigQueryErrorScope): Failure {
  const { message, status, reasons, net } = shape(err);
  const msg = message.replace(/\s*\n\s*/g, ' ').trim();
  const has = (r: string) => reasons.includes(r);
  if (has('bytesBilledLimitExceeded')) {
    return { code: 'bad_request', retryable: false, field: 'maximumBytesBilled', cause: `${msg} (maximumBytesBilled is ${s.config.maximumBytesBilled ?? 'unset'})`, fix: 'raise maximumBytesBilled, or make the query read less (partition filters, fewer columns)' };
  }
  if (has('timeout') || has('jobTimeout') || /timed out|timeout/i.test(msg)) {
    const secs = s.timeoutMs === undefined ? '' : ` after ${Math.round(s.timeoutMs / 100) / 10} s`;
    return { code: 'timeout', retryable: false, cause: `the query job was cancelled${secs} (statement timeout)`, fix: 'make the query cheaper (partition filters, fewer columns) or raise the statement timeout' };
  }
  if (has('stopped')) return { code: 'timeout', retryable: true, cause: 'the query job was cancelled', fix: 'run it again' };
  if (has('invalidQuery')) return { code: 'bad_request', retryable: false, cause: msg, fix: 'correct the SQL' };
  if (has('notFound') || status === 404) {
    return { code: 'not_found', retryable: false, cause: msg, fix: `check the project, dataset and table names and the location (${s.config.location})` };
  }
  if (has('accessDenied') || status === 403) {
    if (has('rateLimitExceeded') || has('quotaExceeded')) return { code: 'rate_limited', retryable: true, cause: msg, fix: 'wait and retry, or raise the BigQuery quota' };
    return {
      code: 'permission',
      retryable: false,
      cause: msg,
      fix: `grant ${s.clientEmail} the BigQuery Job User role on project ${s.projectId} and BigQuery Data Viewer on the datasets it reads`,
    };
  }
  if (status === 401 || has('authError')) {
    return { code: 'auth', retryable: false, field: 'serviceAccountKey', cause: `BigQuery rejected the credentials of ${s.clientEmail} (${msg})`, fix: 'create a new JSON key for the service account and paste it' };
  }
  if (has('backendError') || has('internalError') || has('jobInternalError') || status >= 500) {
    return { code: 'server', retryable: true, cause: msg, fix: 'try again later' };
  }
  if (net) {
    const where = s.config.apiEndpoint ?? 'https://bigquery.googleapis.com';
    return { code: 'network', retryable: true, field: s.config.apiEndpoint ? 'apiEndpoint' : undefined, cause: `cannot reach ${where} (${net})`, fix: 'check the network path to Google Cloud (and apiEndpoint if set)' };
  }
  if (status === 400) return { code: 'bad_request', retryable: false, cause: msg, fix: 'correct the SQL or the connection settings' };
  return { code: 'server', retryable: false, cause: msg, fix: 'see the job in the BigQuery console' };
}

export function bigQueryError(err: unknown, scope: BigQueryErrorScope): ConnectorError {
  if (err instanceof ConnectorError) return err;
  // The token exchange fails inside the client library; its ConnectorError is the cause.
  let cur: unknown = err;
  for (let i = 0; i < 5 && typeof cur === 'object' && cur !== null; i++) {
    if (cur instanceof ConnectorError) return cur;
    cur = 'cause' in cur ? cur.cause : undefined;
  }
  const f = classify(err, scope);
  return new ConnectorError(`BigQuery connection "${scope.connectionName}": ${f.cause} — fix: ${f.fix}`, {
    code: f.code,
    retryable: f.retryable,
    applied: 'no',
    cause: err,
    ...(f.field ? { field: f.field } : {}),
  });
}
