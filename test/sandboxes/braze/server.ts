/**
 * Braze REST API SANDBOX — test infrastructure, not a Braze client. It
 * implements the subset the Braze destination uses: /users/track (attributes),
 * /users/export/ids, /users/delete and GET /custom_attributes, with Braze's
 * batch limits, minor (per-object) errors, fatal errors and rate-limit headers.
 * See README.md for each modelled behaviour and its documentation page.
 *
 * Run: tsx test/sandboxes/braze/server.ts [--port N]
 * Env (tests only): BRAZE_SANDBOX_API_KEYS (comma-separated),
 * BRAZE_SANDBOX_TRACK_LIMIT / BRAZE_SANDBOX_TRACK_WINDOW_MS (default 3000 per 3000 ms),
 * BRAZE_SANDBOX_EXPORT_LIMIT / BRAZE_SANDBOX_EXPORT_WINDOW_MS (default 250 per 60000 ms),
 * BRAZE_SANDBOX_DELETE_LIMIT / BRAZE_SANDBOX_DELETE_WINDOW_MS (default 20000 per 60000 ms).
 */
import { z } from 'zod';
import { RateWindow } from '../lib/rate-window';
import { runSandboxProcess, type Route, type SandboxRequest, type SandboxResponse, type SandboxState } from '../lib/server';

const ZEnv = z.object({
  BRAZE_SANDBOX_API_KEYS: z.string().default('braze-sandbox-key'),
  BRAZE_SANDBOX_TRACK_LIMIT: z.coerce.number().int().min(1).default(3000),
  BRAZE_SANDBOX_TRACK_WINDOW_MS: z.coerce.number().int().min(1).default(3000),
  BRAZE_SANDBOX_EXPORT_LIMIT: z.coerce.number().int().min(1).default(250),
  BRAZE_SANDBOX_EXPORT_WINDOW_MS: z.coerce.number().int().min(1).default(60_000),
  BRAZE_SANDBOX_DELETE_LIMIT: z.coerce.number().int().min(1).default(20_000),
  BRAZE_SANDBOX_DELETE_WINDOW_MS: z.coerce.number().int().min(1).default(60_000),
});
const env = ZEnv.parse(process.env);
const apiKeys = new Set(env.BRAZE_SANDBOX_API_KEYS.split(',').map((k) => k.trim()).filter(Boolean));

/** Per request array (attributes, events, purchases). */
const MAX_OBJECTS = 75;
/** external_ids per /users/export/ids and /users/delete request. */
const MAX_IDS = 50;
/** Custom attributes per GET /custom_attributes page. */
const ATTRIBUTES_PAGE = 50;

type User = { key: string; external_id: string | null; attributes: Record<string, unknown>; created_at: string };
type CustomAttribute = { name: string; data_type: string; description: string; status: 'Active' | 'Blocklisted' };

const users = new Map<string, User>();
const customAttributes = new Map<string, CustomAttribute>();

const STANDARD = new Set([
  'external_id', 'user_alias', 'braze_id', 'email', 'phone', '_update_existing_only', 'first_name', 'last_name', 'country', 'home_city',
  'language', 'dob', 'gender', 'time_zone', 'email_subscribe', 'push_subscribe', 'subscription_groups',
]);

function seed(): void {
  users.clear();
  customAttributes.clear();
  for (const a of [
    { name: 'plan', data_type: 'String', description: 'Subscription plan' },
    { name: 'lifetime_value', data_type: 'Number', description: 'Revenue to date' },
    { name: 'is_vip', data_type: 'Boolean', description: '' },
  ]) {
    customAttributes.set(a.name, { ...a, status: 'Active' });
  }
  customAttributes.set('legacy_score', { name: 'legacy_score', data_type: 'Number', description: 'Retired', status: 'Blocklisted' });
}
seed();

const windows = {
  track: new RateWindow(env.BRAZE_SANDBOX_TRACK_LIMIT, env.BRAZE_SANDBOX_TRACK_WINDOW_MS),
  // Braze does not publish a number for /custom_attributes; the sandbox allows 1,000 an hour.
  attributes: new RateWindow(1000, 3_600_000),
  export: new RateWindow(env.BRAZE_SANDBOX_EXPORT_LIMIT, env.BRAZE_SANDBOX_EXPORT_WINDOW_MS),
  delete: new RateWindow(env.BRAZE_SANDBOX_DELETE_LIMIT, env.BRAZE_SANDBOX_DELETE_WINDOW_MS),
};

