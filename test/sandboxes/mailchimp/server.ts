/**
 * Mailchimp Marketing API v3 SANDBOX — test infrastructure, not a Mailchimp
 * client. It implements the subset the Mailchimp destination uses (audiences,
 * merge fields, members, member tags, archive) with Mailchimp's documented
 * error format (application/problem+json: type, title, status, detail,
 * instance, errors[]). See README.md for each modelled behaviour and its page.
 *
 * Run: tsx test/sandboxes/mailchimp/server.ts [--port N]
 * Env (tests only): MAILCHIMP_SANDBOX_API_KEYS (comma-separated),
 * MAILCHIMP_SANDBOX_MAX_CONNECTIONS (default 10), MAILCHIMP_SANDBOX_LATENCY_MS
 * (default 0, makes the connection limit observable), MAILCHIMP_SANDBOX_RATE_LIMIT
 * and MAILCHIMP_SANDBOX_RATE_WINDOW_MS (optional extra request window).
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { RateWindow } from '../lib/rate-window';
import { runSandboxProcess, type Route, type SandboxRequest, type SandboxResponse, type SandboxState } from '../lib/server';

const ZEnv = z.object({
  MAILCHIMP_SANDBOX_API_KEYS: z.string().default('sandbox0123456789abcdef0123456789-us21'),
  MAILCHIMP_SANDBOX_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(10),
  MAILCHIMP_SANDBOX_LATENCY_MS: z.coerce.number().int().min(0).default(0),
  MAILCHIMP_SANDBOX_RATE_LIMIT: z.coerce.number().int().min(1).optional(),
  MAILCHIMP_SANDBOX_RATE_WINDOW_MS: z.coerce.number().int().min(1).default(1000),
});
const env = ZEnv.parse(process.env);
const apiKeys = new Set(env.MAILCHIMP_SANDBOX_API_KEYS.split(',').map((k) => k.trim()).filter(Boolean));

type MergeField = { merge_id: number; tag: string; name: string; type: string; required: boolean };
type Member = {
  id: string;
  email_address: string;
  status: string;
  merge_fields: Record<string, unknown>;
  tags: Set<string>;
  language: string;
  vip: boolean;
  last_changed: string;
};
type List = { id: string; name: string; mergeFields: MergeField[]; members: Map<string, Member> };

const lists = new Map<string, List>();
let nextMergeId = 1;

function seed(): void {
  lists.clear();
  nextMergeId = 1;
  const mf = (tag: string, name: string, type: string, required = false): MergeField => ({ merge_id: nextMergeId++, tag, name, type, required });
  lists.set('list0001', {
    id: 'list0001',
    name: 'Newsletter',
    mergeFields: [mf('FNAME', 'First Name', 'text'), mf('LNAME', 'Last Name', 'text'), mf('SCORE', 'Lead score', 'number'), mf('BIRTHDAY', 'Birthday', 'birthday')],
    members: new Map(),
  });
  lists.set('list0002', { id: 'list0002', name: 'Product updates', mergeFields: [mf('FNAME', 'First Name', 'text')], members: new Map() });
}
seed();

function subscriberHash(email: string): string {
  return createHash('md5').update(email.trim().toLowerCase()).digest('hex');
}

const ERROR_DOC = 'https://mailchimp.com/developer/marketing/docs/errors/';

function problem(status: number, title: string, detail: string, errors?: { field: string; message: string }[]): SandboxResponse {
  return {
    status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8' },
    body: JSON.stringify({ type: ERROR_DOC, title, status, detail, instance: randomUUID(), ...(errors ? { errors } : {}) }),
  };
}

const notFound = () => problem(404, 'Resource Not Found', 'The requested resource could not be found.');
const invalid = (detail: string, errors?: { field: string; message: string }[]) => problem(400, 'Invalid Resource', detail, errors);

/** Basic auth with any user name and the API key as password. */
function authError(req: SandboxRequest): SandboxResponse | null {
  const header = req.headers.authorization ?? '';
  const m = /^Basic (.+)$/i.exec(header);
  if (!m) return problem(401, 'API Key Missing', 'Your request did not include an API key.');
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const key = decoded.slice(decoded.indexOf(':') + 1);
  if (!apiKeys.has(key)) return problem(401, 'API Key Invalid', "Your API key may be invalid, or you've attempted to access the wrong datacenter.");
  return null;
}

