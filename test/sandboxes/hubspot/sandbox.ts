/**
 * HubSpot sandbox: TEST INFRASTRUCTURE that implements the documented subset of
 * HubSpot's CRM v3 API the Backflow HubSpot connector uses (README.md lists each
 * behaviour with its documentation page). Runs in its own process via server.ts.
 *
 *   POST /oauth/v1/token                                 refresh_token grant
 *   GET  /crm/v3/schemas                                 custom object schemas
 *   GET  /crm/v3/properties/:objectType                  properties
 *   POST /crm/v3/properties/:objectType                  create a property
 *   DELETE /crm/v3/properties/:objectType/:name          archive a property (schema change)
 *   GET  /crm/v3/objects/:objectType                     list (test())
 *   POST /crm/v3/objects/:objectType/batch/{upsert,create,update,read,archive}
 *   POST /crm/v3/objects/:objectType/search              eventually consistent search
 */
import { randomUUID } from 'node:crypto';
import type { Route, SandboxDefinition, SandboxRequest, SandboxResponse, SandboxState } from '../lib/server';
import { RateWindow } from '../lib/rate-window';
import {
  initialObjects,
  isIdProperty,
  propertyErrorMessage,
  propertyJson,
  validateProperties,
  type HubRecord,
  type ObjectDef,
  type PropError,
  type PropertyDef,
} from './model';

export type HubSpotSandboxOptions = {
  /** The private app token the sandbox accepts. */
  privateAppToken: string;
  oauth: { clientId: string; clientSecret: string; refreshTokens: string[]; tokenTtlSeconds: number };
  /** Access tokens the sandbox reports as expired (EXPIRED_AUTHENTICATION). */
  expiredTokens: string[];
  /** Per-account request limit: `limit` requests per `windowMs` ("100 per 10 seconds"). */
  rateLimit: { limit: number; windowMs: number };
  /** Search requests per second per account. */
  searchPerSecond: number;
  /** How long after a write search still misses the record. */
  searchLagMs: number;
};

const MAX_BATCH = 100;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function error(status: number, category: string, message: string, extra: Json = {}): SandboxResponse {
  return { status, body: { status: 'error', message, correlationId: randomUUID(), category, ...extra } };
}