function dataType(v: unknown): string {
  if (typeof v === 'number') return 'Number';
  if (typeof v === 'boolean') return 'Boolean';
  if (Array.isArray(v)) return 'Array';
  if (v && typeof v === 'object') return 'Object';
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) return 'Time';
  return 'String';
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[A-Za-z]{2,}$/;
type MinorError = { type: string; input_array: string; index: number };
type Obj = Record<string, unknown>;
function asObject(v: unknown): Obj | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
}

function identity(o: Obj): string | null {
  if (typeof o.external_id === 'string' && o.external_id) return `external_id:${o.external_id}`;
  if (typeof o.braze_id === 'string' && o.braze_id) return `braze_id:${o.braze_id}`;
  if (typeof o.email === 'string' && o.email) return `email:${o.email.toLowerCase()}`;
  if (typeof o.phone === 'string' && o.phone) return `phone:${o.phone}`;
  const alias = asObject(o.user_alias);
  if (alias && typeof alias.alias_name === 'string') return `alias:${alias.alias_label}:${alias.alias_name}`;
  return null;
}

/** A minor error for one attributes object, or null when it can be processed. */
function checkAttributes(o: Obj): string | null {
  if (!identity(o)) return "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required";
  if (o.email !== undefined && o.email !== null && !(typeof o.email === 'string' && EMAIL_RE.test(o.email))) return "'email' must be a valid email address";
  if (o.dob !== undefined && o.dob !== null && !(typeof o.dob === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(o.dob))) return "'dob' must be a date in the format YYYY-MM-DD";
  if (o.gender !== undefined && o.gender !== null && !['M', 'F', 'O', 'N', 'P'].includes(String(o.gender))) return "'gender' must be one of M, F, O, N, P";
  if (o._update_existing_only !== undefined && typeof o._update_existing_only !== 'boolean') return "'_update_existing_only' must be a boolean";
  for (const [k, v] of Object.entries(o)) {
    if (STANDARD.has(k)) continue;
    if (k.length > 255 || k.startsWith('$')) return `'${k}' is not a valid custom attribute name`;
    if (typeof v === 'string' && v.length > 255) return `'${k}' must be at most 255 characters`;
  }
  return null;
}

function rateHeaders(w: RateWindow, now: number): Record<string, string> {
  return {
    'x-ratelimit-limit': String(w.limit),
    'x-ratelimit-remaining': String(w.remaining(now)),
    'x-ratelimit-reset': String(Math.ceil((now + w.windowMs) / 1000)),
  };
}

function authorize(req: SandboxRequest): SandboxResponse | null {
  const m = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
  if (!m || !apiKeys.has(m[1]!.trim())) return { status: 401, body: { message: 'Unknown or missing REST API Key' } };
  return null;
}

/** Auth, then the endpoint's rate window (429 with X-RateLimit-* headers), then the handler. */
function limited(w: RateWindow, handler: (req: SandboxRequest) => SandboxResponse): (req: SandboxRequest) => SandboxResponse {
  return (req) => {
    const unauthorized = authorize(req);
    if (unauthorized) return unauthorized;
    const now = Date.now();
    const wait = w.hit(now);
    if (wait !== null) {
      return {
        status: 429,
        headers: { 'x-ratelimit-limit': String(w.limit), 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.ceil((now + wait) / 1000)) },
        body: { message: 'Rate Limited: over rate limit' },
      };
    }
    const res = handler(req);
    return { ...res, headers: { ...rateHeaders(w, now), ...res.headers } };
  };
}

