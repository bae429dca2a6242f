/**
 * Webhook destination against a LOCAL TEST RECEIVER: an HTTP server started
 * inside this test (on the sandbox framework, for its request log and fault
 * injection). The receiver behaves as the README tells receivers to:
 *
 *   - it checks the bearer token (401) and the X-Backflow-Signature (401);
 *   - it remembers every Idempotency-Key it answered and replays the stored
 *     answer for a repeated key, and it skips rows whose own idempotencyKey it
 *     already applied — so a replayed batch has no duplicate effect;
 *   - batch requests get 200 with a per-row `results` list (an email without
 *     "@" is rejected with its field); row requests get 422 {field, message};
 *   - more than 100 rows in one request → 413.
 *
 * Its "records" for the conformance kit are its event log keyed by match
 * value: each applied put event adds one entry, a delete removes the entries
 * of its match value. countByMatch(v) > 1 would mean an event was applied
 * twice.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookDestination, batchKey, signBody, verifySignature } from '../../../connectors/destinations/webhook';
import { ZWebhookOptions } from '../../../connectors/destinations/webhook/schema';
import { compileTemplate, renderTemplate } from '../../../connectors/destinations/webhook/template';
import type { JsonValue, WriteRow } from '../../../connectors/sdk/types';
import { startSandbox, type RunningSandbox, type SandboxDefinition, type SandboxResponse } from '../../sandboxes/lib/server';
import { testWriteContext } from '../../helpers/connector-context';
import { describeConformance } from '../conformance';
import type { ConformanceSubject, FaultKind } from '../conformance-subject';
import { z } from 'zod';

const SECRET = 'whsec_test_secret_0123456789';
const TOKEN = 'receiver-token';
const MAX_ROWS = 100;

const ZEnvelope = z.object({
  idempotencyKey: z.string(),
  op: z.string(),
  match: z.object({ field: z.string(), value: z.string() }),
  data: z.unknown(),
});
const ZData = z.object({ email: z.string().optional() }).loose();

type Event = { key: string; match: string; op: string; data: unknown };

type Receiver = {
  def: SandboxDefinition;
  events: Event[];
  /** Raw bodies and headers of requests the handler saw (after faults). */
  seen: { headers: Record<string, string | string[] | undefined>; rawBody: string }[];
};

function makeReceiver(): Receiver {
  const events: Event[] = [];
  const appliedRows = new Set<string>();
  const answered = new Map<string, SandboxResponse>();
  const seen: Receiver['seen'] = [];

  const handle = (req: { headers: Record<string, string | string[] | undefined>; rawBody: string; body: unknown }): SandboxResponse => {
    seen.push({ headers: req.headers, rawBody: req.rawBody });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return { status: 401, body: { message: 'invalid bearer token' } };
    const sig = req.headers['x-backflow-signature'];
    if (typeof sig !== 'string' || !verifySignature(SECRET, req.rawBody, sig)) return { status: 401, body: { message: 'signature mismatch' } };
    if (req.headers['x-backflow-test']) return { status: 200, body: { ok: true } };
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string') return { status: 400, body: { message: 'Idempotency-Key header is required' } };
    const replay = answered.get(key);
    if (replay) return replay;

    const batch = z.object({ rows: z.array(ZEnvelope) }).safeParse(req.body);
    const single = ZEnvelope.safeParse(req.body);
    const rows = batch.success ? batch.data.rows : single.success ? [single.data] : null;
    if (!rows) return { status: 400, body: { message: 'body is neither a batch nor a row envelope' } };
    if (rows.length > MAX_ROWS) return { status: 413, body: { message: `at most ${MAX_ROWS} rows per request` } };

    const results = rows.map((r) => {
      const data = ZData.safeParse(r.data);
      if (r.op !== 'delete' && (!data.success || !data.data.email?.includes('@'))) {
        return { idempotencyKey: r.idempotencyKey, status: 'rejected' as const, field: 'email', message: 'email must contain @' };
      }
      if (!appliedRows.has(r.idempotencyKey)) {
        appliedRows.add(r.idempotencyKey);
        if (r.op === 'delete') {
          for (let i = events.length - 1; i >= 0; i--) if (events[i]!.match === r.match.value) events.splice(i, 1);
        } else {
          events.push({ key: r.idempotencyKey, match: r.match.value, op: r.op, data: r.data });
        }
      }
      return { idempotencyKey: r.idempotencyKey, status: 'accepted' as const, id: `evt_${r.idempotencyKey.slice(0, 12)}` };
    });
    let response: SandboxResponse = { status: 200, body: { results } };
    if (!batch.success && results[0]!.status === 'rejected') response = { status: 422, body: { field: results[0]!.field, message: results[0]!.message } };
    answered.set(key, response);
    return response;
  };

  return {
    events,
    seen,
    def: {
      name: 'webhook test receiver',
      routes: () => [{ method: 'POST', path: '/hook', handler: handle }],
      records: () => events,
      reset: () => {
        events.length = 0;
        appliedRows.clear();
        answered.clear();
        seen.length = 0;
      },
    },
  };
}

