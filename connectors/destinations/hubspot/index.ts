/**
 * HubSpot destination: contacts, companies and custom objects through the CRM
 * v3 batch endpoints (100 inputs per request).
 *
 *   upsert  → batch/upsert by a unique property (idempotent)
 *   create  → batch/create, for objects without a unique property (NOT idempotent:
 *             the engine guards it with delivery intents + lookup)
 *   update  → batch/update by record id, or by a unique property
 *   delete  → batch/archive by record id (found by lookup when unknown)
 *   lookup  → batch/read by a unique property (consistent); objects without one
 *             fall back to search, which HubSpot indexes asynchronously — hence
 *             capabilities.consistentLookup = false (see README).
 *
 * Every input carries an objectWriteTraceId so HubSpot answers 207 multi-status
 * with per-input errors instead of failing the whole batch.
 */
import { z } from 'zod';
import { defineConnector } from '../../sdk/define';
import { ConnectorError, isConnectorError, type JsonValue, type LookupResult, type RowResult, type WriteContext, type WriteRow } from '../../sdk/types';
import { hubspotRequest, propertyProblems, ZHubSpotError } from './api';
import type { HubSpotContext } from './auth';
import { discoverObjects, forgetObjectMeta, objectMeta, type ObjectMeta } from './objects';
import { ZHubSpotConfig, ZHubSpotCredentials, ZHubSpotOptions, type THubSpotConfig, type THubSpotCredentials, type THubSpotOptions } from './schema';

type Ctx = WriteContext<THubSpotCredentials, THubSpotConfig, THubSpotOptions>;

const MAX_BATCH = 100;
const SEARCH_PAGE = 200;

const ZBatchResponse = z
  .object({
    results: z
      .array(
        z
          .object({
            id: z.string(),
            objectWriteTraceId: z.string().optional(),
            properties: z.record(z.string(), z.string().nullable()).optional(),
          })
          .loose(),
      )
      .default([]),
    errors: z.array(ZHubSpotError).default([]),
  })
  .loose();
type TBatchResponse = z.infer<typeof ZBatchResponse>;

function parseBatch(body: unknown): TBatchResponse {
  return ZBatchResponse.parse(body && typeof body === 'object' ? body : {});
}

/** HubSpot compares unique values case-insensitively (emails are stored lower-case). */
const norm = (s: string) => s.trim().toLowerCase();

/** Property values are strings in HubSpot; multi-checkbox values are joined with ';'. */
function toValue(v: JsonValue): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(';');
  return JSON.stringify(v);
}

function properties(row: WriteRow, withMatch: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(row.fields)) out[k] = toValue(v);
  if (withMatch) out[row.match.field] = row.match.value;
  else delete out[row.match.field];
  return out;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function rejectedFrom(row: WriteRow, err: z.infer<typeof ZHubSpotError>): RowResult {
  const problem = propertyProblems(err)[0];
  if (problem) {
    return {
      recordKey: row.recordKey,
      status: 'rejected',
      field: problem.property,
      message: `HubSpot rejected the value of "${problem.property}": ${problem.message} (${problem.code})`,
    };
  }
  const conflict = err.category === 'CONFLICT';
  return {
    recordKey: row.recordKey,
    status: 'rejected',
    ...(conflict ? { field: row.match.field } : {}),
    message: `HubSpot rejected the record (${err.category ?? 'error'}): ${err.message ?? 'no message'}`,
  };
}

