/**
 * Salesforce destination: any sObject through the REST API.
 *
 *   upsert  → sObject Collections PATCH /composite/sobjects/<Object>/<ExternalIdField>
 *             (≤ 200 records per request, allOrNone=false, per-record results);
 *             Bulk API 2.0 ingest jobs when a batch holds options.bulkThreshold
 *             rows or more (options.bulk = 'auto'), or always / never.
 *   create  → POST /composite/sobjects (objects without an External ID field; not idempotent)
 *   update  → PATCH /composite/sobjects by record Id (found by lookup when unknown)
 *   delete  → DELETE /composite/sobjects?ids=… (already-deleted counts as done)
 *   lookup  → SOQL SELECT Id, <field> FROM <Object> WHERE <field> IN (…), a
 *             consistent read of committed records.
 */
import { z } from 'zod';
import { defineConnector } from '../../sdk/define';
import { ConnectorError, isConnectorError, type JsonValue, type LookupResult, type RowResult, type WriteContext, type WriteRow } from '../../sdk/types';
import { checkName, sfRequest, ZSalesforceErrors } from './api';
import type { SalesforceContext } from './auth';
import { bulkUpsert } from './bulk';
import { discoverObjects } from './objects';
import {
  ZSalesforceConfig,
  ZSalesforceCredentials,
  ZSalesforceOptions,
  type TSalesforceConfig,
  type TSalesforceCredentials,
  type TSalesforceOptions,
} from './schema';

type Ctx = WriteContext<TSalesforceCredentials, TSalesforceConfig, TSalesforceOptions>;

const MAX_COLLECTION = 200;
/** Rows per write() call; batches this large go through Bulk API 2.0 by default. */
const BATCH_SIZE = 10_000;
/** Keep a SOQL GET well under Salesforce's 16,384-character URI limit. */
const MAX_SOQL_CHARS = 8_000;

const ZSaveResults = z.array(
  z
    .object({
      id: z.string().nullable().optional(),
      success: z.boolean(),
      created: z.boolean().optional(),
      errors: ZSalesforceErrors.element.extend({ statusCode: z.string().optional() }).array().default([]),
    })
    .loose(),
);
type TSaveResult = z.infer<typeof ZSaveResults>[number];

const ZQuery = z
  .object({
    records: z.array(z.record(z.string(), z.unknown())),
    nextRecordsUrl: z.string().optional(),
  })
  .loose();

/** SOQL compares external ids case-insensitively. */
const norm = (s: string) => s.toLowerCase();

/** SOQL string literal: backslash escapes for quotes, backslashes and control characters. */
export function soqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}'`;
}

function toValue(v: JsonValue): JsonValue {
  // Multi-select picklists take "a;b"; structured values go in as JSON text.
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(';');
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return v;
}

function sobjectFields(row: WriteRow, withMatch: boolean): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(row.fields)) out[k] = toValue(v);
  if (withMatch) out[row.match.field] = row.match.value;
  return out;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const GONE = new Set(['ENTITY_IS_DELETED', 'INVALID_CROSS_REFERENCE_KEY']);

function fromSave(row: WriteRow, r: TSaveResult): RowResult {
  if (r.success) return { recordKey: row.recordKey, status: 'accepted', ...(r.id ? { externalId: r.id } : {}) };
  const e = r.errors[0];
  const code = e?.statusCode ?? e?.errorCode ?? 'ERROR';
  const field = e?.fields?.[0];
  // Unlocking and row-lock contention are transient; Salesforce asks to retry.
  if (code === 'UNABLE_TO_LOCK_ROW') return { recordKey: row.recordKey, status: 'retryable', message: `Salesforce: ${code}: ${e?.message ?? ''}` };
  return {
    recordKey: row.recordKey,
    status: 'rejected',
    ...(field ? { field } : {}),
    message: `Salesforce rejected the record (${code}): ${e?.message ?? 'no message'}`,
  };
}