type LoggedRequest = { at: number; path: string; body: unknown };

async function requestLog(url: string): Promise<LoggedRequest[]> {
  const res = await fetch(`${url}/__sandbox/requests`);
  return z.array(z.object({ at: z.number(), path: z.string(), body: z.unknown() })).parse(await res.json());
}

function rowsIn(body: unknown): number {
  const batch = z.object({ rows: z.array(z.unknown()) }).safeParse(body);
  return batch.success ? batch.data.rows.length : 1;
}

function subjectFor(mode: 'batch' | 'row'): ConformanceSubject {
  const receiver = makeReceiver();
  let server: RunningSandbox | undefined;
  const url = () => {
    if (!server) throw new Error('receiver not started');
    return server.url;
  };
  const row = (i: number) => ({
    recordKey: `k${i}`,
    fields: { email: `user${i}@example.com`, plan: i % 2 ? 'pro' : 'free', seats: i },
    match: { field: 'email', value: `user${i}@example.com` },
  });
  return {
    name: `webhook (${mode} mode)`,
    connector: webhookDestination,
    object: 'rows',
    mode: 'mirror',
    apiMaxBatch: MAX_ROWS,
    async start() {
      server = await startSandbox(receiver.def);
      return {
        config: { url: `${server.url}/hook`, timeoutMs: 2000 },
        credentials: { signingSecret: SECRET, bearerToken: TOKEN },
        badCredentials: { signingSecret: SECRET, bearerToken: 'stolen-or-expired' },
        options: { mode },
        stop: () => server!.close(),
      };
    },
    row,
    invalidRow: (i) => ({ row: { ...row(i), fields: { ...row(i).fields, email: 'not-an-email' }, match: { field: 'email', value: `bad${i}` } }, field: 'email' }),
    countByMatch: async (value) => receiver.events.filter((e) => e.match === value).length,
    writeRequestSizes: async () => (await requestLog(url())).filter((r) => r.path === '/hook').map((r) => rowsIn(r.body)),
    requestTimestamps: async () => (await requestLog(url())).map((r) => r.at),
    async injectFault(kind: FaultKind) {
      const fault = {
        rate_limited: { kind: 'status', status: 429, retryAfterSeconds: 1 },
        server_error: { kind: 'status', status: 500 },
        drop_after_apply: { kind: 'drop_after_apply' },
        timeout: { kind: 'timeout', holdMs: 10_000 },
      }[kind];
      const res = await fetch(`${url()}/__sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...fault, path: '/hook' }) });
      if (!res.ok) throw new Error(`fault injection failed: ${await res.text()}`);
    },
    async reset() {
      await fetch(`${url()}/__sandbox/reset`, { method: 'POST' });
    },
  };
}

describeConformance(subjectFor('batch'));
describeConformance(subjectFor('row'));

// ───────────────────────────── webhook-specific ─────────────────────────────

function writeRow(i: number, fields: Record<string, JsonValue> = { email: `u${i}@example.com`, name: `User ${i}` }): WriteRow {
  return { recordKey: `r${i}`, op: 'upsert', fields, match: { field: 'email', value: `u${i}@example.com` }, idempotencyKey: `idem-${i}` };
}

describe('webhook destination', () => {
  const receiver = makeReceiver();
  let server: RunningSandbox;
  beforeAll(async () => {
    server = await startSandbox(receiver.def);
  });
  afterAll(async () => {
    await server.close();
  });

  function ctx(options: Record<string, unknown> = {}, credentials: Record<string, unknown> = { signingSecret: SECRET, bearerToken: TOKEN }) {
    return testWriteContext(webhookDestination, {
      credentials: webhookDestination.credentialsSchema.parse(credentials),
      config: webhookDestination.configSchema.parse({ url: `${server.url}/hook`, timeoutMs: 2000 }),
      object: 'rows',
      mode: 'upsert',
      options: webhookDestination.optionsSchema.parse(options),
    });
  }

  it('signs the exact body: the HMAC verifies, and a tampered body or wrong secret does not', async () => {
    await fetch(`${server.url}/__sandbox/reset`, { method: 'POST' });
    const results = await webhookDestination.write([writeRow(1)], ctx());
    expect(results[0]?.status).toBe('accepted');
    const req = receiver.seen.at(-1)!;
    const header = String(req.headers['x-backflow-signature']);
    expect(header).toMatch(/^t=\d{10},v1=[0-9a-f]{64}$/);
    expect(verifySignature(SECRET, req.rawBody, header)).toBe(true);
    expect(verifySignature(SECRET, req.rawBody.replace('u1@example.com', 'u2@example.com'), header)).toBe(false);
    expect(verifySignature('another-secret-value', req.rawBody, header)).toBe(false);
    // An old signature is refused, even with the right body.
    const t = Number(header.slice(2, 12));
    expect(verifySignature(SECRET, req.rawBody, header, { now: t + 301 })).toBe(false);

    // Golden value computed independently (Python hmac/hashlib).
    expect(signBody(SECRET, '{"rows":[]}', 1_700_000_000)).toBe('t=1700000000,v1=b54fba3581c955ed61aa18fd75c3ddce2e4d7ad574f2214b9eb2a3324a723852');

    // The receiver refuses a tampered request: replaying the header with a different body.
    const tampered = await fetch(`${server.url}/hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'x-backflow-signature': header, 'idempotency-key': 'x' },
      body: req.rawBody.replace('User 1', 'Mallory'),
    });
    expect(tampered.status).toBe(401);
  });

  it('sends the Idempotency-Key: the row key in row mode, a hash of the row keys in batch mode', async () => {
    await fetch(`${server.url}/__sandbox/reset`, { method: 'POST' });
    const rows = [writeRow(1), writeRow(2), writeRow(3)];
    await webhookDestination.write(rows, ctx({ mode: 'batch' }));
    expect(receiver.seen.at(-1)!.headers['idempotency-key']).toBe(batchKey(rows));
    const body = z.object({ batchKey: z.string(), rows: z.array(ZEnvelope) }).parse(JSON.parse(receiver.seen.at(-1)!.rawBody));
    expect(body.batchKey).toBe(batchKey(rows));
    expect(body.rows.map((r) => r.idempotencyKey)).toEqual(['idem-1', 'idem-2', 'idem-3']);

    await fetch(`${server.url}/__sandbox/reset`, { method: 'POST' });
    await webhookDestination.write(rows, ctx({ mode: 'row' }));
    expect(receiver.seen.map((s) => s.headers['idempotency-key']).sort()).toEqual(['idem-1', 'idem-2', 'idem-3']);
    expect(receiver.events).toHaveLength(3);
  });

  it('renders custom templates: typed whole values, text interpolation, no way to break out of a string', async () => {
    await fetch(`${server.url}/__sandbox/reset`, { method: 'POST' });
    const options = {
      mode: 'row',
      bodyTemplate: JSON.stringify({
        idempotencyKey: '{{$idempotencyKey}}',
        op: '{{$op}}',
        match: { field: '{{$matchField}}', value: '{{$matchValue}}' },
        data: { email: '{{email}}', greeting: 'Hi {{name}}, you have {{seats}} seats', seats: '{{seats}}', missing: '{{nickname}}' },
      }),
    };
    const evil = 'Eve", "admin": true, "x": "';
    await webhookDestination.write([writeRow(7, { email: 'eve@example.com', name: evil, seats: 3 })], ctx(options));
    const body = JSON.parse(receiver.seen.at(-1)!.rawBody);
    expect(body.data).toEqual({ email: 'eve@example.com', greeting: `Hi ${evil}, you have 3 seats`, seats: 3, missing: null });
    expect(body.admin).toBeUndefined();
  });

  it('reports template errors when the options are validated, with the template and the fix', () => {
    const issues = (options: Record<string, unknown>) => {
      const r = ZWebhookOptions.safeParse(options);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ mode: 'row', bodyTemplate: '{"email": "{{email}}"' })[0]).toMatch(/^bodyTemplate: bodyTemplate at \$: not valid JSON/);
    expect(issues({ mode: 'row', bodyTemplate: '{"op": "{{$opp}}"}' })[0]).toContain('unknown placeholder {{$opp}}');
    expect(issues({ mode: 'row', bodyTemplate: '{"e": "{{emial}}"}', fields: ['email'] })[0]).toContain('unknown placeholder {{emial}} — fix: use a mapped field or a built-in: {{email}}');
    expect(issues({ mode: 'row', bodyTemplate: '{"e": "{{email"}' })[0]).toContain('unclosed or unbalanced placeholder');
    expect(issues({ mode: 'row', bodyTemplate: '{"{{email}}": 1}' })[0]).toContain('placeholders are allowed in values only');
    expect(issues({ mode: 'batch', bodyTemplate: '{"items": []}' })[0]).toContain('must contain "{{rows}}" exactly once');
    expect(issues({ mode: 'batch', bodyTemplate: '{"a": "{{rows}}", "b": "{{rows}}"}' })[0]).toContain('(found 2)');
    expect(issues({ mode: 'batch', bodyTemplate: '{"rows": "{{rows}}", "e": "{{email}}"}' })[0]).toContain('row fields go in the row template');
    expect(issues({ mode: 'row', rowTemplate: '"{{$fields}}"' })[0]).toContain('rowTemplate applies to batch mode only');
    expect(issues({ mode: 'batch', rowTemplate: '{"e": "{{email}}", "n": "{{name}}"}', fields: ['email', 'name'] })).toEqual([]);
    expect(issues({})).toEqual([]);
  });

  it('template rendering keeps JSON types for whole placeholders', () => {
    const t = compileTemplate('{"a": "{{n}}", "b": ["{{o}}", "x{{n}}"], "c": "{{missing}}"}', 'row');
    if (!t.ok) throw new Error('template should compile');
    const values: Record<string, JsonValue> = { n: 42, o: { deep: [1, null] } };
    expect(renderTemplate(t.template, (name) => values[name])).toEqual({ a: 42, b: [{ deep: [1, null] }, 'x42'], c: null });
  });

  it('maps per-row results: rejected rows carry their field, other rows are accepted (batch and row mode)', async () => {
    for (const mode of ['batch', 'row'] as const) {
      await fetch(`${server.url}/__sandbox/reset`, { method: 'POST' });
      const rows = [writeRow(1), writeRow(2, { email: 'broken', name: 'B' }), writeRow(3)];
      const results = await webhookDestination.write(rows, ctx({ mode }));
      expect(results.map((r) => r.status)).toEqual(['accepted', 'rejected', 'accepted']);
      expect(results[1]).toMatchObject({ recordKey: 'r2', field: 'email' });
      expect(results[1]!.message).toContain('email must contain @');
      expect(results[1]!.message).toContain('test connection');
      expect(receiver.events.map((e) => e.match).sort()).toEqual(['u1@example.com', 'u3@example.com']);
    }
  });

  it('splits a batch the receiver refuses as a whole (413) and still delivers every row', async () => {
    await fetch(`${server.url}/__sandbox/reset`, { method: 'POST' });
    // maxBatch above the receiver's limit: the first request is refused, halves go through.
    const rows = Array.from({ length: 150 }, (_, i) => writeRow(i));
    const results = await webhookDestination.write(rows, ctx({ mode: 'batch', maxBatch: 150 }));
    expect(results.every((r) => r.status === 'accepted')).toBe(true);
    expect(receiver.events).toHaveLength(150);
    const sizes = (await requestLog(server.url)).filter((r) => r.path === '/hook').map((r) => rowsIn(r.body));
    expect(sizes).toEqual([150, 75, 75]);
  });

  it('stops at a wrong token: one non-retryable auth error naming the connection, no more requests', async () => {
    await fetch(`${server.url}/__sandbox/reset`, { method: 'POST' });
    const rows = Array.from({ length: 6 }, (_, i) => writeRow(i));
    await expect(webhookDestination.write(rows, ctx({ mode: 'row' }, { signingSecret: SECRET, bearerToken: 'wrong' }))).rejects.toMatchObject({
      code: 'auth',
      retryable: false,
      applied: 'no',
      message: expect.stringContaining('test connection: POST /hook: credentials rejected (401): invalid bearer token — fix:'),
    });
    // The first row is a probe: after its 401 nothing else is sent.
    expect((await requestLog(server.url)).length).toBe(1);
  });

  it('reports an unreachable endpoint as a network error that was not applied', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const c = testWriteContext(webhookDestination, {
      credentials: {},
      config: webhookDestination.configSchema.parse({ url: `http://127.0.0.1:${port}/hook` }),
      object: 'rows',
      mode: 'upsert',
      options: webhookDestination.optionsSchema.parse({}),
    });
    await expect(webhookDestination.write([writeRow(1)], c)).rejects.toMatchObject({ code: 'network', retryable: true, applied: 'no' });
    const test = await webhookDestination.test(c);
    expect(test).toMatchObject({ ok: false, code: 'network' });
    expect(test.ok ? '' : test.message).toContain('ECONNREFUSED');
  });

  it('test() sends a signed test event the receiver accepts', async () => {
    const r = await webhookDestination.test(ctx());
    expect(r).toEqual({ ok: true, message: `${server.url}/hook answered 200 to a signed test event` });
    const bad = await webhookDestination.test(ctx({}, { signingSecret: 'wrong-secret-0123456789', bearerToken: TOKEN }));
    expect(bad).toMatchObject({ ok: false, code: 'auth' });
    expect(bad.ok ? '' : bad.message).toContain('signature mismatch');
  });

  it('refuses reserved headers and non-http URLs in the config', () => {
    const r = webhookDestination.configSchema.safeParse({ url: 'file:///etc/passwd', headers: { 'Idempotency-Key': 'x' } });
    expect(r.success).toBe(false);
    const messages = r.success ? [] : r.error.issues.map((i) => i.message);
    expect(messages).toContain('enter an http:// or https:// URL');
    expect(messages.some((m) => m.includes('Backflow sets the Idempotency-Key header itself'))).toBe(true);
  });
});