/** Results of one batch request whose inputs carried objectWriteTraceId = their index in `sent`. */
function collect(sent: WriteRow[], body: TBatchResponse, out: Map<string, RowResult>) {
  for (const r of body.results) {
    const row = r.objectWriteTraceId !== undefined ? sent[Number(r.objectWriteTraceId)] : undefined;
    if (row) out.set(row.recordKey, { recordKey: row.recordKey, status: 'accepted', externalId: r.id });
  }
  for (const e of body.errors) {
    const traces = e.context?.objectWriteTraceId ?? [];
    const ids = e.context?.ids ?? [];
    const rows = traces.length
      ? traces.map((t) => sent[Number(t)]).filter((r): r is WriteRow => r !== undefined)
      : sent.filter((r) => ids.includes(r.externalId ?? '') || ids.some((id) => norm(id) === norm(r.match.value)));
    for (const row of rows) {
      if (e.category === 'OBJECT_NOT_FOUND') {
        out.set(row.recordKey, {
          recordKey: row.recordKey,
          status: 'rejected',
          field: row.match.field,
          message: `no HubSpot record with ${row.externalId ? `id ${row.externalId}` : `${row.match.field} = ${row.match.value}`} (it may have been deleted); update mode never creates records`,
        });
      } else out.set(row.recordKey, rejectedFrom(row, e));
    }
  }
}

function notUnique(ctx: HubSpotContext, object: string, field: string): ConnectorError {
  return new ConnectorError(
    `HubSpot connection "${ctx.connectionName}": "${field}" is not a unique property of ${object}, so HubSpot cannot upsert by it — fix: match on a unique property, mark "${field}" as unique in HubSpot, or keep it and let Backflow create records (objects without a unique property)`,
    { code: 'config', retryable: false, applied: 'no', field },
  );
}

function missingProperty(ctx: HubSpotContext, object: string, field: string): ConnectorError {
  return new ConnectorError(
    `HubSpot connection "${ctx.connectionName}": property "${field}" does not exist on ${object} — fix: create the property in HubSpot, or remove it from the map and refresh the destination schema`,
    { code: 'schema_changed', retryable: false, applied: 'no', field },
  );
}

/**
 * Record ids by match value. Unique properties use batch/read (a consistent
 * read); other properties use search, which lags writes by a few seconds.
 */
async function findIds(ctx: HubSpotContext, meta: ObjectMeta, field: string, values: string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (!meta.properties.has(field)) throw missingProperty(ctx, meta.object, field);
  const unique = [...new Set(values.map(norm))];
  const path = `/crm/v3/objects/${encodeURIComponent(meta.object)}`;
  if (meta.unique.has(field)) {
    for (const part of chunks(unique, MAX_BATCH)) {
      const res = await hubspotRequest(ctx, {
        method: 'POST',
        path: `${path}/batch/read`,
        object: meta.object,
        body: { idProperty: field, inputs: part.map((id) => ({ id })), properties: [field] },
      });
      for (const r of parseBatch(res.body).results) {
        const v = r.properties?.[field];
        if (v) found.set(norm(v), r.id);
      }
    }
    return found;
  }
  for (const part of chunks(unique, MAX_BATCH)) {
    let after: string | undefined;
    do {
      const res = await hubspotRequest(ctx, {
        method: 'POST',
        path: `${path}/search`,
        object: meta.object,
        body: {
          filterGroups: [{ filters: [{ propertyName: field, operator: 'IN', values: part }] }],
          properties: [field],
          sorts: [{ propertyName: 'hs_object_id', direction: 'ASCENDING' }],
          limit: SEARCH_PAGE,
          ...(after ? { after } : {}),
        },
      });
      const page = z
        .object({
          results: z.array(z.object({ id: z.string(), properties: z.record(z.string(), z.string().nullable()).default({}) }).loose()),
          paging: z.object({ next: z.object({ after: z.string() }).loose().optional() }).loose().optional(),
        })
        .loose()
        .parse(res.body);
      for (const r of page.results) {
        const v = r.properties[field];
        if (!v) continue;
        if (found.has(norm(v))) ctx.log.warn(`HubSpot ${meta.object}: several records have ${field} = ${v}; using the oldest (${found.get(norm(v))})`);
        else found.set(norm(v), r.id);
      }
      after = page.paging?.next?.after;
    } while (after);
  }
  return found;
}

