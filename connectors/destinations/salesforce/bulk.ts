/**
 * Bulk API 2.0 upsert of one batch: create an ingest job, upload the rows as
 * CSV, mark the upload complete, poll until the job ends, then read the
 * successful, failed and unprocessed records back and map them to rows by
 * their external id value.
 *
 * Whether anything was applied: nothing is processed before UploadComplete, so
 * a failure up to there aborts the job and is applied 'no'. If the
 * UploadComplete answer is lost, the job's state says whether it was taken.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { ConnectorError, isConnectorError, type JsonValue, type RowResult, type WriteRow } from '../../sdk/types';
import { sfRequest } from './api';
import type { SalesforceContext } from './auth';
import { csvObjects, toCsv } from './csv';
import type { TSalesforceOptions } from './schema';

/** Salesforce accepts up to 150 MB per upload (base64-encoded); stay well below. */
const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

const ZJob = z
  .object({
    id: z.string(),
    state: z.enum(['Open', 'UploadComplete', 'InProgress', 'JobComplete', 'Failed', 'Aborted']),
    numberRecordsProcessed: z.number().default(0),
    numberRecordsFailed: z.number().default(0),
    errorMessage: z.string().optional(),
  })
  .loose();
type TJob = z.infer<typeof ZJob>;

/** Bulk API 2.0 CSV: empty leaves a field unchanged, #N/A sets it to null. */
function csvValue(v: JsonValue | undefined): string {
  if (v === undefined) return '';
  if (v === null) return '#N/A';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(';');
  return JSON.stringify(v);
}

/** "STATUS_CODE:message:Field1,Field2 --" → its parts. */
export function parseBulkError(s: string): { code: string; message: string; field?: string } {
  const m = /^([A-Z_]+):(.*?)(?::([A-Za-z0-9_,]*))?\s*--\s*$/s.exec(s);
  if (!m) return { code: 'ERROR', message: s };
  const field = m[3]?.split(',').filter(Boolean)[0];
  return { code: m[1]!, message: m[2]!, ...(field ? { field } : {}) };
}

function uploads(header: string[], lines: string[][]): string[] {
  const out: string[] = [];
  let part: string[][] = [];
  let size = 0;
  for (const l of lines) {
    const bytes = Buffer.byteLength(toCsv([l]));
    if (part.length && size + bytes > MAX_UPLOAD_BYTES) {
      out.push(toCsv([header, ...part]));
      part = [];
      size = 0;
    }
    part.push(l);
    size += bytes;
  }
  if (part.length) out.push(toCsv([header, ...part]));
  return out;
}

