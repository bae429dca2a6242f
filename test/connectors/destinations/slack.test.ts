/**
 * Slack destination against the Slack sandbox (test/sandboxes/slack, its own
 * process): the conformance kit, then Slack-specific behaviour — a message per
 * row vs a digest, escaping, the non-idempotent replay, channel errors, token
 * rotation, 429 with Retry-After, and how a batch stops at the first failure.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { slackDestination } from '../../../connectors/destinations/slack';
import { settle } from '../../../connectors/sdk/outcomes';
import { ZSlackConfig, ZSlackOptions, type TSlackConfig, type TSlackCredentials, type TSlackOptions } from '../../../connectors/destinations/slack/schema';
import { ConnectorError, isConnectorError, type SyncMode, type WriteContext, type WriteRow } from '../../../connectors/sdk/types';
import { testWriteContext } from '../../helpers/connector-context';
import type { TFault } from '../../sandboxes/lib/server';
import { spawnSandbox, type SandboxProcess } from '../../sandboxes/lib/spawn';
import { describeConformance } from '../conformance';
import type { FaultKind } from '../conformance-subject';

const BOT_TOKEN = 'xoxb-sandbox-bot';
const CHANNEL = 'C0GENERAL';
const ROTATION = { refreshToken: 'xoxe-1-sandbox-refresh', clientId: 'sandbox-client-id', clientSecret: 'sandbox-client-secret' };

type Message = { channel: string; ts: string; text: string };

function faultFor(kind: FaultKind): Partial<TFault> & { kind: TFault['kind'] } {
  const onPost = { method: 'POST', path: 'chat.postMessage' };
  switch (kind) {
    case 'rate_limited':
      return { kind: 'status', status: 429, retryAfterSeconds: 1, body: { ok: false, error: 'ratelimited' }, ...onPost };
    case 'server_error':
      return { kind: 'status', status: 500, body: 'Internal Server Error', ...onPost };
    case 'drop_after_apply':
      return { kind: 'drop_after_apply', ...onPost };
    case 'timeout':
      return { kind: 'timeout', holdMs: 5_000, ...onPost };
  }
}

/** Every message carries a marker, so the checks can count messages per row. */
const marker = (key: string) => `[k:${key}]`;
let conformanceSandbox: SandboxProcess;

describeConformance({
  name: 'Slack channel messages (one per row)',
  connector: slackDestination,
  object: CHANNEL,
  mode: 'insert',
  async start() {
    conformanceSandbox = await spawnSandbox('slack');
    return {
      credentials: { token: BOT_TOKEN },
      config: { baseUrl: `${conformanceSandbox.url}/api`, timeoutMs: 1_500 },
      options: { template: '[k:{{key}}] {{text}}' },
      badCredentials: { token: 'xoxb-sandbox-revoked' },
      stop: () => conformanceSandbox.stop(),
    };
  },
  row: (i) => ({ recordKey: `s-${i}`, match: { field: 'key', value: `row-${i}` }, fields: { key: `row-${i}`, text: `New signup #${i}` } }),
  invalidRow: (i) => ({ row: { recordKey: `s-${i}`, match: { field: 'key', value: `row-${i}` }, fields: { key: `row-${i}`, text: 'x'.repeat(40_001) } }, field: 'text' }),
  async countByMatch(value) {
    return (await conformanceSandbox.records<Message[]>({ channel: CHANNEL })).filter((m) => m.text.includes(marker(value))).length;
  },
  async writeRequestSizes() {
    return (await conformanceSandbox.requests()).filter((r) => r.path === '/api/chat.postMessage').map(() => 1);
  },
  async requestTimestamps() {
    return (await conformanceSandbox.requests()).map((r) => r.at);
  },
  injectFault: (kind) => conformanceSandbox.fault(faultFor(kind)),
  reset: () => conformanceSandbox.reset(),
  apiMaxBatch: 1,
});

// ───────────────────────────── Slack-specific ─────────────────────────────

type Ctx = WriteContext<TSlackCredentials, TSlackConfig, TSlackOptions> & { stored: { credentials: TSlackCredentials } };