type Op = (rows: WriteRow[]) => Promise<void>;

async function writeBatch(rows: WriteRow[], ctx: Ctx): Promise<RowResult[]> {
  if (rows.length === 0) return [];
  const object = ctx.object;
  const path = `/crm/v3/objects/${encodeURIComponent(object)}`;
  const meta = await objectMeta(ctx, object);
  const out = new Map<string, RowResult>();
  let applied = false;

  const post = async (op: string, sent: WriteRow[], inputs: unknown[]) => {
    const res = await hubspotRequest(ctx, { method: 'POST', path: `${path}/batch/${op}`, object, body: { inputs } });
    applied = true;
    if (op !== 'archive') collect(sent, parseBatch(res.body), out);
  };

  const checkMatch = (field: string) => {
    if (!meta.properties.has(field)) throw missingProperty(ctx, object, field);
  };

  const upsert: Op = async (group) => {
    const field = group[0]!.match.field;
    checkMatch(field);
    if (!meta.unique.has(field)) throw notUnique(ctx, object, field);
    // HubSpot refuses a batch that names the same record twice.
    const seen = new Set<string>();
    const sent: WriteRow[] = [];
    for (const r of group) {
      if (seen.has(norm(r.match.value))) {
        out.set(r.recordKey, {
          recordKey: r.recordKey,
          status: 'rejected',
          field,
          message: `another row in the same batch has ${field} = ${r.match.value}; HubSpot keeps one record per value — fix: make the match key unique in the source`,
        });
      } else {
        seen.add(norm(r.match.value));
        sent.push(r);
      }
    }
    if (sent.length) {
      await post(
        'upsert',
        sent,
        sent.map((r, i) => ({ idProperty: field, id: r.match.value, properties: properties(r, false), objectWriteTraceId: String(i) })),
      );
    }
  };

  const create: Op = async (group) => {
    checkMatch(group[0]!.match.field);
    await post(
      'create',
      group,
      group.map((r, i) => ({ properties: properties(r, true), objectWriteTraceId: String(i) })),
    );
  };

  const update: Op = async (group) => {
    const field = group[0]!.match.field;
    checkMatch(field);
    const byId: { row: WriteRow; id: string }[] = [];
    const byValue: WriteRow[] = [];
    const unknown: WriteRow[] = [];
    for (const r of group) {
      if (r.externalId) byId.push({ row: r, id: r.externalId });
      else if (meta.unique.has(field)) byValue.push(r);
      else unknown.push(r);
    }
    if (unknown.length) {
      const ids = await findIds(ctx, meta, field, unknown.map((r) => r.match.value));
      for (const r of unknown) {
        const id = ids.get(norm(r.match.value));
        if (id) byId.push({ row: r, id });
        else {
          out.set(r.recordKey, {
            recordKey: r.recordKey,
            status: 'rejected',
            field,
            message: `no HubSpot ${object} record has ${field} = ${r.match.value}; update mode never creates records`,
          });
        }
      }
    }
    if (byId.length) {
      const sent = byId.map((x) => ({ ...x.row, externalId: x.id }));
      await post('update', sent, byId.map((x, i) => ({ id: x.id, properties: properties(x.row, true), objectWriteTraceId: String(i) })));
    }
    if (byValue.length) {
      await post('update', byValue, byValue.map((r, i) => ({ id: r.match.value, idProperty: field, properties: properties(r, false), objectWriteTraceId: String(i) })));
    }
  };

  const remove: Op = async (group) => {
    const withId = group.filter((r) => r.externalId);
    const without = group.filter((r) => !r.externalId);
    const targets = withId.map((r) => ({ row: r, id: r.externalId! }));
    if (without.length) {
      const ids = await findIds(ctx, meta, without[0]!.match.field, without.map((r) => r.match.value));
      for (const r of without) {
        const id = ids.get(norm(r.match.value));
        if (id) targets.push({ row: r, id });
        // Nothing to delete: the record is already gone, which is what mirror wants.
        else out.set(r.recordKey, { recordKey: r.recordKey, status: 'accepted' });
      }
    }
    if (targets.length) {
      await post('archive', [], targets.map((t) => ({ id: t.id })));
      for (const t of targets) out.set(t.row.recordKey, { recordKey: t.row.recordKey, status: 'accepted', externalId: t.id });
    }
  };

  const ops: Record<WriteRow['op'], Op | undefined> = { upsert, create, update, delete: remove, add: undefined, remove: undefined };
  const groups = new Map<WriteRow['op'], WriteRow[]>();
  for (const r of rows) groups.set(r.op, [...(groups.get(r.op) ?? []), r]);

  try {
    for (const [op, group] of groups) {
      const run = ops[op];
      if (!run) {
        for (const r of group) {
          out.set(r.recordKey, { recordKey: r.recordKey, status: 'rejected', message: `HubSpot ${object} records do not support the "${op}" operation` });
        }
        continue;
      }
      for (const part of chunks(group, MAX_BATCH)) await run(part);
    }
  } catch (err) {
    if (isConnectorError(err) && err.code === 'schema_changed') forgetObjectMeta(ctx, object);
    if (!applied || !isConnectorError(err)) throw err;
    // Part of this batch is already in HubSpot: keep those results.
    if (err.retryable) {
      for (const r of rows) {
        if (!out.has(r.recordKey)) {
          out.set(r.recordKey, { recordKey: r.recordKey, status: 'retryable', message: err.message, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) });
        }
      }
    } else {
      throw new ConnectorError(err.message, {
        code: err.code,
        retryable: false,
        applied: 'unknown',
        ...(err.field ? { field: err.field } : {}),
        ...(err.status ? { status: err.status } : {}),
        cause: err,
      });
    }
  }
  // A row HubSpot said nothing about may or may not have been written.
  return rows.map(
    (r) => out.get(r.recordKey) ?? { recordKey: r.recordKey, status: 'retryable', message: 'HubSpot returned no result for this row' },
  );
}