function routes(state: SandboxState): Route[] {
  return [
    {
      method: 'POST',
      path: '/users/track',
      handler: limited(windows.track, (req) => {
        const body = asObject(req.body);
        if (!body) return { status: 400, body: { message: 'Bad Request: the body must be a JSON object' } };
        const unknown = Object.keys(body).filter((k) => !['attributes', 'events', 'purchases'].includes(k));
        if (unknown.length) return { status: 400, body: { message: `Bad Request: unknown field(s) ${unknown.join(', ')}` } };
        for (const key of ['attributes', 'events', 'purchases'] as const) {
          const arr = body[key];
          if (arr !== undefined && !Array.isArray(arr)) return { status: 400, body: { message: `Bad Request: '${key}' must be an array` } };
          if (Array.isArray(arr) && arr.length > MAX_OBJECTS) return { status: 400, body: { message: 'Max Input Length Exceeded' } };
        }
        const attributes = Array.isArray(body.attributes) ? body.attributes : [];
        const errors: MinorError[] = [];
        let processed = 0;
        attributes.forEach((raw, index) => {
          const o = asObject(raw);
          const problem = o ? checkAttributes(o) : 'attributes object must be a JSON object';
          if (problem || !o) {
            errors.push({ type: problem ?? 'invalid object', input_array: 'attributes', index });
            return;
          }
          const key = identity(o)!;
          const existing = users.get(key);
          // external_id defaults to create-or-update; user_alias defaults to update-only.
          const updateOnly = o._update_existing_only ?? o.user_alias !== undefined;
          if (!existing && updateOnly) return; // silently skipped: Braze does not report it
          const attrs: Obj = {};
          for (const [k, v] of Object.entries(o)) {
            if (k === '_update_existing_only' || k === 'external_id') continue;
            const def = customAttributes.get(k);
            if (def?.status === 'Blocklisted') continue; // blocklisted data is not recorded
            if (!STANDARD.has(k) && !def) customAttributes.set(k, { name: k, data_type: dataType(v), description: '', status: 'Active' });
            attrs[k] = v;
          }
          if (existing) {
            existing.attributes = { ...existing.attributes, ...attrs };
          } else {
            const user: User = { key, external_id: typeof o.external_id === 'string' ? o.external_id : null, attributes: attrs, created_at: new Date().toISOString() };
            users.set(key, user);
            state.logCreate('user', key, { external_id: user.external_id });
          }
          processed++;
        });
        if (attributes.length > 0 && processed === 0 && errors.length === attributes.length) {
          return { status: 400, body: { message: "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.", errors } };
        }
        return { status: 201, body: { message: 'success', ...(attributes.length ? { attributes_processed: processed } : {}), ...(errors.length ? { errors } : {}) } };
      }),
    },
    {
      method: 'POST',
      path: '/users/export/ids',
      handler: limited(windows.export, (req) => {
        const parsed = z
          .object({ external_ids: z.array(z.string()).optional(), fields_to_export: z.array(z.string()).optional() })
          .strict()
          .safeParse(req.body);
        if (!parsed.success) return { status: 400, body: { message: `Bad Request: ${parsed.error.issues[0]?.message}` } };
        const ids = parsed.data.external_ids ?? [];
        if (ids.length > MAX_IDS) return { status: 400, body: { message: 'The max number of external_ids and aliases per request was exceeded' } };
        const found = ids.map((id) => users.get(`external_id:${id}`)).filter((u): u is User => !!u);
        return {
          status: 201,
          body: {
            message: 'success',
            users: found.map((u) => ({ external_id: u.external_id, ...u.attributes, created_at: u.created_at })),
            invalid_user_ids: ids.filter((id) => !users.has(`external_id:${id}`)),
          },
        };
      }),
    },
    {
      method: 'POST',
      path: '/users/delete',
      handler: limited(windows.delete, (req) => {
        const parsed = z.object({ external_ids: z.array(z.string()).optional(), braze_ids: z.array(z.string()).optional() }).strict().safeParse(req.body);
        if (!parsed.success) return { status: 400, body: { message: `Bad Request: ${parsed.error.issues[0]?.message}` } };
        const ids = parsed.data.external_ids ?? [];
        if (ids.length > MAX_IDS) return { status: 400, body: { message: 'The max number of external_ids and aliases per request was exceeded' } };
        let deleted = 0;
        for (const id of ids) if (users.delete(`external_id:${id}`)) deleted++;
        // Braze answers with the number QUEUED for deletion; unknown ids are simply not counted.
        return { status: 201, body: { deleted, message: 'success' } };
      }),
    },
    {
      // 50 per page, sorted by name; the next page is in a Link header.
      method: 'GET',
      path: '/custom_attributes',
      handler: limited(windows.attributes, (req): SandboxResponse => {
        const cursor = req.query.get('cursor');
        const start = cursor ? Number(Buffer.from(cursor, 'base64').toString().replace('skip:', '')) : 0;
        if (!Number.isInteger(start) || start < 0) return { status: 400, body: { message: 'Bad Request: invalid cursor' } };
        const all = [...customAttributes.values()].sort((a, b) => a.name.localeCompare(b.name));
        const page = all.slice(start, start + ATTRIBUTES_PAGE);
        const next = start + ATTRIBUTES_PAGE < all.length ? Buffer.from(`skip:${start + ATTRIBUTES_PAGE}`).toString('base64') : null;
        return {
          status: 200,
          headers: next ? { link: `<http://${req.headers.host}/custom_attributes?cursor=${next}>; rel="next"` } : {},
          body: { message: 'success', attributes: page.map((a) => ({ ...a, array_length: null, tag_names: [] })) },
        };
      }),
    },
  ];
}

void runSandboxProcess({
  name: 'braze',
  routes,
  records: (query) => {
    const id = query.get('external_id');
    return [...users.values()].filter((u) => !id || u.external_id === id);
  },
  reset: () => {
    seed();
    for (const w of Object.values(windows)) w.reset();
  },
});