function ctxFor(
  baseUrl: string,
  opts: { credentials?: TSlackCredentials; channel?: string; options?: Partial<TSlackOptions>; mode?: SyncMode; name?: string; requestsPerSecond?: number } = {},
): Ctx {
  const credentials = opts.credentials ?? { token: BOT_TOKEN };
  const base = testWriteContext(slackDestination, {
    credentials,
    config: ZSlackConfig.parse({ baseUrl, timeoutMs: 5_000 }),
    object: opts.channel ?? CHANNEL,
    mode: opts.mode ?? 'insert',
    options: ZSlackOptions.parse(opts.options ?? {}),
    // Tests post a handful of messages; the sandbox's own per-channel window still applies.
    requestsPerSecond: opts.requestsPerSecond ?? 20,
  });
  const stored = { credentials };
  return {
    ...base,
    connectionName: opts.name ?? 'Slack #general',
    stored,
    async updateCredentials(fn) {
      stored.credentials = await fn(stored.credentials);
      return stored.credentials;
    },
  };
}

function row(i: number, fields: WriteRow['fields']): WriteRow {
  return { recordKey: `r-${i}`, op: 'upsert', fields, match: { field: 'id', value: String(i) }, idempotencyKey: `k-${i}` };
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

describe('Slack destination', () => {
  let sandbox: SandboxProcess;
  let api: string;
  const messages = (channel = CHANNEL) => sandbox.records<Message[]>({ channel });

  beforeAll(async () => {
    sandbox = await spawnSandbox('slack');
    api = `${sandbox.url}/api`;
  });
  afterAll(() => sandbox?.stop());
  beforeEach(() => sandbox.reset());

  test('message per row: one chat.postMessage per row, in order, each row accepted with its message ts', async () => {
    const rows = [row(1, { name: 'Ada', plan: 'pro' }), row(2, { name: 'Grace', plan: 'team' }), row(3, { name: 'Linus', plan: 'free' })];
    const results = await slackDestination.write(rows, ctxFor(api, { options: { template: 'New customer {{name}} on *{{plan}}*' } }));
    const posted = await messages();
    expect(posted.map((m) => m.text)).toEqual(['New customer Ada on *pro*', 'New customer Grace on *team*', 'New customer Linus on *free*']);
    expect(results.map((r) => [r.recordKey, r.status, r.externalId])).toEqual(posted.map((m, i) => [`r-${i + 1}`, 'accepted', m.ts]));
  });

  test('without a template, a lone `text` field is posted as is, other rows list their fields', async () => {
    await slackDestination.write([row(1, { text: 'Deploy finished' }), row(2, { name: 'Ada', score: 42, tags: ['a', 'b'] })], ctxFor(api));
    expect((await messages()).map((m) => m.text)).toEqual(['Deploy finished', '*name*: Ada\n*score*: 42\n*tags*: a, b']);
  });

  test('digest: one message for the whole batch, listing rows up to the limit and counting the rest', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => row(i, { name: `User ${i}` }));
    const results = await slackDestination.write(rows, ctxFor(api, { options: { format: 'digest', template: '{{name}}', digestMaxRows: 20 } }));
    const posted = await messages();
    expect(posted).toHaveLength(1);
    const lines = posted[0]!.text.split('\n');
    expect(lines[0]).toBe('*25 rows* from Backflow');
    expect(lines.slice(1, 21)).toEqual(Array.from({ length: 20 }, (_, i) => `• User ${i}`));
    expect(lines[21]).toBe('…and 5 more');
    expect(results.every((r) => r.status === 'accepted' && r.externalId === posted[0]!.ts)).toBe(true);
    expect((await sandbox.requests()).filter((r) => r.path === '/api/chat.postMessage')).toHaveLength(1);
  });

  test('a digest stays under the 40,000-character limit by listing fewer rows', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => row(i, { note: 'y'.repeat(9_000) }));
    const [r] = await slackDestination.write(rows, ctxFor(api, { options: { format: 'digest' } }));
    expect(r?.status).toBe('accepted');
    const [m] = await messages();
    expect(m!.text.length).toBeLessThanOrEqual(40_000);
    expect(m!.text).toMatch(/…and \d+ more$/);
  });

  test('warehouse values are escaped: they cannot become @channel mentions or links', async () => {
    await slackDestination.write([row(1, { name: '<!channel> & <https://evil.example|click>' })], ctxFor(api, { options: { template: 'Hi {{name}}' } }));
    expect((await messages())[0]?.text).toBe('Hi &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
  });

  test('chat.postMessage is not idempotent: replaying a write posts again (the engine must never re-send a committed row)', async () => {
    const rows = [row(1, { text: 'Once only' })];
    await slackDestination.write(rows, ctxFor(api));
    await slackDestination.write(rows, ctxFor(api));
    expect((await messages()).map((m) => m.text)).toEqual(['Once only', 'Once only']);
    expect((await sandbox.creates()).filter((c) => c.object === 'message')).toHaveLength(2);
    expect(slackDestination.capabilities).toMatchObject({ writes: 'events', idempotencyKey: false });
  });

  test.each([
    ['C0NOPE', 'not_found', 'channel_not_found', 'pick another channel'],
    ['C0RANDOM', 'config', 'not_in_channel', 'invite the app'],
    ['C0OLD', 'config', 'is_archived', 'unarchive'],
  ])('channel %s: %s error (%s) naming the connection, with a fix', async (channel, code, slackError, fix) => {
    const err = await thrown(slackDestination.write([row(1, { text: 'hi' }), row(2, { text: 'there' })], ctxFor(api, { channel, name: 'Slack alerts' })));
    expect(err).toMatchObject({ code, retryable: false, applied: 'no' });
    expect(err.message).toContain('Slack alerts');
    expect(err.message).toContain(slackError);
    expect(err.message).toContain(fix);
    // The batch stops at the first failure: the second row is not sent.
    expect((await sandbox.requests()).filter((r) => r.path === '/api/chat.postMessage')).toHaveLength(1);
  });

  test('an expired rotating token is renewed with the refresh token, saved through updateCredentials, and the post succeeds', async () => {
    const ctx = ctxFor(api, { credentials: { token: 'xoxe.xoxb-sandbox-expired', ...ROTATION } });
    const results = await slackDestination.write([row(1, { text: 'after rotation' }), row(2, { text: 'still rotated' })], ctx);
    expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    expect(ctx.stored.credentials.token).toMatch(/^xoxe\.xoxb-sandbox-\d+$/);
    expect(ctx.stored.credentials.refreshToken).not.toBe(ROTATION.refreshToken);
    expect(ctx.stored.credentials.expiresAt).toBeGreaterThan(Date.now());
    const calls = (await sandbox.requests()).map((r) => r.path);
    // One refused post, one refresh, then both messages with the new token.
    expect(calls).toEqual(['/api/chat.postMessage', '/api/oauth.v2.access', '/api/chat.postMessage', '/api/chat.postMessage']);
    expect((await messages()).map((m) => m.text)).toEqual(['after rotation', 'still rotated']);
  });

  test('an expired token without a refresh token is an auth error that says what to do', async () => {
    const ctx = ctxFor(api, { credentials: { token: 'xoxe.xoxb-sandbox-expired' }, name: 'Slack (expired)' });
    const err = await thrown(slackDestination.write([row(1, { text: 'x' })], ctx));
    expect(err).toMatchObject({ code: 'auth', retryable: false });
    expect(err.message).toMatch(/Slack \(expired\).*token_expired.*fix: store the refresh token/);
  });

  test('a spent refresh token fails as auth, naming the connection', async () => {
    const ctx = ctxFor(api, { credentials: { token: 'xoxe.xoxb-sandbox-expired', ...ROTATION, refreshToken: 'xoxe-1-already-used' }, name: 'Slack (rotation)' });
    const err = await thrown(slackDestination.write([row(1, { text: 'x' })], ctx));
    expect(err).toMatchObject({ code: 'auth', retryable: false });
    expect(err.message).toMatch(/Slack \(rotation\).*invalid_refresh_token.*fix:/);
  });

  test('test() uses auth.test; bad tokens report auth', async () => {
    expect(await slackDestination.test(ctxFor(api))).toMatchObject({ ok: true, message: 'connected to Sandbox workspace as backflow' });
    const bad = await slackDestination.test(ctxFor(api, { credentials: { token: 'xoxb-unknown' }, name: 'Slack (typo)' }));
    expect(bad).toMatchObject({ ok: false, code: 'auth' });
    expect(bad.ok ? '' : bad.message).toContain('invalid_auth');
  });

  test('discover lists public and private channels that are not archived, noting where the app is missing', async () => {
    const { objects } = await slackDestination.discover(ctxFor(api));
    expect(objects.map((o) => [o.name, o.label])).toEqual([
      ['C0GENERAL', '#general'],
      ['C0ALERTS', '#alerts'],
      ['C0RANDOM', '#random'],
      ['G0SALES', '#sales-private'],
    ]);
    expect(objects.find((o) => o.name === 'C0RANDOM')?.description).toContain('invite the app');
    expect(objects[0]?.modes).toEqual(['insert', 'upsert']);
    expect(objects[0]?.fields.map((f) => f.name)).toEqual(['text']);
  });
});