export const hubspotDestination = defineConnector({
  slug: 'hubspot',
  kind: 'destination',
  displayName: 'HubSpot',
  icon: '🟠',
  description: 'Contacts, companies and custom objects in HubSpot CRM.',
  credentialsSchema: ZHubSpotCredentials,
  configSchema: ZHubSpotConfig,
  optionsSchema: ZHubSpotOptions,
  capabilities: {
    writes: 'records',
    modes: ['upsert', 'update', 'insert', 'mirror'],
    batchSize: MAX_BATCH,
    // HubSpot allows 100 requests per rolling 10 s per account (more on higher
    // tiers). The shared limiter counts fixed one-second windows, and any 10 s
    // span touches at most 11 of them: 11 × 9 = 99 stays under the limit.
    rateLimit: { requestsPerSecond: 9 },
    deletes: true,
    idempotencyKey: false,
    // batch/read is consistent, but custom objects without a unique property
    // can only be found through search, which is eventually consistent.
    consistentLookup: false,
    setOnlyIfEmpty: false,
  },

  async test(ctx) {
    try {
      await hubspotRequest(ctx, { method: 'GET', path: '/crm/v3/objects/contacts?limit=1', object: 'contacts' });
      return { ok: true, message: 'HubSpot accepted the credentials and contacts can be read' };
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
    const meta = await objectMeta(ctx, ctx.object);
    const byField = new Map<string, string[]>();
    for (const r of requests) byField.set(r.match.field, [...(byField.get(r.match.field) ?? []), r.match.value]);
    const found = new Map<string, Map<string, string>>();
    for (const [field, values] of byField) found.set(field, await findIds(ctx, meta, field, values));
    return requests.map((r) => ({ recordKey: r.recordKey, externalId: found.get(r.match.field)?.get(norm(r.match.value)) ?? null }));
  },
});