export async function bulkUpsert(
  ctx: SalesforceContext,
  object: string,
  field: string,
  rows: WriteRow[],
  opts: TSalesforceOptions,
): Promise<Map<string, RowResult>> {
  const out = new Map<string, RowResult>();
  const columns = [field, ...new Set(rows.flatMap((r) => Object.keys(r.fields)).filter((k) => k !== field))];
  const lines = rows.map((r) => columns.map((c) => (c === field ? r.match.value : csvValue(r.fields[c]))));
  const base = '/jobs/ingest';

  const created = await sfRequest(ctx, {
    method: 'POST',
    path: base,
    object,
    body: { object, externalIdFieldName: field, contentType: 'CSV', operation: 'upsert', lineEnding: 'LF', columnDelimiter: 'COMMA' },
  });
  const jobId = ZJob.parse(created.body).id;
  const job = `${base}/${jobId}`;

  try {
    for (const csv of uploads(columns, lines)) await sfRequest(ctx, { method: 'PUT', path: `${job}/batches`, body: csv, contentType: 'text/csv', object });
  } catch (err) {
    // Nothing is processed while the job is open: abort it, and the batch was not applied.
    await sfRequest(ctx, { method: 'PATCH', path: job, body: { state: 'Aborted' }, object }).catch(() => {});
    if (isConnectorError(err)) throw new ConnectorError(`${err.message} (Bulk API job ${jobId} aborted)`, { code: err.code, retryable: err.retryable, applied: 'no', cause: err });
    throw err;
  }

  try {
    await sfRequest(ctx, { method: 'PATCH', path: job, body: { state: 'UploadComplete' }, object });
  } catch (err) {
    // The answer may be lost although Salesforce took the job: ask it.
    const state = await jobInfo(ctx, job, object).catch(() => undefined);
    if (!state) {
      throw new ConnectorError(`Salesforce connection "${ctx.connectionName}": closing Bulk API job ${jobId} failed and its state is unknown`, {
        code: 'network',
        retryable: true,
        applied: 'unknown',
        cause: err,
      });
    }
    if (state.state === 'Open') {
      await sfRequest(ctx, { method: 'PATCH', path: job, body: { state: 'Aborted' }, object }).catch(() => {});
      if (!isConnectorError(err)) throw err;
      throw new ConnectorError(`${err.message} (Bulk API job ${jobId} aborted)`, { code: err.code, retryable: err.retryable, applied: 'no', cause: err });
    }
    // Otherwise Salesforce took the upload: wait for the job like any other.
  }

  const final = await waitForJob(ctx, job, jobId, object, opts);
  if (final.state === 'Failed' || final.state === 'Aborted') {
    const notFound = /Field name not found : ([A-Za-z0-9_]+)/.exec(final.errorMessage ?? '');
    const applied = final.numberRecordsProcessed > 0 ? 'unknown' : 'no';
    if (notFound) {
      throw new ConnectorError(
        `Salesforce connection "${ctx.connectionName}": field "${notFound[1]}" does not exist on ${object} (Bulk API job ${jobId}: ${final.errorMessage}) — fix: create the field or grant field-level access, or remove it from the map and refresh the destination schema`,
        { code: 'schema_changed', retryable: false, applied, field: notFound[1]! },
      );
    }
    if (final.numberRecordsProcessed === 0) {
      throw new ConnectorError(`Salesforce connection "${ctx.connectionName}": Bulk API job ${jobId} ${final.state.toLowerCase()}: ${final.errorMessage ?? 'no reason given'} — fix: check the job under Setup → Bulk Data Load Jobs`, {
        code: 'server',
        retryable: true,
        applied,
      });
    }
  }

  // Results come back in any order: map them by external id value.
  const byValue = new Map(rows.map((r) => [r.match.value.toLowerCase(), r]));
  const rowOf = (rec: Record<string, string>) => byValue.get((rec[field] ?? '').toLowerCase());
  const csv = async (what: string) => csvObjects((await sfRequest(ctx, { method: 'GET', path: `${job}/${what}`, object })).text);
  for (const rec of await csv('successfulResults')) {
    const row = rowOf(rec);
    if (row) out.set(row.recordKey, { recordKey: row.recordKey, status: 'accepted', ...(rec.sf__Id ? { externalId: rec.sf__Id } : {}) });
  }
  for (const rec of await csv('failedResults')) {
    const row = rowOf(rec);
    if (!row) continue;
    const e = parseBulkError(rec.sf__Error ?? '');
    out.set(row.recordKey, {
      recordKey: row.recordKey,
      status: 'rejected',
      ...(e.field ? { field: e.field } : {}),
      message: `Salesforce rejected the record (${e.code}): ${e.message}`,
    });
  }
  for (const rec of await csv('unprocessedrecords')) {
    const row = rowOf(rec);
    if (row) out.set(row.recordKey, { recordKey: row.recordKey, status: 'retryable', message: `not processed by Bulk API job ${jobId}` });
  }
  return out;
}

async function jobInfo(ctx: SalesforceContext, job: string, object: string): Promise<TJob> {
  return ZJob.parse((await sfRequest(ctx, { method: 'GET', path: job, object })).body);
}

async function waitForJob(ctx: SalesforceContext, job: string, jobId: string, object: string, opts: TSalesforceOptions): Promise<TJob> {
  const deadline = Date.now() + opts.bulkTimeoutMs;
  for (;;) {
    try {
      const info = await jobInfo(ctx, job, object);
      if (info.state === 'JobComplete' || info.state === 'Failed' || info.state === 'Aborted') return info;
    } catch (err) {
      // A poll that fails transiently says nothing about the job: poll again.
      if (!isConnectorError(err) || !err.retryable) throw err;
    }
    if (Date.now() > deadline) {
      throw new ConnectorError(`Salesforce connection "${ctx.connectionName}": Bulk API job ${jobId} did not finish within ${Math.round(opts.bulkTimeoutMs / 1000)} s — fix: check the job under Setup → Bulk Data Load Jobs; the rows are retried after a lookup`, {
        code: 'timeout',
        retryable: true,
        applied: 'unknown',
      });
    }
    await sleep(opts.bulkPollIntervalMs, undefined, { signal: ctx.signal });
  }
}
