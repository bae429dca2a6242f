/**
 * Mailchimp destination against the Mailchimp sandbox (test/sandboxes/mailchimp,
 * its own process): the conformance kit, then Mailchimp-specific behaviour —
 * subscriber hash, archive on removal, status_if_new, tags, update and insert
 * modes, schema changes, bad input, the connection limit.
 */
import net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { mailchimpDestination } from '../../../connectors/destinations/mailchimp';
import { subscriberHash } from '../../../connectors/destinations/mailchimp/api';
import { ZMailchimpConfig, ZMailchimpOptions, type TMailchimpConfig, type TMailchimpCredentials, type TMailchimpOptions } from '../../../connectors/destinations/mailchimp/schema';
import { isConnectorError, type ConnectorError, type SyncMode, type WriteContext, type WriteRow } from '../../../connectors/sdk/types';
import { testWriteContext } from '../../helpers/connector-context';
import type { TFault } from '../../sandboxes/lib/server';
import { spawnSandbox, type SandboxProcess } from '../../sandboxes/lib/spawn';
import { describeConformance } from '../conformance';
import type { ConformanceRow, FaultKind } from '../conformance-subject';

const API_KEY = 'sandbox0123456789abcdef0123456789-us21';
const LIST = 'list0001';

type Member = { id: string; email_address: string; status: string; merge_fields: Record<string, unknown>; tags: { name: string }[] };
type ListRecord = { id: string; members: Member[]; mergeFields: { merge_id: number; tag: string }[] };

/** Member writes: one request per member. */
const MEMBER_WRITE = /^\/3\.0\/lists\/[^/]+\/members(\/[0-9a-f]{32})?$/;

/**
 * Mailchimp takes one request per member, so a fault that should hit "the
 * write" must hit every member request of the batch: the kit writes two rows
 * for server_error and drop_after_apply, one for the others.
 */
function faultFor(kind: FaultKind): Partial<TFault> & { kind: TFault['kind'] } {
  const onMembers = { method: 'PUT', path: '/members/' };
  switch (kind) {
    case 'rate_limited':
      return {
        kind: 'status',
        status: 429,
        retryAfterSeconds: 1,
        body: { type: 'https://mailchimp.com/developer/marketing/docs/errors/', title: 'Too Many Requests', status: 429, detail: 'You have exceeded the limit of 10 simultaneous connections.' },
        ...onMembers,
      };
    case 'server_error':
      return { kind: 'status', status: 500, count: 2, body: { title: 'Internal Server Error', status: 500, detail: 'An unexpected internal error has occurred.' }, ...onMembers };
    case 'drop_after_apply':
      return { kind: 'drop_after_apply', count: 2, ...onMembers };
    case 'timeout':
      return { kind: 'timeout', holdMs: 5_000, ...onMembers };
  }
}

let conformanceSandbox: SandboxProcess;
const memberRow = (i: number): ConformanceRow => ({
  recordKey: `m-${i}`,
  match: { field: 'email_address', value: `person${i}@example.com` },
  fields: { email_address: `person${i}@example.com`, FNAME: `First ${i}`, SCORE: i },
});

describeConformance({
  name: 'Mailchimp audience members',
  connector: mailchimpDestination,
  object: LIST,
  mode: 'upsert',
  async start() {
    conformanceSandbox = await spawnSandbox('mailchimp');
    return {
      credentials: { apiKey: API_KEY },
      config: { baseUrl: `${conformanceSandbox.url}/3.0`, timeoutMs: 1_500 },
      options: { statusIfNew: 'subscribed' },
      badCredentials: { apiKey: 'revoked0000000000000000000000000-us21' },
      stop: () => conformanceSandbox.stop(),
    };
  },
  row: memberRow,
  invalidRow: (i) => ({
    row: { recordKey: `m-${i}`, match: { field: 'email_address', value: `not-an-email-${i}` }, fields: { email_address: `not-an-email-${i}`, FNAME: 'Bad' } },
    field: 'email_address',
  }),
  async countByMatch(value) {
    const [list] = await conformanceSandbox.records<ListRecord[]>({ list: LIST });
    return (list?.members ?? []).filter((m) => m.email_address.toLowerCase() === value.toLowerCase() && m.status !== 'archived').length;
  },
  async writeRequestSizes() {
    return (await conformanceSandbox.requests()).filter((r) => r.method !== 'GET' && MEMBER_WRITE.test(r.path)).map(() => 1);
  },
  async requestTimestamps() {
    return (await conformanceSandbox.requests()).map((r) => r.at);
  },
  injectFault: (kind) => conformanceSandbox.fault(faultFor(kind)),
  reset: () => conformanceSandbox.reset(),
  apiMaxBatch: 1,
});