// Deliberately permissive: catches obvious garbage the way Mailchimp's signup validation does.
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[A-Za-z]{2,}$/;
const MEMBER_FIELDS = new Set(['email_address', 'status', 'status_if_new', 'merge_fields', 'language', 'vip', 'tags', 'email_type']);
const STATUSES = ['subscribed', 'unsubscribed', 'cleaned', 'pending', 'transactional'];

type Body = Record<string, unknown>;
function asObject(v: unknown): Body | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Body) : null;
}

/** Shape and value checks shared by PUT, PATCH and POST; returns an error response or null. */
function validateMember(list: List, body: Body, partial: boolean): SandboxResponse | null {
  const unknown = Object.keys(body).filter((k) => !MEMBER_FIELDS.has(k));
  if (unknown.length) {
    return invalid("The resource submitted could not be validated. For field-specific details, see the 'errors' array.", unknown.map((f) => ({ field: f, message: 'Unrecognized field' })));
  }
  if (!partial || body.email_address !== undefined) {
    const email = body.email_address;
    if (typeof email !== 'string' || !email.trim()) {
      return invalid("The resource submitted could not be validated. For field-specific details, see the 'errors' array.", [{ field: 'email_address', message: 'This value should not be blank.' }]);
    }
    if (!EMAIL_RE.test(email.trim())) return invalid(`${email} looks fake or invalid, please enter a real email address.`, [{ field: 'email_address', message: 'Invalid email address' }]);
  }
  for (const key of ['status', 'status_if_new'] as const) {
    if (body[key] !== undefined && (typeof body[key] !== 'string' || !STATUSES.includes(body[key]))) {
      return invalid("The resource submitted could not be validated. For field-specific details, see the 'errors' array.", [{ field: key, message: `Value must be one of: ${STATUSES.join(', ')}` }]);
    }
  }
  if (body.merge_fields !== undefined) {
    const mf = asObject(body.merge_fields);
    if (!mf) return invalid('Your merge fields were invalid.', [{ field: 'merge_fields', message: 'Schema describes object' }]);
    for (const [tag, value] of Object.entries(mf)) {
      const def = list.mergeFields.find((f) => f.tag === tag);
      if (!def) return invalid('Your merge fields were invalid.', [{ field: `merge_fields.${tag}`, message: `Merge field ${tag} does not exist in this audience` }]);
      if (value === null || value === '') continue;
      if (def.type === 'number' && (typeof value !== 'number' && !(typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))))) {
        return invalid('Your merge fields were invalid.', [{ field: tag, message: 'Please enter a number' }]);
      }
      if (def.type === 'birthday' && !(typeof value === 'string' && /^\d{2}\/\d{2}$/.test(value))) {
        return invalid('Your merge fields were invalid.', [{ field: tag, message: 'Please enter a month (01-12) and a day (01-31), as MM/DD' }]);
      }
    }
  }
  if (body.tags !== undefined && !(Array.isArray(body.tags) && body.tags.every((t) => typeof t === 'string'))) {
    return invalid("The resource submitted could not be validated. For field-specific details, see the 'errors' array.", [{ field: 'tags', message: 'Schema describes array of strings' }]);
  }
  return null;
}

function serialize(list: List, m: Member) {
  return {
    id: m.id,
    email_address: m.email_address,
    unique_email_id: m.id.slice(0, 10),
    status: m.status,
    merge_fields: m.merge_fields,
    tags: [...m.tags].map((name) => ({ id: name.length, name })),
    language: m.language,
    vip: m.vip,
    last_changed: m.last_changed,
    list_id: list.id,
  };
}

function applyFields(m: Member, body: Body): void {
  const mf = asObject(body.merge_fields);
  if (mf) m.merge_fields = { ...m.merge_fields, ...mf };
  if (typeof body.language === 'string') m.language = body.language;
  if (typeof body.vip === 'boolean') m.vip = body.vip;
  if (Array.isArray(body.tags)) for (const t of body.tags) if (typeof t === 'string') m.tags.add(t);
  m.last_changed = new Date().toISOString();
}

