/**
 * Braze destination: user profiles by external_id.
 *
 *   upsert / mirror  POST /users/track   attributes objects, 75 per request (create or update)
 *   update           POST /users/track   with _update_existing_only: true
 *   removal (mirror) POST /users/delete  external_ids, 50 per request (permanent in Braze)
 *   lookup           POST /users/export/ids, 50 per request
 *
 * /users/track answers 201 with an `errors` array of minor errors, each naming
 * the array and the index of the object it refused; those rows are rejected
 * with the attribute Braze names, the rest are accepted. Braze queues the work
 * and is eventually consistent ("10–100 ms, allow up to 5 minutes"), so
 * lookup() is not a consistent read; upsert by external_id is idempotent, so the
 * engine never needs one to avoid duplicates. Braze does not report users it
 * skipped in update-only mode, so those rows come back accepted.
 */
import { z } from 'zod';
import { defineConnector } from '../../sdk/define';
import { ConnectorError, isConnectorError, type FieldDescriptor, type FieldType, type JsonValue, type RowResult, type WriteContext, type WriteRow } from '../../sdk/types';
import { api, baseUrl, ZTrackResponse } from './api';
import { isFatal, notSent, settle, type RowOutcome } from '../../sdk/outcomes';
import { EXTERNAL_ID, ZBrazeConfig, ZBrazeCredentials, ZBrazeOptions, type TBrazeConfig, type TBrazeCredentials, type TBrazeOptions } from './schema';

/** Attributes objects per /users/track request. */
export const TRACK_BATCH = 75;
/** external_ids per /users/delete and /users/export/ids request. */
export const ID_BATCH = 50;

type Ctx = WriteContext<TBrazeCredentials, TBrazeConfig, TBrazeOptions>;

const STANDARD_FIELDS: FieldDescriptor[] = [
  { name: EXTERNAL_ID, label: 'External ID', type: 'string', required: true, unique: true },
  { name: 'email', label: 'Email', type: 'string' },
  { name: 'phone', label: 'Phone (E.164)', type: 'string' },
  { name: 'first_name', label: 'First name', type: 'string' },
  { name: 'last_name', label: 'Last name', type: 'string' },
  { name: 'country', label: 'Country (ISO-3166-1 alpha-2)', type: 'string' },
  { name: 'home_city', label: 'Home city', type: 'string' },
  { name: 'language', label: 'Language (ISO-639-1)', type: 'string' },
  { name: 'dob', label: 'Date of birth', type: 'date' },
  { name: 'gender', label: 'Gender (M, F, O, N, P)', type: 'string' },
  { name: 'time_zone', label: 'Time zone (IANA)', type: 'string' },
  { name: 'email_subscribe', label: 'Email subscription (opted_in, subscribed, unsubscribed)', type: 'string' },
  { name: 'push_subscribe', label: 'Push subscription (opted_in, subscribed, unsubscribed)', type: 'string' },
];

function customType(dataType: string): FieldType {
  switch (dataType) {
    case 'Number':
      return 'number';
    case 'Boolean':
      return 'boolean';
    case 'Time':
      return 'timestamp';
    case 'Array':
      return 'string_array';
    case 'Object':
      return 'json';
    default:
      return 'string';
  }
}

const ZCustomAttributes = z.object({
  attributes: z.array(z.object({ name: z.string(), data_type: z.string().default('String'), description: z.string().nullish(), status: z.string().default('Active') })),
});

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const isRemoval = (row: WriteRow) => row.op === 'delete' || row.op === 'remove';

function externalIdOf(row: WriteRow): string | null {
  const v = row.match.field === EXTERNAL_ID ? row.match.value : row.fields[EXTERNAL_ID];
  return typeof v === 'string' && v !== '' ? v : null;
}

function attributesObject(row: WriteRow, externalId: string, updateOnly: boolean): Record<string, JsonValue> {
  return { ...row.fields, [EXTERNAL_ID]: externalId, ...(updateOnly ? { _update_existing_only: true } : {}) };
}

/** "'email' must be a valid email address" → email; identifier errors blame the match field. */
function blamedField(type: string, row: WriteRow): string | undefined {
  if (/is required/.test(type)) return row.match.field;
  return /'([^']+)'/.exec(type)?.[1];
}

/** One /users/track request: rows with a minor error are rejected, the others accepted. */
async function track(rows: { row: WriteRow; externalId: string }[], ctx: Ctx): Promise<RowOutcome[]> {
  const updateOnly = ctx.mode === 'update';
  const attributes = rows.map(({ row, externalId }) => attributesObject(row, externalId, updateOnly || row.op === 'update'));
  const res = await api(ctx, { method: 'POST', path: '/users/track', body: { attributes }, acceptStatus: [400] });
  const parsed = ZTrackResponse.safeParse(res.body);
  const minor = new Map<number, string>();
  for (const e of parsed.success ? (parsed.data.errors ?? []) : []) {
    if (typeof e !== 'string' && e.input_array === 'attributes' && e.index !== undefined) minor.set(e.index, e.type);
  }
  if (res.status === 400 && minor.size === 0) {
    throw new ConnectorError(`${ctx.connectionName}: POST /users/track: 400 ${parsed.success ? parsed.data.message : res.text.slice(0, 300)}`, {
      code: 'bad_request',
      retryable: false,
      applied: 'no',
      status: 400,
    });
  }
  return rows.map(({ row, externalId }, index): RowOutcome => {
    const problem = minor.get(index);
    if (problem) {
      const field = blamedField(problem, row);
      return { row, result: { recordKey: row.recordKey, status: 'rejected', message: `Braze refused the attributes: ${problem}`, ...(field ? { field } : {}) } };
    }
    // A fatal 400 processed nothing; the rows it did not blame are fine to send again.
    if (res.status === 400) return { row, result: { recordKey: row.recordKey, status: 'retryable', message: 'not processed: another object of the request was invalid' } };
    return { row, result: { recordKey: row.recordKey, status: 'accepted', externalId } };
  });
}