// ───────────────────────────── Mailchimp-specific ─────────────────────────────

type Ctx = WriteContext<TMailchimpCredentials, TMailchimpConfig, TMailchimpOptions>;

function ctxFor(baseUrl: string, opts: { mode?: SyncMode; object?: string; options?: Partial<TMailchimpOptions>; apiKey?: string; name?: string } = {}): Ctx {
  const ctx = testWriteContext(mailchimpDestination, {
    credentials: { apiKey: opts.apiKey ?? API_KEY },
    config: ZMailchimpConfig.parse({ baseUrl, timeoutMs: 5_000 }),
    object: opts.object ?? LIST,
    mode: opts.mode ?? 'upsert',
    options: ZMailchimpOptions.parse(opts.options ?? {}),
  });
  return { ...ctx, connectionName: opts.name ?? 'Mailchimp newsletter' };
}

function row(email: string, fields: WriteRow['fields'] = {}, op: WriteRow['op'] = 'upsert'): WriteRow {
  return { recordKey: email, op, fields: { email_address: email, ...fields }, match: { field: 'email_address', value: email }, idempotencyKey: `${email}-${op}` };
}

async function thrown(p: Promise<unknown>): Promise<ConnectorError> {
  try {
    await p;
  } catch (err) {
    if (isConnectorError(err)) return err;
    throw err;
  }
  throw new Error('expected a ConnectorError');
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Mailchimp destination', () => {
  let sandbox: SandboxProcess;
  let base: string;
  const members = async (list = LIST) => (await sandbox.records<ListRecord[]>({ list }))[0]?.members ?? [];
  const member = async (email: string) => (await members()).find((m) => m.email_address.toLowerCase() === email.toLowerCase());

  beforeAll(async () => {
    sandbox = await spawnSandbox('mailchimp');
    base = `${sandbox.url}/3.0`;
  });
  afterAll(() => sandbox?.stop());
  beforeEach(() => sandbox.reset());

  test('the subscriber hash is the MD5 of the lower-cased, trimmed address (Mailchimp’s documented example)', () => {
    expect(subscriberHash('urist.mcvankab@freddiesjokes.com')).toBe('62eeb292278cc15f5817cb78f7790b08');
    expect(subscriberHash('  Urist.McVankab@FreddiesJokes.com ')).toBe('62eeb292278cc15f5817cb78f7790b08');
  });

  test('members are PUT at their subscriber hash, which becomes the external id', async () => {
    const [r] = await mailchimpDestination.write([row('Person.One@Example.COM', { FNAME: 'Ada' })], ctxFor(base));
    expect(r).toMatchObject({ status: 'accepted', externalId: 'e7ac70a0248dbb44d6ffc80976bb22ae' });
    const put = (await sandbox.requests()).find((q) => q.method === 'PUT');
    expect(put?.path).toBe(`/3.0/lists/${LIST}/members/e7ac70a0248dbb44d6ffc80976bb22ae`);
    expect(await member('person.one@example.com')).toMatchObject({ status: 'subscribed', merge_fields: { FNAME: 'Ada' } });
  });

  test('mirror removal archives the member (not a hard delete); lookup then finds nothing; a later upsert restores it', async () => {
    const ctx = ctxFor(base, { mode: 'mirror' });
    await mailchimpDestination.write([row('keep@example.com'), row('leave@example.com')], ctx);
    const [removed] = await mailchimpDestination.write([row('leave@example.com', {}, 'delete')], ctx);
    expect(removed).toMatchObject({ status: 'accepted', externalId: subscriberHash('leave@example.com') });
    expect((await sandbox.requests()).some((q) => q.method === 'DELETE' && q.path.endsWith(subscriberHash('leave@example.com')))).toBe(true);
    expect((await member('leave@example.com'))?.status).toBe('archived');
    expect((await member('keep@example.com'))?.status).toBe('subscribed');
    const found = await mailchimpDestination.lookup!([{ recordKey: 'leave', match: { field: 'email_address', value: 'leave@example.com' } }], ctx);
    expect(found).toEqual([{ recordKey: 'leave', externalId: null }]);
    const [again] = await mailchimpDestination.write([row('leave@example.com', {}, 'delete')], ctx);
    expect(again?.status).toBe('accepted');
    await mailchimpDestination.write([row('leave@example.com')], ctx);
    expect((await member('leave@example.com'))?.status).toBe('subscribed');
  });

  test('status_if_new: a member who unsubscribed stays unsubscribed when the sync updates them', async () => {
    await mailchimpDestination.write([row('quiet@example.com')], ctxFor(base, { options: { statusIfNew: 'unsubscribed' } }));
    const [r] = await mailchimpDestination.write([row('quiet@example.com', { FNAME: 'Q' })], ctxFor(base, { options: { statusIfNew: 'subscribed' } }));
    expect(r?.status).toBe('accepted');
    expect(await member('quiet@example.com')).toMatchObject({ status: 'unsubscribed', merge_fields: { FNAME: 'Q' } });
  });

  test('tags come from the mapped string_array field and the static option, on new and existing members', async () => {
    const ctx = ctxFor(base, { options: { tags: ['backflow'] } });
    await mailchimpDestination.write([row('tagged@example.com', { tags: ['vip', 'beta'] })], ctx);
    await mailchimpDestination.write([row('tagged@example.com', { tags: ['churn-risk'] })], ctx);
    const m = await member('tagged@example.com');
    expect(m?.tags.map((t) => t.name).sort()).toEqual(['backflow', 'beta', 'churn-risk', 'vip']);
    const tagCalls = (await sandbox.requests()).filter((q) => q.path.endsWith('/tags'));
    expect(tagCalls).toHaveLength(2);
    expect(tagCalls[0]?.body).toEqual({ tags: ['backflow', 'vip', 'beta'].map((name) => ({ name, status: 'active' })) });
  });

  test('birthday merge fields take MM/DD: ISO dates are converted; a bad number is rejected with its field', async () => {
    const results = await mailchimpDestination.write(
      [row('born@example.com', { BIRTHDAY: '1990-04-23' }), row('score@example.com', { SCORE: 'lots' })],
      ctxFor(base),
    );
    expect(results[0]?.status).toBe('accepted');
    expect((await member('born@example.com'))?.merge_fields.BIRTHDAY).toBe('04/23');
    expect(results[1]).toMatchObject({ status: 'rejected', field: 'SCORE' });
    expect(results[1]?.message).toContain('Please enter a number');
  });

  test('update mode changes existing members only; a non-member is rejected on the email field', async () => {
    await mailchimpDestination.write([row('exists@example.com', { FNAME: 'Old' })], ctxFor(base));
    const results = await mailchimpDestination.write(
      [row('exists@example.com', { FNAME: 'New' }, 'update'), row('ghost@example.com', { FNAME: 'Boo' }, 'update')],
      ctxFor(base, { mode: 'update' }),
    );
    expect(results[0]?.status).toBe('accepted');
    expect(results[1]).toMatchObject({ status: 'rejected', field: 'email_address' });
    expect(results[1]?.message).toContain('update mode only changes existing members');
    expect((await member('exists@example.com'))?.merge_fields.FNAME).toBe('New');
    expect(await member('ghost@example.com')).toBeUndefined();
  });

  test('insert mode POSTs new members; an existing member is accepted and left unchanged ("Member Exists")', async () => {
    await mailchimpDestination.write([row('old@example.com', { FNAME: 'Original' })], ctxFor(base));
    const results = await mailchimpDestination.write([row('old@example.com', { FNAME: 'Changed' }), row('new@example.com', { FNAME: 'Fresh' }, 'create')], ctxFor(base, { mode: 'insert' }));
    expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    expect(results[0]?.message).toContain('already a member');
    expect((await member('old@example.com'))?.merge_fields.FNAME).toBe('Original');
    expect((await member('new@example.com'))?.merge_fields.FNAME).toBe('Fresh');
    const creates = await sandbox.creates();
    expect(creates.map((c) => z.object({ email_address: z.string() }).parse(c.record).email_address).sort()).toEqual(['new@example.com', 'old@example.com']);
  });

  test('a merge field deleted in Mailchimp stops the batch with schema_changed, naming the connection and the field', async () => {
    const [list] = await sandbox.records<ListRecord[]>({ list: LIST });
    const score = list!.mergeFields.find((f) => f.tag === 'SCORE')!;
    const res = await fetch(`${base}/lists/${LIST}/merge-fields/${score.merge_id}`, {
      method: 'DELETE',
      headers: { authorization: `Basic ${Buffer.from(`x:${API_KEY}`).toString('base64')}` },
    });
    expect(res.status).toBe(204);
    const err = await thrown(mailchimpDestination.write([row('a@example.com', { FNAME: 'A', SCORE: 3 })], ctxFor(base, { name: 'Newsletter (prod)' })));
    expect(err).toMatchObject({ code: 'schema_changed', field: 'SCORE', retryable: false, applied: 'no' });
    expect(err.message).toContain('Newsletter (prod)');
    expect(err.message).toContain('fix:');
    expect((await sandbox.requests()).some((q) => q.method === 'PUT')).toBe(false);
  });

  test('an audience that no longer exists is a not_found error naming it', async () => {
    const err = await thrown(mailchimpDestination.write([row('a@example.com')], ctxFor(base, { object: 'list9999' })));
    expect(err).toMatchObject({ code: 'not_found', recordId: 'list9999', retryable: false });
    expect(err.message).toMatch(/Mailchimp newsletter.*list9999.*fix:/);
  });

  test('wrong credentials: test() reports auth, naming the connection; nothing is written', async () => {
    const ctx = ctxFor(base, { apiKey: 'wrongkey000000000000000000000000-us21', name: 'Mailchimp (wrong key)' });
    const result = await mailchimpDestination.test(ctx);
    expect(result).toMatchObject({ ok: false, code: 'auth' });
    expect(result.ok ? '' : result.message).toContain('Mailchimp (wrong key)');
    const err = await thrown(mailchimpDestination.write([row('a@example.com')], ctx));
    expect(err).toMatchObject({ code: 'auth', retryable: false });
    expect((await member('a@example.com'))).toBeUndefined();
  });

  test('the data centre comes from the API key when no base URL is set', async () => {
    const { baseUrl } = await import('../../../connectors/destinations/mailchimp/api');
    const ctx = testWriteContext(mailchimpDestination, { credentials: { apiKey: 'abc123-us6' }, config: ZMailchimpConfig.parse({}), object: LIST, mode: 'upsert', options: ZMailchimpOptions.parse({}) });
    expect(baseUrl(ctx)).toBe('https://us6.api.mailchimp.com/3.0');
    expect(mailchimpDestination.credentialsSchema.safeParse({ apiKey: 'no-datacentre' }).success).toBe(false);
  });

  test('an unreachable host is a network error, not applied', async () => {
    const ctx = ctxFor(`http://127.0.0.1:${await closedPort()}/3.0`, { name: 'Mailchimp (down)' });
    const result = await mailchimpDestination.test(ctx);
    expect(result).toMatchObject({ ok: false, code: 'network' });
    const err = await thrown(mailchimpDestination.write([row('a@example.com')], ctx));
    expect(err).toMatchObject({ code: 'network', applied: 'no', retryable: true });
    expect(err.message).toContain('Mailchimp (down)');
  });

  test('discover lists audiences with their merge fields, typed; email is the unique match field', async () => {
    const { objects } = await mailchimpDestination.discover(ctxFor(base));
    expect(objects.map((o) => o.name).sort()).toEqual(['list0001', 'list0002']);
    const news = objects.find((o) => o.name === LIST)!;
    expect(news.label).toBe('Newsletter');
    expect(news.fields.find((f) => f.name === 'email_address')).toMatchObject({ required: true, unique: true, type: 'string' });
    expect(news.fields.find((f) => f.name === 'SCORE')?.type).toBe('number');
    expect(news.fields.find((f) => f.name === 'FNAME')?.label).toBe('First Name');
    expect(news.fields.find((f) => f.name === 'tags')?.type).toBe('string_array');
  });
});

