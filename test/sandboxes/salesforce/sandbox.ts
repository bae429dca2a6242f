/**
 * Salesforce sandbox: TEST INFRASTRUCTURE that implements the documented subset
 * of the Salesforce REST API, sObject Collections and Bulk API 2.0 that the
 * Backflow Salesforce connector uses (README.md names each behaviour's source).
 * Runs in its own process via server.ts.
 *
 *   POST   /services/oauth2/token                                   refresh_token grant
 *   GET    /services/data/vXX.X/limits | /sobjects | /sobjects/:o/describe
 *   PATCH  /services/data/vXX.X/composite/sobjects/:o/:extIdField    upsert ≤ 200
 *   POST   /services/data/vXX.X/composite/sobjects                   create ≤ 200 (not idempotent)
 *   PATCH  /services/data/vXX.X/composite/sobjects                   update by Id ≤ 200
 *   DELETE /services/data/vXX.X/composite/sobjects?ids=…             delete ≤ 200
 *   GET    /services/data/vXX.X/query?q=SELECT … FROM … WHERE f IN (…) (subset of SOQL)
 *   Bulk API 2.0 ingest: POST jobs/ingest, PUT …/batches, PATCH (UploadComplete),
 *   GET job info, successfulResults, failedResults, unprocessedrecords
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Route, SandboxDefinition, SandboxRequest, SandboxResponse, SandboxState } from '../lib/server';
import { RateWindow } from '../lib/rate-window';
import { describeField, initialObjects, isNumeric, parseCsv, saveErrors, toCsv, type FieldDef, type Primitive, type SaveError, type SfRecord, type SObjectDef } from './model';

export type SalesforceSandboxOptions = {
  /** A session id the sandbox always accepts (as if issued by another flow). */
  staticToken: string;
  oauth: { clientId: string; clientSecret: string; refreshTokens: string[]; sessionTtlSeconds: number };
  expiredTokens: string[];
  /** Org-wide API request allocation over a rolling window (24 h in Salesforce). */
  apiLimit: { limit: number; windowMs: number };
  /** How long a Bulk API 2.0 job takes to process after UploadComplete. */
  bulkDelayMs: number;
};

const MAX_COLLECTION = 200;
const QUERY_PAGE = 2000;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const sfError = (status: number, errorCode: string, message: string, fields?: string[]): SandboxResponse => ({
  status,
  body: [{ message, errorCode, ...(fields ? { fields } : {}) }],
});

type Job = {
  id: string;
  object: string;
  operation: string;
  externalIdFieldName?: string;
  state: 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';
  createdDate: string;
  apiVersion: string;
  uploads: string[];
  header: string[];
  success: string[][];
  failed: string[][];
  unprocessed: string[][];
  processed: number;
  failedCount: number;
  errorMessage?: string;
};

