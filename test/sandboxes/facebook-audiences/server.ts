/**
 * Meta Marketing API (Custom Audiences) SANDBOX — test infrastructure, not a
 * Meta client. It implements the subset the facebook-audiences destination
 * uses: the ad account, its custom audiences, POST/DELETE /{audience_id}/users
 * with the multi-key {schema, data} payload and `session`, the long-lived token
 * exchange, Graph API error objects and the custom-audience rate limit (error
 * 80003 with X-Business-Use-Case-Usage). See README.md for each behaviour and
 * its documentation page.
 *
 * Run: tsx test/sandboxes/facebook-audiences/server.ts [--port N]
 * Env (tests only): META_SANDBOX_AUDIENCE_LIMIT / META_SANDBOX_AUDIENCE_WINDOW_MS
 * (default 1000 edits per 3,600,000 ms per ad account).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { RateWindow } from '../lib/rate-window';
import { runSandboxProcess, type Route, type SandboxRequest, type SandboxResponse, type SandboxState } from '../lib/server';

const ZEnv = z.object({
  META_SANDBOX_AUDIENCE_LIMIT: z.coerce.number().int().min(1).default(1000),
  META_SANDBOX_AUDIENCE_WINDOW_MS: z.coerce.number().int().min(1).default(3_600_000),
});
const env = ZEnv.parse(process.env);

const MAX_USERS = 10_000;
const APP = { id: 'sandbox-app', secret: 'sandbox-app-secret' };
const AD_ACCOUNT = '1000';

/** Multi-key schema keys; MADID, EXTERN_ID and LOOKALIKE_VALUE are sent unhashed. */
const HASHED_KEYS = ['EMAIL', 'PHONE', 'GEN', 'DOBY', 'DOBM', 'DOBD', 'LN', 'FN', 'FI', 'CT', 'ST', 'ZIP', 'COUNTRY'];
const PLAIN_KEYS = ['MADID', 'EXTERN_ID', 'LOOKALIKE_VALUE'];
const KEYS = new Set([...HASHED_KEYS, ...PLAIN_KEYS]);
/** Identity used to store a member: the first present of these. */
const IDENTITY_KEYS = ['EXTERN_ID', 'EMAIL', 'PHONE', 'MADID'];

type Token = { token: string; expired: boolean; scopes: string[] };
type Audience = { id: string; name: string; subtype: string; members: Map<string, Record<string, string>> };

const tokens = new Map<string, Token>();
const audiences = new Map<string, Audience>();
let issued = 0;

function seed(): void {
  tokens.clear();
  audiences.clear();
  issued = 0;
  for (const t of [
    { token: 'meta-sandbox-token', expired: false, scopes: ['ads_management', 'ads_read'] },
    { token: 'meta-sandbox-expired', expired: true, scopes: ['ads_management', 'ads_read'] },
    { token: 'meta-sandbox-readonly', expired: false, scopes: ['ads_read'] },
  ]) {
    tokens.set(t.token, t);
  }
  for (const a of [
    { id: '23800000001', name: 'Newsletter subscribers', subtype: 'CUSTOM' },
    { id: '23800000002', name: 'Lapsed buyers', subtype: 'CUSTOM' },
    { id: '23800000003', name: 'Lookalike (US, 1%)', subtype: 'LOOKALIKE' },
  ]) {
    audiences.set(a.id, { ...a, members: new Map() });
  }
}
seed();

const editWindow = new RateWindow(env.META_SANDBOX_AUDIENCE_LIMIT, env.META_SANDBOX_AUDIENCE_WINDOW_MS);

type GraphError = { message: string; type: string; code: number; error_subcode?: number; error_user_title?: string; error_user_msg?: string; is_transient?: boolean };
function graphError(e: GraphError, status = 400, headers?: Record<string, string>): SandboxResponse {
  return { status, headers, body: { error: { ...e, fbtrace_id: randomBytes(8).toString('base64url') } } };
}
const invalidParam = (msg: string, userMsg?: string) =>
  graphError({ message: `(#100) ${msg}`, type: 'OAuthException', code: 100, ...(userMsg ? { error_user_title: 'Invalid parameter', error_user_msg: userMsg } : {}) });