function routes(state: SandboxState): Route[] {
  const list = (req: SandboxRequest) => lists.get(req.params.listId ?? '');
  const newMember = (l: List, body: Body, status: string): Member => {
    const email = String(body.email_address).trim();
    const m: Member = { id: subscriberHash(email), email_address: email, status, merge_fields: {}, tags: new Set(), language: '', vip: false, last_changed: '' };
    applyFields(m, body);
    l.members.set(m.id, m);
    state.logCreate(`member:${l.id}`, m.id, { email_address: email, status });
    return m;
  };
  return [
    { method: 'GET', path: '/3.0/ping', handler: () => ({ status: 200, body: { health_status: "Everything's Chimpy!" } }) },
    {
      method: 'GET',
      path: '/3.0/lists',
      handler: () => {
        const all = [...lists.values()].map((l) => ({ id: l.id, name: l.name, stats: { member_count: [...l.members.values()].filter((m) => m.status === 'subscribed').length } }));
        return { status: 200, body: { lists: all, total_items: all.length } };
      },
    },
    {
      method: 'GET',
      path: '/3.0/lists/:listId',
      handler: (req) => {
        const l = list(req);
        return l ? { status: 200, body: { id: l.id, name: l.name } } : notFound();
      },
    },
    {
      method: 'GET',
      path: '/3.0/lists/:listId/merge-fields',
      handler: (req) => {
        const l = list(req);
        if (!l) return notFound();
        const count = Math.min(1000, Number(req.query.get('count') ?? 10));
        const offset = Number(req.query.get('offset') ?? 0);
        const page = l.mergeFields.slice(offset, offset + count).map((f) => ({ ...f, list_id: l.id, public: false, display_order: f.merge_id, options: {} }));
        return { status: 200, body: { merge_fields: page, list_id: l.id, total_items: l.mergeFields.length } };
      },
    },
    {
      // Lets a test change the audience's schema the way a Mailchimp user would.
      method: 'DELETE',
      path: '/3.0/lists/:listId/merge-fields/:mergeId',
      handler: (req) => {
        const l = list(req);
        const before = l?.mergeFields.length ?? 0;
        if (!l) return notFound();
        l.mergeFields = l.mergeFields.filter((f) => String(f.merge_id) !== req.params.mergeId);
        return l.mergeFields.length === before ? notFound() : { status: 204 };
      },
    },
    {
      method: 'GET',
      path: '/3.0/lists/:listId/members/:hash',
      handler: (req) => {
        const l = list(req);
        const m = l?.members.get(req.params.hash ?? '');
        return l && m ? { status: 200, body: serialize(l, m) } : notFound();
      },
    },
    {
      // Add or update: idempotent by subscriber hash.
      method: 'PUT',
      path: '/3.0/lists/:listId/members/:hash',
      handler: (req) => {
        const l = list(req);
        if (!l) return notFound();
        const body = asObject(req.body);
        if (!body) return problem(400, 'Bad Request', 'We encountered an unspecified JSON parsing error.');
        const bad = validateMember(l, body, false);
        if (bad) return bad;
        if (subscriberHash(String(body.email_address)) !== req.params.hash) {
          return invalid('The subscriber hash in the URL does not match the email address in the body.', [{ field: 'email_address', message: 'Does not match the subscriber hash' }]);
        }
        const existing = l.members.get(req.params.hash!);
        if (!existing || existing.status === 'archived') {
          const status = (body.status ?? body.status_if_new) as string | undefined;
          if (!status) return invalid("The resource submitted could not be validated. For field-specific details, see the 'errors' array.", [{ field: 'status_if_new', message: 'This value should not be blank.' }]);
          if (existing) {
            existing.status = status;
            applyFields(existing, body);
            return { status: 200, body: serialize(l, existing) };
          }
          return { status: 200, body: serialize(l, newMember(l, body, status)) };
        }
        if (typeof body.status === 'string') existing.status = body.status;
        applyFields(existing, body);
        return { status: 200, body: serialize(l, existing) };
      },
    },
    {
      method: 'PATCH',
      path: '/3.0/lists/:listId/members/:hash',
      handler: (req) => {
        const l = list(req);
        if (!l) return notFound();
        const m = l.members.get(req.params.hash ?? '');
        if (!m || m.status === 'archived') return notFound();
        const body = asObject(req.body);
        if (!body) return problem(400, 'Bad Request', 'We encountered an unspecified JSON parsing error.');
        const bad = validateMember(l, body, true);
        if (bad) return bad;
        if (typeof body.status === 'string') m.status = body.status;
        applyFields(m, body);
        return { status: 200, body: serialize(l, m) };
      },
    },
    {
      // Add member: NOT idempotent — a second call for the same address fails with "Member Exists".
      method: 'POST',
      path: '/3.0/lists/:listId/members',
      handler: (req) => {
        const l = list(req);
        if (!l) return notFound();
        const body = asObject(req.body);
        if (!body) return problem(400, 'Bad Request', 'We encountered an unspecified JSON parsing error.');
        const bad = validateMember(l, body, false);
        if (bad) return bad;
        if (typeof body.status !== 'string') {
          return invalid("The resource submitted could not be validated. For field-specific details, see the 'errors' array.", [{ field: 'status', message: 'This value should not be blank.' }]);
        }
        const existing = l.members.get(subscriberHash(String(body.email_address)));
        if (existing && existing.status !== 'archived') {
          return problem(400, 'Member Exists', `${existing.email_address} is already a list member. Use PUT to insert or update list members.`);
        }
        if (existing) {
          existing.status = body.status;
          applyFields(existing, body);
          return { status: 200, body: serialize(l, existing) };
        }
        return { status: 200, body: serialize(l, newMember(l, body, body.status)) };
      },
    },
    {
      // Archive (soft delete); the member can be re-added later.
      method: 'DELETE',
      path: '/3.0/lists/:listId/members/:hash',
      handler: (req) => {
        const l = list(req);
        const m = l?.members.get(req.params.hash ?? '');
        if (!l || !m || m.status === 'archived') return notFound();
        m.status = 'archived';
        m.last_changed = new Date().toISOString();
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      path: '/3.0/lists/:listId/members/:hash/tags',
      handler: (req) => {
        const l = list(req);
        const m = l?.members.get(req.params.hash ?? '');
        if (!l || !m) return notFound();
        const parsed = z
          .object({ tags: z.array(z.object({ name: z.string().min(1).max(100), status: z.enum(['active', 'inactive']) }).strict()), is_syncing: z.boolean().optional() })
          .strict()
          .safeParse(req.body);
        if (!parsed.success) {
          return invalid(
            "The resource submitted could not be validated. For field-specific details, see the 'errors' array.",
            parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'tags', message: i.message })),
          );
        }
        for (const t of parsed.data.tags) {
          if (t.status === 'active') m.tags.add(t.name);
          else m.tags.delete(t.name);
        }
        return { status: 204 };
      },
    },
  ];
}