export function salesforceSandbox(opts: SalesforceSandboxOptions): SandboxDefinition {
  let objects: SObjectDef[] = initialObjects();
  let records = new Map<string, SfRecord>();
  let deleted = new Set<string>();
  let jobs = new Map<string, Job>();
  let seq = 0;
  const issued = new Map<string, number>();
  const api = new RateWindow(opts.apiLimit.limit, opts.apiLimit.windowMs);
  const locators = new Map<string, { version: string; rows: Json[] }>();

  const newId = (prefix: string) => `${prefix}${(++seq).toString(36).padStart(12, '0')}AAA`;
  const sobject = (name: string | undefined) => objects.find((o) => o.name.toLowerCase() === (name ?? '').toLowerCase());
  const fieldOf = (o: SObjectDef, name: string): FieldDef | undefined => o.fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
  const ofType = (o: SObjectDef) => [...records.values()].filter((r) => r.type === o.name);
  // External ID fields are indexed, as in Salesforce: upserts stay fast with many records.
  let extIndex = new Map<string, Set<string>>();
  const extKey = (type: string, field: string, value: Primitive | undefined) => `${type}\n${field}\n${String(value ?? '').toLowerCase()}`;
  const indexRecord = (r: SfRecord, add: boolean) => {
    const o = sobject(r.type);
    for (const f of o?.fields ?? []) {
      if (!f.externalId || r.fields[f.name] === undefined || r.fields[f.name] === null) continue;
      const k = extKey(r.type, f.name, r.fields[f.name]);
      const ids = extIndex.get(k) ?? new Set<string>();
      if (add) ids.add(r.Id);
      else ids.delete(r.Id);
      if (ids.size) extIndex.set(k, ids);
      else extIndex.delete(k);
    }
  };
  const byExternalId = (o: SObjectDef, field: string, value: string): SfRecord[] =>
    [...(extIndex.get(extKey(o.name, field, value)) ?? [])].map((id) => records.get(id)).filter((r): r is SfRecord => r !== undefined);

  /** Session check, then the org's API allocation; every answer carries Sforce-Limit-Info. */
  const guarded =
    (handler: (req: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>) =>
    async (req: SandboxRequest): Promise<SandboxResponse> => {
      const auth = String(req.headers.authorization ?? '');
      const token = auth.replace(/^(Bearer|OAuth)\s+/i, '');
      const expiry = issued.get(token);
      const valid = token === opts.staticToken || (expiry !== undefined && expiry > Date.now());
      if (!valid || opts.expiredTokens.includes(token)) return sfError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
      if (!/^v\d+\.\d$/.test(req.params.version ?? '')) return sfError(404, 'NOT_FOUND', 'The requested resource does not exist');
      const usage = () => ({ 'sforce-limit-info': `api-usage=${api.limit - api.remaining()}/${api.limit}` });
      if (api.hit() !== null) return { ...sfError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'), headers: usage() };
      const res = await handler(req);
      return { ...res, headers: { ...usage(), ...res.headers } };
    };

  /**
   * JSON values of one collection record. Unknown fields and JSON type
   * mismatches fail the whole request (400), as Salesforce's deserializer does.
   */
  const jsonValues = (o: SObjectDef, rec: Json): { values: Record<string, Primitive> } | { error: SandboxResponse } => {
    const values: Record<string, Primitive> = {};
    for (const [k, v] of Object.entries(rec)) {
      if (k === 'attributes') continue;
      const f = fieldOf(o, k);
      if (!f) return { error: sfError(400, 'INVALID_FIELD', `No such column '${k}' on sobject of type ${o.name}`) };
      if (v !== null && typeof v === 'object') return { error: sfError(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of ${f.type} from START_OBJECT for field ${k}`) };
      if (v !== null && isNumeric(f) && typeof v !== 'number') {
        return { error: sfError(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of double from VALUE_STRING value ${String(v)} or request may be missing a required field`) };
      }
      if (v !== null && f.type === 'boolean' && typeof v !== 'boolean') {
        return { error: sfError(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of boolean from VALUE_STRING value ${String(v)} or request may be missing a required field`) };
      }
      values[f.name] = v === null ? null : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : String(v);
    }
    return { values };
  };

  type Planned = { error: SaveError[] } | { apply: () => { id: string; created: boolean } };

  const stamp = () => new Date().toISOString();

  const planCreate = (state: SandboxState, o: SObjectDef, values: Record<string, Primitive>): Planned => {
    const errs = saveErrors(o, values, true);
    if (errs.length) return { error: errs };
    return {
      apply: () => {
        const Id = newId(o.keyPrefix);
        const now = stamp();
        const defaults = Object.fromEntries(o.fields.filter((f) => f.type === 'boolean').map((f) => [f.name, false]));
        const rec: SfRecord = { Id, type: o.name, fields: { ...defaults, ...values, CreatedDate: now, LastModifiedDate: now } };
        records.set(Id, rec);
        indexRecord(rec, true);
        state.logCreate(o.name, Id, rec.fields);
        return { id: Id, created: true };
      },
    };
  };

  const planUpdate = (o: SObjectDef, rec: SfRecord, values: Record<string, Primitive>): Planned => {
    const errs = saveErrors(o, values, false);
    if (errs.length) return { error: errs };
    return {
      apply: () => {
        indexRecord(rec, false);
        Object.assign(rec.fields, values, { LastModifiedDate: stamp() });
        indexRecord(rec, true);
        return { id: rec.Id, created: false };
      },
    };
  };

  /** Upsert of one record by external id: create when absent, update when found once. */
  const planUpsert = (state: SandboxState, o: SObjectDef, ext: FieldDef, values: Record<string, Primitive>, seen: Set<string>): Planned => {
    const v = values[ext.name];
    if (v === undefined || v === null || v === '') return { error: [{ statusCode: 'REQUIRED_FIELD_MISSING', message: `${ext.name} not specified`, fields: [ext.name] }] };
    const key = String(v).toLowerCase();
    if (seen.has(key)) return { error: [{ statusCode: 'DUPLICATE_VALUE', message: `Duplicate external id specified: ${v}`, fields: [ext.name] }] };
    seen.add(key);
    const found = byExternalId(o, ext.name, String(v));
    if (found.length > 1) return { error: [{ statusCode: 'DUPLICATE_EXTERNAL_ID', message: `${ext.name}: more than one record found for external id field: ${found.map((r) => r.Id).join(', ')}`, fields: [ext.name] }] };
    return found[0] ? planUpdate(o, found[0], values) : planCreate(state, o, values);
  };

  /** allOrNone: one failure rolls back every record of the request. */
  const saveResults = (planned: Planned[], allOrNone: boolean, withCreated: boolean) => {
    const anyError = planned.some((p) => 'error' in p);
    return planned.map((p) => {
      if ('error' in p) return { success: false, errors: p.error, ...(withCreated ? { created: false } : {}) };
      if (allOrNone && anyError) {
        return {
          success: false,
          errors: [{ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK', message: 'Record rolled back because not all records were valid and the request was using AllOrNone header', fields: [] }],
        };
      }
      const r = p.apply();
      return { id: r.id, success: true, errors: [], ...(withCreated ? { created: r.created } : {}) };
    });
  };

  const collectionBody = (req: SandboxRequest): { allOrNone: boolean; records: Json[] } | SandboxResponse => {
    if (!isObject(req.body) || !Array.isArray(req.body.records)) return sfError(400, 'JSON_PARSER_ERROR', 'The request body must be an object with a records array');
    const extra = Object.keys(req.body).find((k) => k !== 'allOrNone' && k !== 'records');
    if (extra) return sfError(400, 'JSON_PARSER_ERROR', `Unrecognized field "${extra}" (class SObjectCollectionRequest), not marked as ignorable`);
    if (req.body.records.length > MAX_COLLECTION) return sfError(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${MAX_COLLECTION} records into this call`);
    if (!req.body.records.every(isObject)) return sfError(400, 'JSON_PARSER_ERROR', 'every record must be an object');
    return { allOrNone: req.body.allOrNone === true, records: req.body.records as Json[] };
  };

  const recordType = (rec: Json): string | undefined => (isObject(rec.attributes) && typeof rec.attributes.type === 'string' ? rec.attributes.type : undefined);

  // ── SOQL subset: SELECT f1, f2 FROM Obj [WHERE f IN ('a','b') | WHERE f = 'a'] [LIMIT n]
  const runQuery = (version: string, q: string): SandboxResponse => {
    const m = /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(\w+)\s+(IN|=)\s*(\((?:.|\n)*\)|'(?:[^'\\]|\\.)*'))?(?:\s+LIMIT\s+(\d+))?\s*$/i.exec(q);
    if (!m) return sfError(400, 'MALFORMED_QUERY', `unexpected token in query: ${q.slice(0, 80)}`);
    const o = sobject(m[2]);
    if (!o) return sfError(400, 'INVALID_TYPE', `sObject type '${m[2]}' is not supported.`);
    const fields: string[] = [];
    for (const raw of m[1]!.split(',').map((s) => s.trim())) {
      const f = fieldOf(o, raw);
      if (!f) return sfError(400, 'INVALID_FIELD', `No such column '${raw}' on entity '${o.name}'.`);
      fields.push(f.name);
    }
    let rows = ofType(o);
    if (m[3]) {
      const f = fieldOf(o, m[3]);
      if (!f) return sfError(400, 'INVALID_FIELD', `No such column '${m[3]}' on entity '${o.name}'.`);
      const literal = /'((?:[^'\\]|\\.)*)'/g;
      const list = m[5]!;
      if (list.replace(literal, '').replace(/[\s,()]/g, '') !== '') return sfError(400, 'MALFORMED_QUERY', 'only quoted string literals are supported in WHERE');
      const values = new Set([...list.matchAll(literal)].map((x) => x[1]!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c)).toLowerCase()));
      rows = rows.filter((r) => {
        const v = f.name === 'Id' ? r.Id : r.fields[f.name];
        return v !== undefined && v !== null && values.has(String(v).toLowerCase());
      });
    }
    if (m[6]) rows = rows.slice(0, Number(m[6]));
    const out = rows.map((r) => ({
      attributes: { type: o.name, url: `/services/data/${version}/sobjects/${o.name}/${r.Id}` },
      ...Object.fromEntries(fields.map((f) => [f, f === 'Id' ? r.Id : (r.fields[f] ?? null)])),
    }));
    return page(version, out, out.length);
  };

  const page = (version: string, rows: Json[], total: number): SandboxResponse => {
    const first = rows.slice(0, QUERY_PAGE);
    const rest = rows.slice(QUERY_PAGE);
    let next: string | undefined;
    if (rest.length) {
      next = `01g${randomUUID().replace(/-/g, '').slice(0, 15)}-${QUERY_PAGE}`;
      locators.set(next, { version, rows: rest });
    }
    return { status: 200, body: { totalSize: total, done: !next, records: first, ...(next ? { nextRecordsUrl: `/services/data/${version}/query/${next}` } : {}) } };
  };

  // ── Bulk API 2.0
  const jobInfo = (j: Job) => ({
    id: j.id,
    operation: j.operation,
    object: j.object,
    createdById: '005000000000001AAA',
    createdDate: j.createdDate,
    systemModstamp: stamp(),
    state: j.state,
    ...(j.externalIdFieldName ? { externalIdFieldName: j.externalIdFieldName } : {}),
    concurrencyMode: 'Parallel',
    contentType: 'CSV',
    apiVersion: Number(j.apiVersion.slice(1)),
    jobType: 'V2Ingest',
    lineEnding: 'LF',
    columnDelimiter: 'COMMA',
    numberRecordsProcessed: j.processed,
    numberRecordsFailed: j.failedCount,
    retries: 0,
    totalProcessingTime: 0,
    ...(j.errorMessage ? { errorMessage: j.errorMessage } : {}),
  });

  const processJob = (state: SandboxState, j: Job) => {
    if (j.state !== 'UploadComplete') return;
    j.state = 'InProgress';
    const o = sobject(j.object)!;
    const rows: string[][] = [];
    for (const upload of j.uploads) {
      const [header, ...data] = parseCsv(upload).filter((r) => r.length > 1 || (r[0] ?? '') !== '');
      if (!header) continue;
      if (!j.header.length) j.header = header;
      rows.push(...data);
    }
    const unknown = j.header.find((h) => !fieldOf(o, h));
    if (unknown !== undefined) {
      j.state = 'Failed';
      j.errorMessage = `InvalidBatch : Field name not found : ${unknown}`;
      j.unprocessed = rows;
      return;
    }
    const fields = j.header.map((h) => fieldOf(o, h)!);
    const ext = j.externalIdFieldName ? fieldOf(o, j.externalIdFieldName) : undefined;
    const seen = new Set<string>();
    for (const row of rows) {
      const values: Record<string, Primitive> = {};
      let typeError: SaveError | undefined;
      fields.forEach((f, i) => {
        const s = row[i] ?? '';
        if (s === '') return; // empty means "leave unchanged" in Bulk API 2.0
        if (s === '#N/A') values[f.name] = null;
        else if (isNumeric(f)) {
          const n = Number(s);
          if (!Number.isFinite(n)) typeError ??= { statusCode: 'INVALID_TYPE_ON_FIELD_IN_RECORD', message: `${f.label}: value not of required type: ${s}`, fields: [f.name] };
          values[f.name] = n;
        } else if (f.type === 'boolean') {
          if (!['true', 'false', '1', '0'].includes(s.toLowerCase())) typeError ??= { statusCode: 'INVALID_TYPE_ON_FIELD_IN_RECORD', message: `${f.label}: value not of required type: ${s}`, fields: [f.name] };
          values[f.name] = s.toLowerCase() === 'true' || s === '1';
        } else values[f.name] = s;
      });
      const planned: Planned = typeError
        ? { error: [typeError] }
        : j.operation === 'upsert' && ext
          ? planUpsert(state, o, ext, values, seen)
          : planCreate(state, o, values);
      j.processed++;
      if ('error' in planned) {
        j.failedCount++;
        const e = planned.error[0]!;
        j.failed.push(['', `${e.statusCode}:${e.message}:${e.fields.join(',')} --`, ...row]);
      } else {
        const r = planned.apply();
        j.success.push([r.id, String(r.created), ...row]);
      }
    }
    j.state = 'JobComplete';
  };

  const jobRoute = (fn: (req: SandboxRequest, j: Job) => SandboxResponse) =>
    guarded((req) => {
      const j = jobs.get(req.params.jobId ?? '');
      if (!j) return sfError(404, 'NOT_FOUND', `Could not find job with id ${req.params.jobId}`);
      return fn(req, j);
    });

  const csv = (rows: string[][]): SandboxResponse => ({ status: 200, body: toCsv(rows), headers: { 'content-type': 'text/csv' } });

  const routes = (state: SandboxState): Route[] => [
    {
      method: 'POST',
      path: '/services/oauth2/token',
      handler: (req) => {
        const form = new URLSearchParams(req.rawBody);
        if (form.get('grant_type') !== 'refresh_token') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'grant type not supported' } };
        if (form.get('client_id') !== opts.oauth.clientId) return { status: 400, body: { error: 'invalid_client_id', error_description: 'client identifier invalid' } };
        if (form.get('client_secret') !== opts.oauth.clientSecret) return { status: 400, body: { error: 'invalid_client', error_description: 'invalid client credentials' } };
        if (!opts.oauth.refreshTokens.includes(form.get('refresh_token') ?? '')) {
          return { status: 400, body: { error: 'invalid_grant', error_description: 'expired access/refresh token' } };
        }
        const token = `00Dsandbox!${randomUUID().replace(/-/g, '')}`;
        issued.set(token, Date.now() + opts.oauth.sessionTtlSeconds * 1000);
        const instance = `http://${req.headers.host ?? '127.0.0.1'}`;
        const issuedAt = String(Date.now());
        return {
          status: 200,
          body: {
            access_token: token,
            signature: createHmac('sha256', opts.oauth.clientSecret).update(`${instance}/id/00D000000000001/005000000000001${issuedAt}`).digest('base64'),
            scope: 'api refresh_token',
            instance_url: instance,
            id: `${instance}/id/00D000000000001/005000000000001`,
            token_type: 'Bearer',
            issued_at: issuedAt,
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/services/data/:version/limits',
      handler: guarded(() => ({ status: 200, body: { DailyApiRequests: { Max: api.limit, Remaining: api.remaining() } } })),
    },
    {
      method: 'GET',
      path: '/services/data/:version/sobjects',
      handler: guarded(() => ({
        status: 200,
        body: {
          encoding: 'UTF-8',
          maxBatchSize: MAX_COLLECTION,
          sobjects: objects.map((o) => ({ name: o.name, label: o.label, labelPlural: o.labelPlural, custom: o.custom, keyPrefix: o.keyPrefix, createable: true, updateable: true, deletable: true, queryable: true })),
        },
      })),
    },
    {
      method: 'GET',
      path: '/services/data/:version/sobjects/:object/describe',
      handler: guarded((req) => {
        const o = sobject(req.params.object);
        if (!o) return sfError(404, 'NOT_FOUND', 'The requested resource does not exist');
        return { status: 200, body: { name: o.name, label: o.label, labelPlural: o.labelPlural, custom: o.custom, keyPrefix: o.keyPrefix, createable: true, updateable: true, deletable: true, queryable: true, fields: o.fields.map(describeField) } };
      }),
    },
    {
      method: 'PATCH',
      path: '/services/data/:version/composite/sobjects/:object/:extField',
      handler: guarded((req) => {
        const o = sobject(req.params.object);
        if (!o) return sfError(400, 'INVALID_TYPE', `sObject type '${req.params.object}' is not supported.`);
        const ext = fieldOf(o, req.params.extField ?? '');
        if (!ext) return sfError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${req.params.extField}`);
        if (!ext.externalId && ext.name !== 'Id') return sfError(400, 'INVALID_FIELD', `Field name provided, ${ext.name} is not an External ID or indexed field for ${o.name}`);
        const body = collectionBody(req);
        if (!('records' in body)) return body;
        const valued: Record<string, Primitive>[] = [];
        for (const rec of body.records) {
          if (recordType(rec)?.toLowerCase() !== o.name.toLowerCase()) return sfError(400, 'INVALID_TYPE', `The sObject type of every record must be ${o.name}`);
          const v = jsonValues(o, rec);
          if ('error' in v) return v.error;
          valued.push(v.values);
        }
        const seen = new Set<string>();
        return { status: 200, body: saveResults(valued.map((v) => planUpsert(state, o, ext, v, seen)), body.allOrNone, true) };
      }),
    },
    {
      method: 'POST',
      path: '/services/data/:version/composite/sobjects',
      handler: guarded((req) => {
        const body = collectionBody(req);
        if (!('records' in body)) return body;
        const planned: Planned[] = [];
        for (const rec of body.records) {
          const o = sobject(recordType(rec));
          if (!o) return sfError(400, 'INVALID_TYPE', `sObject type '${recordType(rec)}' is not supported.`);
          if ('id' in rec || 'Id' in rec) return sfError(400, 'INVALID_FIELD', 'Cannot specify Id in an insert call');
          const v = jsonValues(o, rec);
          if ('error' in v) return v.error;
          planned.push(planCreate(state, o, v.values));
        }
        return { status: 200, body: saveResults(planned, body.allOrNone, false) };
      }),
    },
    {
      method: 'PATCH',
      path: '/services/data/:version/composite/sobjects',
      handler: guarded((req) => {
        const body = collectionBody(req);
        if (!('records' in body)) return body;
        const planned: Planned[] = [];
        for (const rec of body.records) {
          const o = sobject(recordType(rec));
          if (!o) return sfError(400, 'INVALID_TYPE', `sObject type '${recordType(rec)}' is not supported.`);
          const id = String(rec.id ?? rec.Id ?? '');
          const { id: _a, Id: _b, ...rest } = rec;
          const v = jsonValues(o, rest);
          if ('error' in v) return v.error;
          const target = records.get(id);
          if (!target || target.type !== o.name) {
            planned.push({ error: [deleted.has(id) ? { statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] } : { statusCode: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id', fields: [] }] });
          } else planned.push(planUpdate(o, target, v.values));
        }
        return { status: 200, body: saveResults(planned, body.allOrNone, false) };
      }),
    },
    {
      method: 'DELETE',
      path: '/services/data/:version/composite/sobjects',
      handler: guarded((req) => {
        const ids = (req.query.get('ids') ?? '').split(',').filter(Boolean);
        if (ids.length > MAX_COLLECTION) return sfError(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${MAX_COLLECTION} records into this call`);
        const allOrNone = req.query.get('allOrNone') === 'true';
        const planned: Planned[] = ids.map((id) =>
          records.has(id)
            ? {
                apply: () => {
                  indexRecord(records.get(id)!, false);
                  records.delete(id);
                  deleted.add(id);
                  return { id, created: false };
                },
              }
            : { error: [deleted.has(id) ? { statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] } : { statusCode: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id', fields: [] }] },
        );
        const results = saveResults(planned, allOrNone, false).map((r, i) => ({ ...r, id: ids[i] }));
        return { status: 200, body: results };
      }),
    },
    {
      method: 'GET',
      path: '/services/data/:version/query',
      handler: guarded((req) => runQuery(req.params.version!, req.query.get('q') ?? '')),
    },
    {
      method: 'GET',
      path: '/services/data/:version/query/:locator',
      handler: guarded((req) => {
        const l = locators.get(req.params.locator ?? '');
        if (!l) return sfError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
        locators.delete(req.params.locator!);
        return page(l.version, l.rows, l.rows.length);
      }),
    },
    {
      method: 'POST',
      path: '/services/data/:version/jobs/ingest',
      handler: guarded((req) => {
        const b = isObject(req.body) ? req.body : {};
        const allowed = ['object', 'operation', 'externalIdFieldName', 'contentType', 'lineEnding', 'columnDelimiter', 'assignmentRuleId'];
        const extra = Object.keys(b).find((k) => !allowed.includes(k));
        if (extra) return sfError(400, 'JSON_PARSER_ERROR', `Unrecognized field "${extra}"`);
        const o = sobject(typeof b.object === 'string' ? b.object : undefined);
        if (!o) return sfError(400, 'NOT_FOUND', `sObject type '${String(b.object)}' is not supported.`);
        const operation = String(b.operation ?? '');
        if (!['insert', 'update', 'upsert', 'delete', 'hardDelete'].includes(operation)) return sfError(400, 'INVALIDJOB', `InvalidJob : Invalid operation: ${operation}`);
        if ((b.contentType ?? 'CSV') !== 'CSV') return sfError(400, 'INVALIDJOB', 'InvalidJob : Only CSV content is supported');
        let extName: string | undefined;
        if (operation === 'upsert') {
          const ext = fieldOf(o, String(b.externalIdFieldName ?? ''));
          if (!ext || !(ext.externalId || ext.name === 'Id')) {
            return sfError(400, 'INVALIDJOB', `InvalidJob : Field name provided, ${String(b.externalIdFieldName)} does not match an External ID, Salesforce Id, or indexed field for ${o.name}`);
          }
          extName = ext.name;
        }
        const j: Job = {
          id: newId('750'),
          object: o.name,
          operation,
          ...(extName ? { externalIdFieldName: extName } : {}),
          state: 'Open',
          createdDate: stamp(),
          apiVersion: req.params.version!,
          uploads: [],
          header: [],
          success: [],
          failed: [],
          unprocessed: [],
          processed: 0,
          failedCount: 0,
        };
        jobs.set(j.id, j);
        return { status: 200, body: jobInfo(j) };
      }),
    },
    {
      method: 'PUT',
      path: '/services/data/:version/jobs/ingest/:jobId/batches',
      handler: jobRoute((req, j) => {
        if (j.state !== 'Open') return sfError(400, 'INVALIDJOBSTATE', `Job ${j.id} is not in the Open state; data can only be uploaded to an open job`);
        if (!String(req.headers['content-type'] ?? '').startsWith('text/csv')) return sfError(400, 'INVALIDJOB', 'Content-Type must be text/csv');
        j.uploads.push(req.rawBody);
        return { status: 201 };
      }),
    },
    {
      method: 'PATCH',
      path: '/services/data/:version/jobs/ingest/:jobId',
      handler: jobRoute((req, j) => {
        const target = isObject(req.body) ? req.body.state : undefined;
        if (target === 'Aborted' && (j.state === 'Open' || j.state === 'UploadComplete')) j.state = 'Aborted';
        else if (target === 'UploadComplete' && j.state === 'Open') {
          j.state = 'UploadComplete';
          setTimeout(() => processJob(state, j), opts.bulkDelayMs).unref();
        } else return sfError(400, 'INVALIDJOBSTATE', `Cannot change the state of job ${j.id} from ${j.state} to ${String(target)}`);
        return { status: 200, body: jobInfo(j) };
      }),
    },
    { method: 'GET', path: '/services/data/:version/jobs/ingest/:jobId', handler: jobRoute((_req, j) => ({ status: 200, body: jobInfo(j) })) },
    { method: 'GET', path: '/services/data/:version/jobs/ingest/:jobId/successfulResults', handler: jobRoute((_req, j) => csv([['sf__Id', 'sf__Created', ...j.header], ...j.success])) },
    { method: 'GET', path: '/services/data/:version/jobs/ingest/:jobId/failedResults', handler: jobRoute((_req, j) => csv([['sf__Id', 'sf__Error', ...j.header], ...j.failed])) },
    { method: 'GET', path: '/services/data/:version/jobs/ingest/:jobId/unprocessedrecords', handler: jobRoute((_req, j) => csv([j.header, ...j.unprocessed])) },
  ];

  return {
    name: 'salesforce',
    routes,
    records: (query) => {
      const o = sobject(query.get('object') ?? undefined);
      const field = query.get('field');
      const value = query.get('value');
      return [...records.values()]
        .filter((r) => !o || r.type === o.name)
        .filter((r) => !field || value === null || String(r.fields[field] ?? '').toLowerCase() === value.toLowerCase())
        .map((r) => ({ Id: r.Id, type: r.type, ...r.fields }));
    },
    reset: () => {
      objects = initialObjects();
      records = new Map();
      extIndex = new Map();
      deleted = new Set();
      jobs = new Map();
      locators.clear();
      api.reset();
    },
  };
}