/** Record ids by match value, through SOQL (consistent), chunked to keep URLs short. */
async function findIds(ctx: SalesforceContext, object: string, field: string, values: string[]): Promise<Map<string, string>> {
  checkName(ctx, 'object', object);
  checkName(ctx, 'field', field);
  const found = new Map<string, string>();
  const pending = [...new Set(values)];
  while (pending.length) {
    const part: string[] = [];
    let size = 0;
    while (pending.length && part.length < MAX_COLLECTION && size + soqlString(pending[0]!).length < MAX_SOQL_CHARS) {
      const v = pending.shift()!;
      part.push(v);
      size += soqlString(v).length + 1;
    }
    if (!part.length) part.push(pending.shift()!);
    const select = field === 'Id' ? 'Id' : `Id, ${field}`;
    let path: string | undefined = `/query?q=${encodeURIComponent(`SELECT ${select} FROM ${object} WHERE ${field} IN (${part.map(soqlString).join(',')})`)}`;
    while (path) {
      const page = ZQuery.parse((await sfRequest(ctx, { method: 'GET', path, object })).body);
      for (const rec of page.records) {
        const id = typeof rec.Id === 'string' ? rec.Id : undefined;
        const v = rec[field];
        if (id && (typeof v === 'string' || typeof v === 'number')) {
          if (!found.has(norm(String(v)))) found.set(norm(String(v)), id);
          else ctx.log.warn(`Salesforce ${object}: several records have ${field} = ${String(v)}; using ${found.get(norm(String(v)))}`);
        }
      }
      path = page.nextRecordsUrl;
    }
  }
  return found;
}

type Op = (rows: WriteRow[]) => Promise<void>;

async function writeBatch(rows: WriteRow[], ctx: Ctx): Promise<RowResult[]> {
  if (rows.length === 0) return [];
  const object = checkName(ctx, 'object', ctx.object);
  const out = new Map<string, RowResult>();
  let applied = false;

  const save = async (method: 'POST' | 'PATCH', path: string, sent: WriteRow[], records: Record<string, JsonValue>[]) => {
    const res = await sfRequest(ctx, { method, path, object, body: { allOrNone: false, records } });
    applied = true;
    const results = ZSaveResults.parse(res.body);
    sent.forEach((row, i) => {
      const r = results[i];
      if (r) out.set(row.recordKey, fromSave(row, r));
    });
  };

  /** One record per match value and request: later duplicates are refused here. */
  const unique = (group: WriteRow[]): WriteRow[] => {
    const seen = new Set<string>();
    return group.filter((r) => {
      const k = norm(r.match.value);
      if (!seen.has(k)) return seen.add(k), true;
      out.set(r.recordKey, {
        recordKey: r.recordKey,
        status: 'rejected',
        field: r.match.field,
        message: `another row in the same batch has ${r.match.field} = ${r.match.value}; Salesforce keeps one record per external id — fix: make the match key unique in the source`,
      });
      return false;
    });
  };

  const upsert: Op = async (group) => {
    const field = checkName(ctx, 'field', group[0]!.match.field);
    const sent = unique(group);
    const bulk = ctx.options.bulk === 'always' || (ctx.options.bulk === 'auto' && sent.length >= ctx.options.bulkThreshold);
    if (bulk && sent.length) {
      const results = await bulkUpsert(ctx, object, field, sent, ctx.options);
      applied = true;
      for (const [k, v] of results) out.set(k, v);
      return;
    }
    for (const part of chunks(sent, MAX_COLLECTION)) {
      await save(
        'PATCH',
        `/composite/sobjects/${object}/${field}`,
        part,
        part.map((r) => ({ attributes: { type: object }, ...sobjectFields(r, true) })),
      );
    }
  };

  const create: Op = async (group) => {
    for (const part of chunks(group, MAX_COLLECTION)) {
      await save('POST', '/composite/sobjects', part, part.map((r) => ({ attributes: { type: object }, ...sobjectFields(r, true) })));
    }
  };

  /** Rows with their record Id: known from sync state, or found by SOQL. */
  const resolveIds = async (group: WriteRow[]): Promise<{ found: { row: WriteRow; id: string }[]; missing: WriteRow[] }> => {
    const found = group.filter((r) => r.externalId).map((r) => ({ row: r, id: r.externalId! }));
    const unknown = group.filter((r) => !r.externalId);
    const missing: WriteRow[] = [];
    if (unknown.length) {
      const ids = await findIds(ctx, object, unknown[0]!.match.field, unknown.map((r) => r.match.value));
      for (const r of unknown) {
        const id = ids.get(norm(r.match.value));
        if (id) found.push({ row: r, id });
        else missing.push(r);
      }
    }
    return { found, missing };
  };

  const update: Op = async (group) => {
    const { found, missing } = await resolveIds(group);
    for (const r of missing) {
      out.set(r.recordKey, {
        recordKey: r.recordKey,
        status: 'rejected',
        field: r.match.field,
        message: `no ${object} record has ${r.match.field} = ${r.match.value}; update mode never creates records`,
      });
    }
    for (const part of chunks(found, MAX_COLLECTION)) {
      await save(
        'PATCH',
        '/composite/sobjects',
        part.map((x) => x.row),
        part.map((x) => ({ attributes: { type: object }, id: x.id, ...sobjectFields(x.row, true) })),
      );
    }
  };

  const remove: Op = async (group) => {
    const { found, missing } = await resolveIds(group);
    // Not there: nothing to delete, which is what mirror wants.
    for (const r of missing) out.set(r.recordKey, { recordKey: r.recordKey, status: 'accepted' });
    for (const part of chunks(found, MAX_COLLECTION)) {
      const ids = part.map((x) => x.id);
      const res = await sfRequest(ctx, { method: 'DELETE', path: `/composite/sobjects?ids=${ids.map(encodeURIComponent).join(',')}&allOrNone=false`, object });
      applied = true;
      const results = ZSaveResults.parse(res.body);
      part.forEach((x, i) => {
        const r = results[i];
        if (!r) return;
        const gone = !r.success && r.errors.some((e) => GONE.has(e.statusCode ?? e.errorCode));
        out.set(x.row.recordKey, gone || r.success ? { recordKey: x.row.recordKey, status: 'accepted', externalId: x.id } : fromSave(x.row, r));
      });
    }
  };

  const ops: Record<WriteRow['op'], Op | undefined> = { upsert, create, update, delete: remove, add: undefined, remove: undefined };
  const groups = new Map<WriteRow['op'], WriteRow[]>();
  for (const r of rows) groups.set(r.op, [...(groups.get(r.op) ?? []), r]);

  try {
    for (const [op, group] of groups) {
      const run = ops[op];
      if (run) await run(group);
      else for (const r of group) out.set(r.recordKey, { recordKey: r.recordKey, status: 'rejected', message: `Salesforce ${object} records do not support the "${op}" operation` });
    }
  } catch (err) {
    if (!applied || !isConnectorError(err)) throw err;
    // Part of this batch is already saved: keep those results.
    if (err.retryable) {
      for (const r of rows) {
        if (!out.has(r.recordKey)) {
          out.set(r.recordKey, { recordKey: r.recordKey, status: 'retryable', message: err.message, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) });
        }
      }
    } else {
      throw new ConnectorError(err.message, { code: err.code, retryable: false, applied: 'unknown', ...(err.field ? { field: err.field } : {}), cause: err });
    }
  }
  return rows.map((r) => out.get(r.recordKey) ?? { recordKey: r.recordKey, status: 'retryable', message: 'Salesforce returned no result for this row' });
}