// ── connection limit and optional rate window, applied around every API route ──

let inFlight = 0;
const window = env.MAILCHIMP_SANDBOX_RATE_LIMIT ? new RateWindow(env.MAILCHIMP_SANDBOX_RATE_LIMIT, env.MAILCHIMP_SANDBOX_RATE_WINDOW_MS) : null;

function guarded(route: Route): Route {
  return {
    ...route,
    handler: async (req) => {
      const unauthorized = authError(req);
      if (unauthorized) return unauthorized;
      if (inFlight >= env.MAILCHIMP_SANDBOX_MAX_CONNECTIONS) {
        return problem(429, 'Too Many Requests', `You have exceeded the limit of ${env.MAILCHIMP_SANDBOX_MAX_CONNECTIONS} simultaneous connections.`);
      }
      if (window && window.hit() !== null) return problem(429, 'Too Many Requests', 'You have exceeded the request rate allowed for this sandbox.');
      inFlight++;
      try {
        if (env.MAILCHIMP_SANDBOX_LATENCY_MS > 0) await new Promise((r) => setTimeout(r, env.MAILCHIMP_SANDBOX_LATENCY_MS));
        return await route.handler(req);
      } finally {
        inFlight--;
      }
    },
  };
}

void runSandboxProcess({
  name: 'mailchimp',
  routes: (state) => routes(state).map(guarded),
  records: (query) => {
    const wanted = query.get('list');
    return [...lists.values()]
      .filter((l) => !wanted || l.id === wanted)
      .map((l) => ({
        id: l.id,
        name: l.name,
        mergeFields: l.mergeFields,
        members: [...l.members.values()].map((m) => serialize(l, m)),
      }));
  },
  reset: () => {
    seed();
    window?.reset();
  },
});