const missingObject = (id: string) =>
  graphError({
    message: `Unsupported request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    type: 'GraphMethodException',
    code: 100,
    error_subcode: 33,
  });

type Obj = Record<string, unknown>;
function asObject(v: unknown): Obj | null {
  if (typeof v === 'string') {
    try {
      return asObject(JSON.parse(v));
    } catch {
      return null;
    }
  }
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
}

/** Parameters come from the query string and, for POST/DELETE, the JSON or form body. */
function params(req: SandboxRequest): Obj {
  const out: Obj = Object.fromEntries(req.query.entries());
  const body = asObject(req.body) ?? (typeof req.body === 'string' ? Object.fromEntries(new URLSearchParams(req.body).entries()) : null);
  return { ...out, ...body };
}

function authenticate(req: SandboxRequest, p: Obj): { token: Token } | { error: SandboxResponse } {
  const header = /^(?:Bearer|OAuth) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const value = typeof p.access_token === 'string' ? p.access_token : header;
  if (!value) return { error: graphError({ message: 'An active access token must be used to query information about the current user.', type: 'OAuthException', code: 2500 }) };
  const token = tokens.get(value);
  if (!token) return { error: graphError({ message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190 }) };
  if (token.expired) {
    return {
      error: graphError({ message: 'Error validating access token: Session has expired.', type: 'OAuthException', code: 190, error_subcode: 463 }),
    };
  }
  if (p.appsecret_proof !== undefined) {
    const expected = createHmac('sha256', APP.secret).update(token.token).digest('hex');
    if (p.appsecret_proof !== expected) return { error: invalidParam('Invalid appsecret_proof provided in the API argument') };
  }
  return { token };
}

function bucUsage(pct: number, regainMinutes: number): Record<string, string> {
  return {
    'x-business-use-case-usage': JSON.stringify({
      [AD_ACCOUNT]: [{ type: 'custom_audience', call_count: pct, total_cputime: Math.min(pct, 100), total_time: Math.min(pct, 100), estimated_time_to_regain_access: regainMinutes }],
    }),
  };
}

const ZSession = z
  .object({ session_id: z.coerce.number().int().positive(), batch_seq: z.coerce.number().int().min(1), last_batch_flag: z.boolean(), estimated_num_total: z.coerce.number().int().min(0).optional() })
  .strict();

function editUsers(op: 'add' | 'remove', state: SandboxState) {
  return (req: SandboxRequest): SandboxResponse => {
    const p = params(req);
    const auth = authenticate(req, p);
    if ('error' in auth) return auth.error;
    const audience = audiences.get(req.params.node ?? '');
    if (!audience) return missingObject(req.params.node ?? '');
    if (!auth.token.scopes.includes('ads_management')) {
      return graphError({ message: '(#200) Requires ads_management permission to manage the object', type: 'OAuthException', code: 200 });
    }
    const now = Date.now();
    const wait = editWindow.hit(now);
    const used = Math.round(((editWindow.limit - editWindow.remaining(now)) / editWindow.limit) * 100);
    if (wait !== null) {
      return graphError(
        { message: 'There have been too many calls to this ad-account. Wait a bit and try again.', type: 'OAuthException', code: 80003, error_subcode: 2446079, is_transient: true },
        400,
        bucUsage(100, Math.ceil(wait / 60_000)),
      );
    }
    const unknown = Object.keys(p).filter((k) => !['access_token', 'appsecret_proof', 'payload', 'session'].includes(k));
    if (unknown.length) return invalidParam(`Param ${unknown[0]} is not a valid parameter for this endpoint`);
    if (audience.subtype !== 'CUSTOM') return invalidParam(`Users can only be added to or removed from customer file custom audiences; ${audience.id} is ${audience.subtype}`);
    const payload = asObject(p.payload);
    if (!payload) return invalidParam('The parameter payload is required');
    const extra = Object.keys(payload).filter((k) => !['schema', 'data', 'is_raw', 'data_source'].includes(k));
    if (extra.length) return invalidParam(`payload.${extra[0]} is not a valid field`);
    const schema = typeof payload.schema === 'string' ? [payload.schema] : payload.schema;
    if (!Array.isArray(schema) || schema.length === 0 || !schema.every((k): k is string => typeof k === 'string')) {
      return invalidParam('payload.schema must be a key or a list of keys');
    }
    const badKey = schema.find((k) => !KEYS.has(k));
    if (badKey) return invalidParam(`Invalid schema key ${badKey}`, `The key ${badKey} is not a supported customer information key.`);
    if (new Set(schema).size !== schema.length) return invalidParam('payload.schema lists a key twice');
    const data = payload.data;
    if (!Array.isArray(data) || data.length === 0) return invalidParam('payload.data must be a non-empty list');
    if (data.length > MAX_USERS) return invalidParam(`Too many users in the request: ${data.length}. The maximum is ${MAX_USERS}.`, `You can add or remove up to ${MAX_USERS} users per request.`);
    let session: z.infer<typeof ZSession> | undefined;
    if (p.session !== undefined) {
      const s = ZSession.safeParse(asObject(p.session));
      if (!s.success) return invalidParam(`Invalid session: ${s.error.issues[0]?.path.join('.')} ${s.error.issues[0]?.message}`);
      session = s.data;
    }
    const rows: Record<string, string>[] = [];
    for (let i = 0; i < data.length; i++) {
      const row = schema.length === 1 && !Array.isArray(data[i]) ? [data[i]] : data[i];
      if (!Array.isArray(row) || row.length !== schema.length) return invalidParam(`payload.data[${i}] must have ${schema.length} values, one per schema key`);
      rows.push(Object.fromEntries(schema.map((k, j) => [k, row[j] === null || row[j] === undefined ? '' : String(row[j])])));
    }
    // Per-entry validation does not fail the request: Meta counts and samples invalid entries.
    let invalid = 0;
    const samples: Record<string, string> = {};
    for (const row of rows) {
      const badHash = HASHED_KEYS.find((k) => row[k] !== undefined && row[k] !== '' && !/^[0-9a-f]{64}$/.test(row[k]!));
      const id = IDENTITY_KEYS.map((k) => row[k]).find((v) => v);
      if (badHash || !id) {
        invalid++;
        if (Object.keys(samples).length < 10) samples[JSON.stringify(row)] = badHash ? `${badHash} is not a SHA-256 hash` : 'no identifier';
        continue;
      }
      if (op === 'add') {
        if (!audience.members.has(id)) state.logCreate(`member:${audience.id}`, id, row);
        audience.members.set(id, row);
      } else {
        audience.members.delete(id);
      }
    }
    return {
      status: 200,
      headers: bucUsage(used, 0),
      body: {
        audience_id: audience.id,
        session_id: String(session?.session_id ?? now),
        num_received: rows.length,
        num_invalid_entries: invalid,
        invalid_entry_samples: samples,
      },
    };
  };
}

function routes(state: SandboxState): Route[] {
  return [
    {
      method: 'GET',
      path: '/:version/oauth/access_token',
      handler: (req) => {
        const q = req.query;
        if (q.get('grant_type') !== 'fb_exchange_token') return invalidParam('grant_type must be fb_exchange_token');
        if (q.get('client_id') !== APP.id) return graphError({ message: 'Error validating application. Invalid application ID.', type: 'OAuthException', code: 101 });
        if (q.get('client_secret') !== APP.secret) return graphError({ message: 'Error validating client secret.', type: 'OAuthException', code: 1 });
        const current = tokens.get(q.get('fb_exchange_token') ?? '');
        if (!current || current.expired) {
          return graphError({ message: 'Error validating access token: Session has expired.', type: 'OAuthException', code: 190, error_subcode: 463 });
        }
        const token = `meta-sandbox-ll-${++issued}`;
        tokens.set(token, { token, expired: false, scopes: current.scopes });
        return { status: 200, body: { access_token: token, token_type: 'bearer', expires_in: 5_184_000 } };
      },
    },
    {
      method: 'GET',
      path: '/:version/:node/customaudiences',
      handler: (req) => {
        const p = params(req);
        const auth = authenticate(req, p);
        if ('error' in auth) return auth.error;
        if (req.params.node !== `act_${AD_ACCOUNT}`) return missingObject(req.params.node ?? '');
        const limit = Math.min(Number(p.limit ?? 25), 500);
        const all = [...audiences.values()];
        const start = p.after ? Number(Buffer.from(String(p.after), 'base64url').toString()) : 0;
        const page = all.slice(start, start + limit);
        const next = start + limit < all.length ? Buffer.from(String(start + limit)).toString('base64url') : undefined;
        return {
          status: 200,
          body: {
            data: page.map((a) => ({
              id: a.id,
              name: a.name,
              subtype: a.subtype,
              approximate_count_lower_bound: a.members.size,
              approximate_count_upper_bound: a.members.size,
              operation_status: { code: 200, description: 'Normal' },
            })),
            paging: { cursors: { before: Buffer.from(String(start)).toString('base64url'), after: next ?? '' }, ...(next ? { next: `${req.path}?after=${next}` } : {}) },
          },
        };
      },
    },
    { method: 'POST', path: '/:version/:node/users', handler: editUsers('add', state) },
    { method: 'DELETE', path: '/:version/:node/users', handler: editUsers('remove', state) },
    {
      method: 'GET',
      path: '/:version/:node',
      handler: (req) => {
        const p = params(req);
        const auth = authenticate(req, p);
        if ('error' in auth) return auth.error;
        const node = req.params.node ?? '';
        if (node === 'me') return { status: 200, body: { id: '100000001', name: 'Sandbox system user' } };
        if (node === `act_${AD_ACCOUNT}`) return { status: 200, body: { id: node, account_id: AD_ACCOUNT, name: 'Sandbox ad account', account_status: 1 } };
        const a = audiences.get(node);
        if (!a) return missingObject(node);
        return { status: 200, body: { id: a.id, name: a.name, subtype: a.subtype, approximate_count_lower_bound: a.members.size, operation_status: { code: 200, description: 'Normal' } } };
      },
    },
  ];
}

void runSandboxProcess({
  name: 'facebook-audiences',
  routes,
  records: (query) => {
    const wanted = query.get('audience');
    return [...audiences.values()]
      .filter((a) => !wanted || a.id === wanted)
      .map((a) => ({ id: a.id, name: a.name, subtype: a.subtype, members: [...a.members.values()] }));
  },
  reset: () => {
    seed();
    editWindow.reset();
  },
});