export function hubspotSandbox(opts: HubSpotSandboxOptions): SandboxDefinition {
  let objects: ObjectDef[] = initialObjects();
  let records = new Map<string, Map<string, HubRecord>>();
  let nextId = 1001;
  const issued = new Map<string, number>(); // access token → expiry (ms)
  const rate = new RateWindow(opts.rateLimit.limit, opts.rateLimit.windowMs);
  const searchRate = new RateWindow(opts.searchPerSecond, 1000);

  const table = (o: ObjectDef) => {
    let t = records.get(o.objectTypeId);
    if (!t) records.set(o.objectTypeId, (t = new Map()));
    return t;
  };
  const resolve = (param: string | undefined) =>
    objects.find((o) => o.name === param || o.objectTypeId === param || o.fullyQualifiedName === param);

  const rateHeaders = () => ({
    'x-hubspot-ratelimit-max': String(rate.limit),
    'x-hubspot-ratelimit-remaining': String(rate.remaining()),
    'x-hubspot-ratelimit-interval-milliseconds': String(rate.windowMs),
  });

  /** Auth, then the account's rate limit, then the handler; every answer carries the rate headers. */
  const api =
    (handler: (req: SandboxRequest, obj: ObjectDef | undefined) => SandboxResponse | Promise<SandboxResponse>, needsObject = true) =>
    async (req: SandboxRequest): Promise<SandboxResponse> => {
      const auth = String(req.headers.authorization ?? '');
      const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
      const expiry = issued.get(token);
      if (opts.expiredTokens.includes(token) || (expiry !== undefined && expiry <= Date.now())) {
        return error(401, 'EXPIRED_AUTHENTICATION', `The OAuth token used to make this call expired ${expiry ? Math.ceil((Date.now() - expiry) / 1000) : 60} second(s) ago.`);
      }
      if (token !== opts.privateAppToken && expiry === undefined) {
        return error(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview');
      }
      if (rate.hit() !== null) {
        const r = error(429, 'RATE_LIMITS', `You have reached your ten_secondly_rolling limit.`, { errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' });
        return { ...r, headers: { ...rateHeaders() } };
      }
      const obj = resolve(req.params.objectType);
      let res: SandboxResponse;
      if (needsObject && !obj) res = error(400, 'VALIDATION_ERROR', `Unable to infer object type from: ${req.params.objectType}`);
      else res = await handler(req, obj);
      return { ...res, headers: { ...rateHeaders(), ...res.headers } };
    };

  const recordJson = (r: HubRecord, only?: string[]) => {
    const props: Record<string, string> = {};
    const always = ['hs_object_id', 'createdate', 'lastmodifieddate'];
    for (const [k, v] of Object.entries(r.properties)) if (!only || only.includes(k) || always.includes(k)) props[k] = v;
    return { id: r.id, properties: props, createdAt: r.createdAt, updatedAt: r.updatedAt, archived: false };
  };

  // Unique properties are indexed (HubSpot enforces their uniqueness), so
  // upserts and batch reads stay fast with many records.
  let uniqueIndex = new Map<string, string>();
  const uniqueKey = (o: ObjectDef, prop: string, value: string) => `${o.objectTypeId}\n${prop}\n${value.toLowerCase()}`;
  const reindex = (o: ObjectDef, r: HubRecord, add: boolean) => {
    for (const p of o.properties) {
      const v = r.properties[p.name];
      if (!v || !isIdProperty(o, p.name)) continue;
      if (add) uniqueIndex.set(uniqueKey(o, p.name, v), r.id);
      else if (uniqueIndex.get(uniqueKey(o, p.name, v)) === r.id) uniqueIndex.delete(uniqueKey(o, p.name, v));
    }
  };

  const findBy = (o: ObjectDef, prop: string, value: string): HubRecord | undefined => {
    if (isIdProperty(o, prop)) {
      const id = uniqueIndex.get(uniqueKey(o, prop, value));
      return id === undefined ? undefined : table(o).get(id);
    }
    const want = value.toLowerCase();
    for (const r of table(o).values()) if ((r.properties[prop] ?? '').toLowerCase() === want) return r;
    return undefined;
  };

  const create = (state: SandboxState, o: ObjectDef, values: Record<string, string>): HubRecord => {
    const id = String(nextId++);
    const now = new Date().toISOString();
    const r: HubRecord = {
      id,
      objectTypeId: o.objectTypeId,
      properties: { ...values, hs_object_id: id, createdate: now, lastmodifieddate: now },
      createdAt: now,
      updatedAt: now,
      indexedAt: Date.now() + opts.searchLagMs,
    };
    table(o).set(id, r);
    reindex(o, r, true);
    state.logCreate(o.fullyQualifiedName ?? o.name, id, r.properties);
    return r;
  };

  const update = (o: ObjectDef, r: HubRecord, values: Record<string, string>) => {
    const now = new Date().toISOString();
    reindex(o, r, false);
    Object.assign(r.properties, values, { lastmodifieddate: now });
    reindex(o, r, true);
    r.updatedAt = now;
    r.indexedAt = Date.now() + opts.searchLagMs;
  };

  /**
   * Shape checks shared by the batch endpoints: `inputs` array, at most 100,
   * no unknown fields in an input (HubSpot's JSON binding rejects them).
   */
  const batchInputs = (req: SandboxRequest, allowed: string[]): Json[] | SandboxResponse => {
    if (!isObject(req.body) || !Array.isArray(req.body.inputs)) return error(400, 'VALIDATION_ERROR', 'Invalid input JSON: "inputs" is required and must be an array');
    const inputs = req.body.inputs;
    if (inputs.length > MAX_BATCH) return error(400, 'VALIDATION_ERROR', `Batch input is too large: ${inputs.length} inputs were sent, the limit is ${MAX_BATCH}.`);
    for (const input of inputs) {
      if (!isObject(input)) return error(400, 'VALIDATION_ERROR', 'Invalid input JSON: every input must be an object');
      const extra = Object.keys(input).find((k) => !allowed.includes(k));
      if (extra) return error(400, 'VALIDATION_ERROR', `Invalid input JSON on line 1: Unrecognized field "${extra}"`);
    }
    return inputs as Json[];
  };

  /** Unknown properties fail the whole batch, naming the property (PROPERTY_DOESNT_EXIST). */
  const unknownPropertyError = (names: string[]): SandboxResponse => {
    const errs: PropError[] = names.map((n) => ({ code: 'PROPERTY_DOESNT_EXIST', name: n, message: `Property "${n}" does not exist` }));
    return error(400, 'VALIDATION_ERROR', propertyErrorMessage(errs), {
      errors: errs.map((e) => ({ message: e.message, code: e.code, in: e.name, context: { propertyName: [e.name] } })),
    });
  };

  const inputError = (traceId: unknown, category: string, message: string, errs: PropError[], context: Json = {}) => ({
    status: 'error',
    category,
    message,
    context: { ...context, ...(typeof traceId === 'string' ? { objectWriteTraceId: [traceId] } : {}) },
    errors: errs.map((e) => ({ message: e.message, code: e.code, in: e.name, context: { propertyName: [e.name] } })),
  });

  /**
   * Multi-status: with an objectWriteTraceId on every input, failures are
   * reported per input (207). Without them a validation failure fails the whole
   * batch (400), as HubSpot does by default.
   */
  const finish = (inputs: Json[], results: unknown[], errors: ReturnType<typeof inputError>[], startedAt: string): SandboxResponse => {
    const multi = inputs.length > 0 && inputs.every((i) => typeof i.objectWriteTraceId === 'string');
    const validation = errors.filter((e) => e.category === 'VALIDATION_ERROR');
    if (!multi && validation.length > 0) {
      const first = validation[0]!;
      return error(400, 'VALIDATION_ERROR', first.message, { errors: first.errors });
    }
    const body: Json = { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString() };
    if (errors.length) Object.assign(body, { numErrors: errors.length, errors });
    return { status: errors.length ? 207 : 200, body };
  };

  const routes = (state: SandboxState): Route[] => [
    {
      method: 'POST',
      path: '/oauth/v1/token',
      handler: (req) => {
        const form = new URLSearchParams(typeof req.body === 'string' ? req.body : req.rawBody);
        if (form.get('grant_type') !== 'refresh_token') return { status: 400, body: { status: 'BAD_GRANT_TYPE', message: 'grant_type must be refresh_token or authorization_code', correlationId: randomUUID() } };
        if (form.get('client_id') !== opts.oauth.clientId || form.get('client_secret') !== opts.oauth.clientSecret) {
          return { status: 400, body: { status: 'BAD_CLIENT_ID', message: 'missing or invalid client_id / client_secret', correlationId: randomUUID() } };
        }
        const refresh = form.get('refresh_token') ?? '';
        if (!opts.oauth.refreshTokens.includes(refresh)) {
          return { status: 400, body: { status: 'BAD_REFRESH_TOKEN', message: 'missing or unknown refresh token', correlationId: randomUUID() } };
        }
        const access = `hs-access-${randomUUID()}`;
        issued.set(access, Date.now() + opts.oauth.tokenTtlSeconds * 1000);
        return { status: 200, body: { token_type: 'bearer', refresh_token: refresh, access_token: access, expires_in: opts.oauth.tokenTtlSeconds } };
      },
    },
    {
      method: 'GET',
      path: '/crm/v3/schemas',
      handler: api(
        () => ({
          status: 200,
          body: {
            results: objects
              .filter((o) => o.custom)
              .map((o) => ({
                id: o.objectTypeId.split('-')[1],
                objectTypeId: o.objectTypeId,
                name: o.name,
                fullyQualifiedName: o.fullyQualifiedName,
                labels: o.labels,
                requiredProperties: o.requiredProperties,
                searchableProperties: [o.primaryDisplayProperty],
                primaryDisplayProperty: o.primaryDisplayProperty,
                properties: o.properties.map(propertyJson),
                archived: false,
              })),
          },
        }),
        false,
      ),
    },
    {
      method: 'GET',
      path: '/crm/v3/properties/:objectType',
      handler: api((_req, o) => ({ status: 200, body: { results: o!.properties.map(propertyJson) } })),
    },
    {
      method: 'POST',
      path: '/crm/v3/properties/:objectType',
      handler: api((req, o) => {
        const b = req.body;
        if (!isObject(b) || typeof b.name !== 'string' || typeof b.label !== 'string' || typeof b.type !== 'string') {
          return error(400, 'VALIDATION_ERROR', 'Invalid input JSON: name, label, type and fieldType are required');
        }
        if (o!.properties.some((p) => p.name === b.name)) return error(409, 'OBJECT_ALREADY_EXISTS', `A property named '${b.name}' already exists.`);
        const def: PropertyDef = {
          name: b.name,
          label: b.label,
          type: (['string', 'number', 'date', 'datetime', 'enumeration', 'bool'] as const).find((t) => t === b.type) ?? 'string',
          fieldType: typeof b.fieldType === 'string' ? b.fieldType : 'text',
          hasUniqueValue: b.hasUniqueValue === true,
          readOnly: false,
        };
        o!.properties.push(def);
        return { status: 201, body: propertyJson(def) };
      }),
    },
    {
      method: 'DELETE',
      path: '/crm/v3/properties/:objectType/:name',
      handler: api((req, o) => {
        const before = o!.properties.length;
        o!.properties = o!.properties.filter((p) => p.name !== req.params.name || p.readOnly);
        if (o!.properties.length === before) return error(404, 'OBJECT_NOT_FOUND', `Unable to find property ${req.params.name}`);
        for (const r of table(o!).values()) delete r.properties[req.params.name!];
        return { status: 204 };
      }),
    },
    {
      method: 'GET',
      path: '/crm/v3/objects/:objectType',
      handler: api((req, o) => {
        const limit = Math.min(100, Number(req.query.get('limit') ?? 10) || 10);
        const all = [...table(o!).values()].sort((a, b) => Number(a.id) - Number(b.id));
        const after = Number(req.query.get('after') ?? 0);
        const page = all.filter((r) => Number(r.id) > after).slice(0, limit);
        const more = page.length === limit && all.some((r) => Number(r.id) > Number(page[page.length - 1]!.id));
        return { status: 200, body: { results: page.map((r) => recordJson(r)), ...(more ? { paging: { next: { after: page[page.length - 1]!.id } } } : {}) } };
      }),
    },
    {
      method: 'POST',
      path: '/crm/v3/objects/:objectType/batch/upsert',
      handler: api((req, o) => {
        const startedAt = new Date().toISOString();
        const inputs = batchInputs(req, ['id', 'idProperty', 'properties', 'objectWriteTraceId']);
        if (!Array.isArray(inputs)) return inputs;
        const seen = new Set<string>();
        for (const input of inputs) {
          const idProperty = String(input.idProperty ?? '');
          if (!isIdProperty(o!, idProperty)) {
            return error(400, 'VALIDATION_ERROR', `Upsert requires a unique idProperty; "${idProperty}" is not a unique property of ${o!.name}`);
          }
          const key = String(input.id ?? '').toLowerCase();
          if (seen.has(key)) return error(400, 'VALIDATION_ERROR', `Duplicate IDs found in batch input: [${input.id}]. IDs must be unique`);
          seen.add(key);
          const unknown = validateProperties(o!, isObject(input.properties) ? input.properties : {}, { creating: false }).unknown;
          if (unknown.length) return unknownPropertyError(unknown);
        }
        const results: unknown[] = [];
        const errors: ReturnType<typeof inputError>[] = [];
        for (const input of inputs) {
          const idProperty = String(input.idProperty);
          const idValue = String(input.id ?? '');
          const existing = idValue ? findBy(o!, idProperty, idValue) : undefined;
          const v = validateProperties(o!, { ...(isObject(input.properties) ? input.properties : {}), [idProperty]: idValue }, { creating: !existing });
          if (!idValue) v.errors.push({ code: 'INVALID_VALUE', name: idProperty, message: `The idProperty value (id) is missing` });
          if (v.errors.length) {
            errors.push(inputError(input.objectWriteTraceId, 'VALIDATION_ERROR', propertyErrorMessage(v.errors), v.errors));
            continue;
          }
          const rec = existing ?? create(state, o!, v.values);
          if (existing) update(o!, existing, v.values);
          results.push({ ...recordJson(rec), new: !existing, ...(typeof input.objectWriteTraceId === 'string' ? { objectWriteTraceId: input.objectWriteTraceId } : {}) });
        }
        return finish(inputs, results, errors, startedAt);
      }),
    },
    {
      method: 'POST',
      path: '/crm/v3/objects/:objectType/batch/create',
      handler: api((req, o) => {
        const startedAt = new Date().toISOString();
        const inputs = batchInputs(req, ['properties', 'associations', 'objectWriteTraceId']);
        if (!Array.isArray(inputs)) return inputs;
        for (const input of inputs) {
          const unknown = validateProperties(o!, isObject(input.properties) ? input.properties : {}, { creating: true }).unknown;
          if (unknown.length) return unknownPropertyError(unknown);
        }
        const results: unknown[] = [];
        const errors: ReturnType<typeof inputError>[] = [];
        for (const input of inputs) {
          const v = validateProperties(o!, isObject(input.properties) ? input.properties : {}, { creating: true });
          if (v.errors.length) {
            errors.push(inputError(input.objectWriteTraceId, 'VALIDATION_ERROR', propertyErrorMessage(v.errors), v.errors));
            continue;
          }
          // Contacts are unique by email even on create: HubSpot answers CONFLICT.
          const dup = o!.name === 'contacts' && v.values.email ? findBy(o!, 'email', v.values.email) : undefined;
          if (dup) {
            errors.push(inputError(input.objectWriteTraceId, 'CONFLICT', `Contact already exists. Existing ID: ${dup.id}`, []));
            continue;
          }
          // No uniqueness on other objects: a replayed create makes a duplicate.
          const rec = create(state, o!, v.values);
          results.push({ ...recordJson(rec), ...(typeof input.objectWriteTraceId === 'string' ? { objectWriteTraceId: input.objectWriteTraceId } : {}) });
        }
        return finish(inputs, results, errors, startedAt);
      }),
    },
    {
      method: 'POST',
      path: '/crm/v3/objects/:objectType/batch/update',
      handler: api((req, o) => {
        const startedAt = new Date().toISOString();
        const inputs = batchInputs(req, ['id', 'idProperty', 'properties', 'objectWriteTraceId']);
        if (!Array.isArray(inputs)) return inputs;
        for (const input of inputs) {
          if (input.idProperty !== undefined && !isIdProperty(o!, String(input.idProperty))) {
            return error(400, 'VALIDATION_ERROR', `"${input.idProperty}" is not a unique property of ${o!.name}`);
          }
          const unknown = validateProperties(o!, isObject(input.properties) ? input.properties : {}, { creating: false }).unknown;
          if (unknown.length) return unknownPropertyError(unknown);
        }
        const results: unknown[] = [];
        const errors: ReturnType<typeof inputError>[] = [];
        for (const input of inputs) {
          const id = String(input.id ?? '');
          const rec = input.idProperty !== undefined ? findBy(o!, String(input.idProperty), id) : table(o!).get(id);
          if (!rec) {
            errors.push(
              inputError(input.objectWriteTraceId, 'OBJECT_NOT_FOUND', `Could not get some ${o!.labels.singular.toUpperCase()} objects, they may be deleted or not exist. Check that ids are valid.`, [], { ids: [id] }),
            );
            continue;
          }
          const v = validateProperties(o!, isObject(input.properties) ? input.properties : {}, { creating: false });
          if (v.errors.length) {
            errors.push(inputError(input.objectWriteTraceId, 'VALIDATION_ERROR', propertyErrorMessage(v.errors), v.errors));
            continue;
          }
          update(o!, rec, v.values);
          results.push({ ...recordJson(rec), ...(typeof input.objectWriteTraceId === 'string' ? { objectWriteTraceId: input.objectWriteTraceId } : {}) });
        }
        return finish(inputs, results, errors, startedAt);
      }),
    },
    {
      method: 'POST',
      path: '/crm/v3/objects/:objectType/batch/read',
      handler: api((req, o) => {
        const startedAt = new Date().toISOString();
        const b = isObject(req.body) ? req.body : {};
        const inputs = batchInputs(req, ['id']);
        if (!Array.isArray(inputs)) return inputs;
        const idProperty = typeof b.idProperty === 'string' ? b.idProperty : undefined;
        if (idProperty !== undefined && !isIdProperty(o!, idProperty)) {
          return error(400, 'VALIDATION_ERROR', `"${idProperty}" is not a unique property of ${o!.name}; batch read needs a unique idProperty`);
        }
        const props = Array.isArray(b.properties) ? b.properties.map(String) : [];
        const unknown = props.filter((p) => !o!.properties.some((d) => d.name === p));
        if (unknown.length) return unknownPropertyError(unknown);
        const results: unknown[] = [];
        const missing: string[] = [];
        for (const input of inputs) {
          const id = String(input.id ?? '');
          const rec = idProperty ? findBy(o!, idProperty, id) : table(o!).get(id);
          if (rec) results.push(recordJson(rec, props));
          else missing.push(id);
        }
        const errors = missing.length
          ? [
              {
                status: 'error',
                category: 'OBJECT_NOT_FOUND',
                message: `Could not get some ${o!.labels.singular.toUpperCase()} objects, they may be deleted or not exist. Check that ids are valid.`,
                context: { ids: missing },
              },
            ]
          : [];
        const body: Json = { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString() };
        if (errors.length) Object.assign(body, { numErrors: errors.length, errors });
        return { status: errors.length ? 207 : 200, body };
      }),
    },
    {
      method: 'POST',
      path: '/crm/v3/objects/:objectType/batch/archive',
      handler: api((req, o) => {
        const inputs = batchInputs(req, ['id']);
        if (!Array.isArray(inputs)) return inputs;
        // Archiving an id that does not exist is not an error (204 either way).
        for (const input of inputs) {
          const rec = table(o!).get(String(input.id ?? ''));
          if (!rec) continue;
          reindex(o!, rec, false);
          table(o!).delete(rec.id);
        }
        return { status: 204 };
      }),
    },
    {
      method: 'POST',
      path: '/crm/v3/objects/:objectType/search',
      handler: api((req, o) => {
        if (searchRate.hit() !== null) {
          return error(429, 'RATE_LIMITS', 'You have reached your secondly limit for search.', { errorType: 'RATE_LIMIT', policyName: 'SEARCH_SECONDLY' });
        }
        const b = isObject(req.body) ? req.body : {};
        const groups = Array.isArray(b.filterGroups) ? b.filterGroups : [];
        if (groups.length > 5) return error(400, 'VALIDATION_ERROR', 'Too many filter groups: the limit is 5');
        const limit = Math.min(200, Number(b.limit ?? 10) || 10);
        const props = Array.isArray(b.properties) ? b.properties.map(String) : [];
        type Filter = { propertyName: string; operator: string; value?: unknown; values?: unknown[] };
        const parsed: Filter[][] = [];
        for (const g of groups) {
          const filters = isObject(g) && Array.isArray(g.filters) ? g.filters : [];
          if (filters.length > 6) return error(400, 'VALIDATION_ERROR', 'Too many filters in a group: the limit is 6');
          const fs: Filter[] = [];
          for (const f of filters) {
            if (!isObject(f) || typeof f.propertyName !== 'string' || typeof f.operator !== 'string') return error(400, 'VALIDATION_ERROR', 'Invalid filter');
            if (!['EQ', 'NEQ', 'IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY'].includes(f.operator)) {
              return error(400, 'VALIDATION_ERROR', `Operator ${f.operator} is not supported by this sandbox`);
            }
            fs.push({ propertyName: f.propertyName, operator: f.operator, value: f.value, values: Array.isArray(f.values) ? f.values : undefined });
          }
          parsed.push(fs);
        }
        const test = (r: HubRecord, f: Filter) => {
          const v = r.properties[f.propertyName];
          const norm = (x: unknown) => String(x ?? '').toLowerCase();
          switch (f.operator) {
            case 'EQ':
              return v !== undefined && norm(v) === norm(f.value);
            case 'NEQ':
              return norm(v) !== norm(f.value);
            case 'IN':
              return v !== undefined && (f.values ?? []).some((x) => norm(x) === norm(v));
            case 'HAS_PROPERTY':
              return v !== undefined && v !== '';
            default:
              return v === undefined || v === '';
          }
        };
        const now = Date.now();
        const hits = [...table(o!).values()]
          .filter((r) => r.indexedAt <= now)
          .filter((r) => parsed.length === 0 || parsed.some((fs) => fs.every((f) => test(r, f))))
          .sort((a, b2) => Number(a.id) - Number(b2.id));
        const after = Number(b.after ?? 0);
        const start = hits.findIndex((r) => Number(r.id) > after);
        const page = start < 0 ? [] : hits.slice(start, start + limit);
        const more = start >= 0 && start + limit < hits.length;
        return {
          status: 200,
          body: {
            total: hits.length,
            results: page.map((r) => recordJson(r, props)),
            ...(more ? { paging: { next: { after: page[page.length - 1]!.id } } } : {}),
          },
        };
      }),
    },
  ];

  return {
    name: 'hubspot',
    routes,
    records: (query) => {
      const o = resolve(query.get('object') ?? undefined);
      const all = o ? [...table(o).values()] : [...records.values()].flatMap((t) => [...t.values()]);
      const field = query.get('field');
      const value = query.get('value');
      return all
        .filter((r) => !field || value === null || (r.properties[field] ?? '').toLowerCase() === value.toLowerCase())
        .map((r) => ({ id: r.id, objectTypeId: r.objectTypeId, properties: r.properties, createdAt: r.createdAt, updatedAt: r.updatedAt }));
    },
    reset: () => {
      objects = initialObjects();
      records = new Map();
      uniqueIndex = new Map();
      nextId = 1001;
      // Issued access tokens survive a reset: they are auth state, not data.
      rate.reset();
      searchRate.reset();
    },
  };
}