export const salesforceDestination = defineConnector({
  slug: 'salesforce',
  kind: 'destination',
  displayName: 'Salesforce',
  icon: '☁️',
  description: 'Any Salesforce sObject: upsert by External ID (sObject Collections, or Bulk API 2.0 for large batches).',
  credentialsSchema: ZSalesforceCredentials,
  configSchema: ZSalesforceConfig,
  optionsSchema: ZSalesforceOptions,
  capabilities: {
    writes: 'records',
    modes: ['upsert', 'update', 'insert', 'mirror'],
    batchSize: BATCH_SIZE,
    // Salesforce meters requests per rolling 24 h (REQUEST_LIMIT_EXCEEDED), not
    // per second; this pace keeps a sync from burning an org's allocation in minutes.
    rateLimit: { requestsPerSecond: 10, burst: 10 },
    deletes: true,
    idempotencyKey: false,
    consistentLookup: true,
    setOnlyIfEmpty: false,
  },

  async test(ctx) {
    try {
      const res = await sfRequest(ctx, { method: 'GET', path: '/limits' });
      const limits = z.object({ DailyApiRequests: z.object({ Max: z.number(), Remaining: z.number() }).loose().optional() }).loose().safeParse(res.body);
      const daily = limits.success ? limits.data.DailyApiRequests : undefined;
      return { ok: true, message: daily ? `connected; ${daily.Remaining} of ${daily.Max} daily API requests left` : 'connected' };
    } catch (err) {
      if (!isConnectorError(err)) throw err;
      return { ok: false, message: err.message, code: err.code };
    }
  },

  async discover(ctx) {
    return { objects: await discoverObjects(ctx) };
  },

  write: writeBatch,

  async lookup(requests, ctx): Promise<LookupResult[]> {
    if (requests.length === 0) return [];
    const byField = new Map<string, string[]>();
    for (const r of requests) byField.set(r.match.field, [...(byField.get(r.match.field) ?? []), r.match.value]);
    const found = new Map<string, Map<string, string>>();
    for (const [field, values] of byField) found.set(field, await findIds(ctx, ctx.object, field, values));
    return requests.map((r) => ({ recordKey: r.recordKey, externalId: found.get(r.match.field)?.get(norm(r.match.value)) ?? null }));
  },
});