async function remove(rows: { row: WriteRow; externalId: string }[], ctx: Ctx): Promise<RowOutcome[]> {
  // Braze queues deletions and does not list unknown ids: a user that is absent is gone either way.
  await api(ctx, { method: 'POST', path: '/users/delete', body: { external_ids: rows.map((r) => r.externalId) } });
  return rows.map(({ row, externalId }) => ({ row, result: { recordKey: row.recordKey, status: 'accepted', externalId } }));
}

export const brazeDestination = defineConnector({
  slug: 'braze',
  kind: 'destination',
  displayName: 'Braze',
  icon: '🔥',
  description: 'User profile attributes by external_id, via /users/track; mirror deletes users.',
  credentialsSchema: ZBrazeCredentials,
  configSchema: ZBrazeConfig,
  optionsSchema: ZBrazeOptions,
  capabilities: {
    writes: 'records',
    modes: ['upsert', 'update', 'mirror'],
    batchSize: TRACK_BATCH,
    // Default /users/track limit: 3,000 requests per 3 seconds per workspace.
    rateLimit: { requestsPerSecond: 1000, burst: 3000 },
    deletes: true,
    idempotencyKey: false,
    consistentLookup: false,
    setOnlyIfEmpty: false,
  },

  async test(ctx) {
    try {
      await api(ctx, { method: 'POST', path: '/users/export/ids', body: { external_ids: ['backflow-connection-test'], fields_to_export: [EXTERNAL_ID] } });
      return { ok: true, message: 'Braze accepted the API key' };
    } catch (err) {
      if (isConnectorError(err)) return { ok: false, message: err.message, code: err.code };
      throw err;
    }
  },

  async discover(ctx) {
    const custom: z.infer<typeof ZCustomAttributes>['attributes'] = [];
    // Braze pages this export with a Link: <…?cursor=…>; rel="next" header.
    let query = '';
    for (let page = 0; page < 50; page++) {
      const res = await api(ctx, { method: 'GET', path: `/custom_attributes${query}` });
      custom.push(...ZCustomAttributes.parse(res.body).attributes);
      const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
      if (!next) break;
      query = new URL(next, baseUrl(ctx)).search;
    }
    const standard = new Set(STANDARD_FIELDS.map((f) => f.name));
    const fields: FieldDescriptor[] = [
      ...STANDARD_FIELDS,
      ...custom
        .filter((a) => !standard.has(a.name))
        .map((a): FieldDescriptor => {
          const blocked = a.status.toLowerCase().startsWith('block');
          return {
            name: a.name,
            type: customType(a.data_type),
            description: blocked ? 'blocklisted in Braze: values sent to it are dropped' : a.description || `custom attribute (${a.data_type})`,
            ...(blocked ? { readOnly: true } : {}),
          };
        }),
    ];
    return { objects: [{ name: 'users', label: 'Users', description: 'Braze user profiles, identified by external_id', fields, upsert: true }] };
  },

  async write(rows, ctx) {
    const outcomes: RowOutcome[] = [];
    const toTrack: { row: WriteRow; externalId: string }[] = [];
    const toDelete: { row: WriteRow; externalId: string }[] = [];
    for (const row of rows) {
      const externalId = externalIdOf(row);
      if (!externalId) {
        outcomes.push({ row, result: { recordKey: row.recordKey, status: 'rejected', message: `row has no ${EXTERNAL_ID} — fix: map a column to ${EXTERNAL_ID}`, field: EXTERNAL_ID } });
      } else {
        (isRemoval(row) ? toDelete : toTrack).push({ row, externalId });
      }
    }
    const requests = [
      ...chunks(toTrack, TRACK_BATCH).map((c) => ({ rows: c, send: () => track(c, ctx) })),
      ...chunks(toDelete, ID_BATCH).map((c) => ({ rows: c, send: () => remove(c, ctx) })),
    ];
    let fatal: ConnectorError | null = null;
    for (const request of requests) {
      if (fatal) {
        for (const { row } of request.rows) outcomes.push({ row, error: notSent(fatal) });
        continue;
      }
      try {
        outcomes.push(...(await request.send()));
      } catch (err) {
        if (!isConnectorError(err)) throw err;
        if (isFatal(err)) fatal = err;
        for (const { row } of request.rows) outcomes.push({ row, error: err });
      }
    }
    const order = new Map(rows.map((r, i) => [r.recordKey, i]));
    outcomes.sort((a, b) => (order.get(a.row.recordKey) ?? 0) - (order.get(b.row.recordKey) ?? 0));
    return settle(outcomes);
  },

  async lookup(requests, ctx) {
    const found = new Set<string>();
    for (const chunk of chunks(requests, ID_BATCH)) {
      const res = await api(ctx, { method: 'POST', path: '/users/export/ids', body: { external_ids: chunk.map((r) => r.match.value), fields_to_export: [EXTERNAL_ID] } });
      const users = z.object({ users: z.array(z.object({ external_id: z.string().nullish() })).default([]) }).parse(res.body).users;
      for (const u of users) if (u.external_id) found.add(u.external_id);
    }
    return requests.map((r) => ({ recordKey: r.recordKey, externalId: found.has(r.match.value) ? r.match.value : null }));
  },
});

