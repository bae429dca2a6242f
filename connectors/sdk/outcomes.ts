/**
 * From per-row outcomes to write()'s answer, under the SDK contract:
 *   - every row failed at request level → the batch failed: throw, with
 *     applied 'unknown' when any of those requests may have taken effect;
 *   - otherwise one result per row, except rows whose request may have been
 *     applied: they get NO result, which the engine reads as "unknown" (it
 *     looks them up before any retry).
 *
 * For destinations that send one request per row (or per small group) inside a
 * single write() call: Mailchimp, Braze, Meta Audiences, Slack.
 */
import { ConnectorError, type Applied, type RowResult, type WriteRow } from './types';

export type RowOutcome = { row: WriteRow; result: RowResult } | { row: WriteRow; error: ConnectorError };

function withApplied(err: ConnectorError, applied: Applied): ConnectorError {
  if (err.applied === applied) return err;
  return new ConnectorError(err.message, {
    code: err.code,
    retryable: err.retryable,
    applied,
    cause: err,
    ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    ...(err.recordId !== undefined ? { recordId: err.recordId } : {}),
    ...(err.field !== undefined ? { field: err.field } : {}),
    ...(err.status !== undefined ? { status: err.status } : {}),
  });
}

export function settle(outcomes: RowOutcome[]): RowResult[] {
  const failed = outcomes.flatMap((o) => ('error' in o ? [o.error] : []));
  if (failed.length > 0 && failed.length === outcomes.length) {
    throw withApplied(failed[0]!, failed.some((e) => e.applied === 'unknown') ? 'unknown' : 'no');
  }
  const results: RowResult[] = [];
  for (const o of outcomes) {
    if ('result' in o) {
      results.push(o.result);
      continue;
    }
    const e = o.error;
    if (e.applied === 'unknown') continue;
    results.push(
      e.retryable
        ? { recordKey: o.row.recordKey, status: 'retryable', message: e.message, ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}) }
        : { recordKey: o.row.recordKey, status: 'rejected', message: e.message, ...(e.field !== undefined ? { field: e.field } : {}) },
    );
  }
  return results;
}

/** For rows a batch gave up on before sending them, because of `cause`. */
export function notSent(cause: ConnectorError): ConnectorError {
  return new ConnectorError(`not sent: an earlier request of this batch failed (${cause.message})`, {
    code: cause.code,
    retryable: cause.retryable,
    applied: 'no',
    cause,
    ...(cause.retryAfterMs !== undefined ? { retryAfterMs: cause.retryAfterMs } : {}),
  });
}

/** Failures that concern the whole account or object, not one row: stop sending. */
export function isFatal(err: ConnectorError): boolean {
  return err.code === 'auth' || err.code === 'permission' || err.code === 'config' || err.code === 'schema_changed';
}