describe('Slack destination: 429 with Retry-After', () => {
  let sandbox: SandboxProcess;
  beforeAll(async () => {
    // One message per channel per minute makes the second post of a batch hit the limit.
    sandbox = await spawnSandbox('slack', { env: { SLACK_SANDBOX_POST_LIMIT: '1', SLACK_SANDBOX_POST_WINDOW_MS: '60000' } });
  });
  afterAll(() => sandbox?.stop());

  test('the batch stops at the 429: posted rows accepted, the rest retryable after Retry-After; the limiter is paused', async () => {
    const ctx = ctxFor(`${sandbox.url}/api`);
    const paused: number[] = [];
    ctx.limiter.pause = async (ms) => {
      paused.push(ms);
    };
    const rows = [row(1, { text: 'first' }), row(2, { text: 'second' }), row(3, { text: 'third' })];
    const results = await slackDestination.write(rows, ctx);
    expect(results.map((r) => r.status)).toEqual(['accepted', 'retryable', 'retryable']);
    expect(results[1]?.retryAfterMs).toBeGreaterThan(55_000);
    expect(results[1]?.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(results[2]?.message).toContain('not sent');
    expect(paused).toHaveLength(1);
    expect(paused[0]).toBe(results[1]?.retryAfterMs);
    const posts = (await sandbox.requests()).filter((r) => r.path === '/api/chat.postMessage');
    expect(posts.map((p) => p.status)).toEqual([200, 429]);
    expect((await sandbox.records<Message[]>()).map((m) => m.text)).toEqual(['first']);
  });
});

describe('Slack destination: outcomes when the batch stops mid-way', () => {
  const rows = [1, 2, 3].map((i) => row(i, { text: String(i) }));
  const unknown = new ConnectorError('timed out', { code: 'timeout', retryable: true, applied: 'unknown' });

  test('a row whose post may have happened gets no result (the engine reads "unknown" and will not re-send an event)', () => {
    const results = settle([
      { row: rows[0]!, result: { recordKey: 'r-1', status: 'accepted', externalId: '1.1' } },
      { row: rows[1]!, error: unknown },
      { row: rows[2]!, error: new ConnectorError('not sent', { code: 'timeout', retryable: true, applied: 'no' }) },
    ]);
    expect(results).toEqual([
      { recordKey: 'r-1', status: 'accepted', externalId: '1.1' },
      { recordKey: 'r-3', status: 'retryable', message: 'not sent' },
    ]);
  });

  test('when no row got through, the batch throws, applied "unknown" if any request may have been applied', () => {
    const run = () =>
      settle([
        { row: rows[0]!, error: unknown },
        { row: rows[1]!, error: new ConnectorError('not sent', { code: 'timeout', retryable: true, applied: 'no' }) },
      ]);
    expect(run).toThrowError(expect.objectContaining({ applied: 'unknown', code: 'timeout', retryable: true }));
  });
});