describe('Mailchimp destination: the 10-connection limit', () => {
  let sandbox: SandboxProcess;
  beforeAll(async () => {
    // Two connections and slow answers make the limit observable with five concurrent requests.
    sandbox = await spawnSandbox('mailchimp', { env: { MAILCHIMP_SANDBOX_MAX_CONNECTIONS: '2', MAILCHIMP_SANDBOX_LATENCY_MS: '300' } });
  });
  afterAll(() => sandbox?.stop());

  test('rows refused with 429 come back retryable, the others accepted; retrying them completes the batch', async () => {
    const ctx = ctxFor(`${sandbox.url}/3.0`);
    const rows = Array.from({ length: 6 }, (_, i) => row(`burst${i}@example.com`, { FNAME: `B${i}` }));
    const results = await mailchimpDestination.write(rows, ctx);
    expect(results).toHaveLength(rows.length);
    const retry = results.filter((r) => r.status === 'retryable');
    expect(retry.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.status === 'accepted').length).toBeGreaterThan(0);
    for (const r of retry) expect(r.message).toContain('simultaneous connections');
    const again = await mailchimpDestination.write(rows.filter((r) => retry.some((x) => x.recordKey === r.recordKey)), ctx);
    // Fewer rows than connections × retries: a second pass gets through at most 2 at a time, so allow a third.
    const still = again.filter((r) => r.status === 'retryable');
    if (still.length) {
      const third = await mailchimpDestination.write(rows.filter((r) => still.some((x) => x.recordKey === r.recordKey)), ctx);
      expect(third.every((r) => r.status === 'accepted')).toBe(true);
    }
    const [list] = await sandbox.records<ListRecord[]>({ list: LIST });
    expect(list!.members.map((m) => m.email_address).sort()).toEqual(rows.map((r) => r.match.value).sort());
  });
});
