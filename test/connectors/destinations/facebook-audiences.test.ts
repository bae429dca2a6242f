/**
 * Meta Custom Audiences destination against the Meta sandbox
 * (test/sandboxes/facebook-audiences, its own process): the conformance kit,
 * golden normalisation/hashing cases, then Meta-specific behaviour — 10,000
 * users per request with a session, the payload shape, removals, token and
 * permission errors, rate limiting (error 80003 + X-Business-Use-Case-Usage).
 *
 * Golden hashes were computed independently (Python hashlib), not with the code
 * under test.
 */
import net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { facebookAudiencesDestination, MAX_USERS_PER_REQUEST } from '../../../connectors/destinations/facebook-audiences';
import { normalize, payloadValue, sha256 } from '../../../connectors/destinations/facebook-audiences/normalize';
import {
  ZMetaAudiencesConfig,
  ZMetaAudiencesOptions,
  type TMetaAudiencesConfig,
  type TMetaAudiencesCredentials,
  type TMetaAudiencesOptions,
} from '../../../connectors/destinations/facebook-audiences/schema';
import { isConnectorError, type ConnectorError, type WriteContext, type WriteRow } from '../../../connectors/sdk/types';
import { testWriteContext } from '../../helpers/connector-context';
import type { TFault } from '../../sandboxes/lib/server';
import { spawnSandbox, type SandboxProcess } from '../../sandboxes/lib/spawn';
import { describeConformance } from '../conformance';
import type { FaultKind } from '../conformance-subject';

const TOKEN = 'meta-sandbox-token';
const AUDIENCE = '23800000001';

type Audience = { id: string; members: Record<string, string>[] };
/** Body of a logged POST/DELETE /{audience}/users request. */
const ZEditBody = z.looseObject({
  payload: z.object({ schema: z.array(z.string()), data: z.array(z.array(z.string())) }),
  session: z.object({ session_id: z.number(), batch_seq: z.number(), last_batch_flag: z.boolean(), estimated_num_total: z.number() }),
});

const sha = (s: string) => sha256(s);

function faultFor(kind: FaultKind): Partial<TFault> & { kind: TFault['kind'] } {
  const onEdits = { method: 'POST', path: '/users' };
  switch (kind) {
    case 'rate_limited':
      // Graph reports throttling as HTTP 400 with a rate-limit error code.
      return {
        kind: 'status',
        status: 400,
        retryAfterSeconds: 1,
        body: { error: { message: 'There have been too many calls to this ad-account. Wait a bit and try again.', type: 'OAuthException', code: 80003, error_subcode: 2446079 } },
        ...onEdits,
      };
    case 'server_error':
      return { kind: 'status', status: 500, body: { error: { message: 'An unknown error occurred', type: 'OAuthException', code: 1 } }, ...onEdits };
    case 'drop_after_apply':
      return { kind: 'drop_after_apply', ...onEdits };
    case 'timeout':
      return { kind: 'timeout', holdMs: 5_000, ...onEdits };
  }
}

let conformanceSandbox: SandboxProcess;

describeConformance({
  name: 'Meta custom audience (customer file)',
  connector: facebookAudiencesDestination,
  object: AUDIENCE,
  mode: 'add_remove',
  async start() {
    conformanceSandbox = await spawnSandbox('facebook-audiences');
    return {
      credentials: { accessToken: TOKEN },
      config: { adAccountId: 'act_1000', baseUrl: conformanceSandbox.url, timeoutMs: 1_500 },
      options: {},
      // An expired token: the "expired OAuth token" bad input.
      badCredentials: { accessToken: 'meta-sandbox-expired' },
      stop: () => conformanceSandbox.stop(),
    };
  },
  row: (i) => ({
    recordKey: `p-${i}`,
    match: { field: 'EMAIL', value: `person${i}@example.com` },
    fields: { EMAIL: ` Person${i}@Example.com`, FN: 'Ada', COUNTRY: 'US' },
  }),
  invalidRow: (i) => ({ row: { recordKey: `p-${i}`, match: { field: 'EMAIL', value: `not-an-email-${i}` }, fields: { EMAIL: `not-an-email-${i}` } }, field: 'EMAIL' }),
  async countByMatch(value) {
    const [audience] = await conformanceSandbox.records<Audience[]>({ audience: AUDIENCE });
    const hash = sha(value.trim().toLowerCase());
    return (audience?.members ?? []).filter((m) => m.EMAIL === hash).length;
  },
  async writeRequestSizes() {
    return (await conformanceSandbox.requests()).filter((r) => r.path.endsWith('/users') && r.method !== 'GET').map((r) => ZEditBody.parse(r.body).payload.data.length);
  },
  async requestTimestamps() {
    return (await conformanceSandbox.requests()).map((r) => r.at);
  },
  injectFault: (kind) => conformanceSandbox.fault(faultFor(kind)),
  reset: () => conformanceSandbox.reset(),
  apiMaxBatch: MAX_USERS_PER_REQUEST,
});

// ───────────────────────────── normalisation and hashing ─────────────────────────────

describe('Meta normalisation and hashing (golden cases)', () => {
  test("Meta's own documentation example: test1@example.com", () => {
    expect(payloadValue('EMAIL', '  Test1@Example.com ')).toBe('9b431636bd164765d63c573c346708846af4f68fe3701a77a3bdd7e7e5166254');
  });

  test.each([
    ['EMAIL', '  John.Doe@Example.COM ', 'john.doe@example.com', '836f82db99121b3481011f16b49dfa5fbc714a0d1b1b9f784a1ebbbf5b39577f'],
    ['PHONE', '+1 (415) 555-2671', '14155552671', '758fbf68945f21c416814c539ab578876c8d98fb69e6da692def92cd52417fe0'],
    ['FN', 'Mary-Ann', 'maryann', '16b3f07f0ec2f9dd127b71dc2e6c791b7d93116a1c3bc99d057eaa7a8a077e73'],
    ['FN', 'José', 'josé', 'd994e1d001886fe5b45b1267bd1fa2b752ac50742579bd3dad7b2a2aa0ed6866'],
    ['LN', "O'Brien", 'obrien', 'b4cb6cb33fe4b865868de825023a1e2790dc12ac01ecc8d7c5afe8254071c8ba'],
    ['CT', 'San Francisco', 'sanfrancisco', '1a6bd4d9d79dc0a79b53795c70d3349fa9e38968a3fbefbfe8783efb1d2b6aac'],
    ['ST', 'California', 'ca', '6959097001d10501ac7d54c0bdb8db61420f658f2922cc26e46d536119a31126'],
    ['ZIP', '94103-1234', '94103', '91dc2519ea98c5002cf2091e6a12b772eafdce9dca618e626d7d3b8275361789'],
    ['ZIP', 'SW1A 1AA', 'sw1a1', '949af780a19e6f6d4b99d7044743348dbbb7ab2245fe146863573b23d02c5890'],
    ['COUNTRY', 'United States', 'us', '79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621'],
    ['GEN', 'Female', 'f', '252f10c83610ebca1a059c0bae8255eba2f95be4d1d7bcfa89d7248a82d9f111'],
    ['DOBY', '1990-04-23', '1990', 'a7be8e1fe282a37cd666e0632b17d933fa13f21addf4798fc0455bc166e2488c'],
    ['DOBM', '4', '04', '6cd5b6e51936a442b973660c21553dd22bd72ddc8751132a943475288113b4c0'],
    ['DOBD', '1990-04-03', '03', '0b8efa5a3bf104413a725c6ff0459a6be12b1fd33314cbb138745baf39504ae5'],
    ['FI', 'Zoë', 'z', '594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06'],
  ] as const)('%s %j → %j → SHA-256', (key, raw, normalized, hash) => {
    expect(normalize(key, raw)).toBe(normalized);
    expect(payloadValue(key, raw)).toBe(hash);
  });

  test.each([
    ['PHONE', '0044 20 7946 0958', {}, '442079460958'],
    ['PHONE', '07700 900123', { phoneCountryCode: '44' }, '447700900123'],
    ['PHONE', '(415) 555-2671', { phoneCountryCode: '1' }, '14155552671'],
    ['PHONE', '+44 7700 900123', { phoneCountryCode: '1' }, '447700900123'],
    ['ST', 'CA', {}, 'ca'],
    ['ST', 'Île-de-France', {}, 'îledefrance'],
    ['ZIP', 'M5V 3L9', {}, 'm5v3l9'],
    ['COUNTRY', 'GB', {}, 'gb'],
    ['GEN', 'm', {}, 'm'],
  ] as const)('%s %j with %j → %j', (key, raw, opts, normalized) => {
    expect(normalize(key, raw, opts)).toBe(normalized);
  });

  test.each([
    ['EMAIL', 'not-an-email'],
    ['PHONE', '12'],
    ['GEN', 'x'],
    ['COUNTRY', 'Neverland'],
    ['DOBM', '13'],
    ['DOBY', '1850'],
    ['EMAIL', null],
    ['EMAIL', '   '],
  ] as const)('%s %j cannot be normalised: sent as empty, never as a hash of garbage', (key, raw) => {
    expect(normalize(key, raw)).toBe('');
    expect(payloadValue(key, raw)).toBe('');
  });

  test('MADID and EXTERN_ID are sent unhashed; values already hashed pass through', () => {
    expect(payloadValue('MADID', 'AECE52E7-03EE-455A-B3C4-E57283966239')).toBe('aece52e7-03ee-455a-b3c4-e57283966239');
    expect(payloadValue('EXTERN_ID', ' crm-42 ')).toBe('crm-42');
    const hashed = '836F82DB99121B3481011F16B49DFA5FBC714A0D1B1B9F784A1EBBBF5B39577F';
    expect(payloadValue('EMAIL', hashed)).toBe(hashed.toLowerCase());
  });
});

// ───────────────────────────── Meta-specific ─────────────────────────────

type Ctx = WriteContext<TMetaAudiencesCredentials, TMetaAudiencesConfig, TMetaAudiencesOptions>;

function ctxFor(baseUrl: string, opts: { token?: string; appSecret?: string; object?: string; name?: string; options?: Partial<TMetaAudiencesOptions> } = {}): Ctx {
  const ctx = testWriteContext(facebookAudiencesDestination, {
    credentials: { accessToken: opts.token ?? TOKEN, ...(opts.appSecret ? { appSecret: opts.appSecret } : {}) },
    config: ZMetaAudiencesConfig.parse({ adAccountId: '1000', baseUrl, timeoutMs: 10_000 }),
    object: opts.object ?? AUDIENCE,
    mode: 'add_remove',
    options: ZMetaAudiencesOptions.parse(opts.options ?? {}),
  });
  return { ...ctx, connectionName: opts.name ?? 'Meta ads' };
}

function row(i: number, fields: WriteRow['fields'], op: WriteRow['op'] = 'add'): WriteRow {
  return { recordKey: `r-${i}`, op, fields, match: { field: 'EMAIL', value: String(fields.EMAIL ?? i) }, idempotencyKey: `k-${i}-${op}` };
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

describe('Meta Custom Audiences destination', () => {
  let sandbox: SandboxProcess;
  const members = async () => (await sandbox.records<Audience[]>({ audience: AUDIENCE }))[0]?.members ?? [];
  const edits = async () => (await sandbox.requests()).filter((r) => r.path.endsWith('/users')).map((r) => ({ method: r.method, status: r.status, body: ZEditBody.parse(r.body) }));

  beforeAll(async () => {
    sandbox = await spawnSandbox('facebook-audiences');
  });
  afterAll(() => sandbox?.stop());
  beforeEach(() => sandbox.reset());

  test('splits 25,000 users into requests of 10,000 within one session (sequence numbers, last-batch flag)', { timeout: 120_000 }, async () => {
    const rows = Array.from({ length: 25_000 }, (_, i) => row(i, { EMAIL: `bulk${i}@example.com` }));
    const results = await facebookAudiencesDestination.write(rows, ctxFor(sandbox.url));
    expect(results).toHaveLength(25_000);
    expect(results.every((r) => r.status === 'accepted')).toBe(true);
    const sent = await edits();
    expect(sent.map((e) => e.body.payload.data.length)).toEqual([10_000, 10_000, 5_000]);
    const sessions = sent.map((e) => e.body.session);
    expect(new Set(sessions.map((s) => s.session_id)).size).toBe(1);
    expect(sessions.map((s) => [s.batch_seq, s.last_batch_flag, s.estimated_num_total])).toEqual([
      [1, false, 25_000],
      [2, false, 25_000],
      [3, true, 25_000],
    ]);
    expect(await members()).toHaveLength(25_000);
  });

  test('the payload lists schema keys in order with hashed values; no plain-text PII leaves Backflow', async () => {
    await facebookAudiencesDestination.write(
      [row(1, { EMAIL: 'John.Doe@Example.COM', PHONE: '+1 (415) 555-2671', EXTERN_ID: 'crm-1' }), row(2, { EMAIL: 'jane@example.com', FN: 'Jane' })],
      ctxFor(sandbox.url),
    );
    const [edit] = await edits();
    expect(edit?.body.payload.schema).toEqual(['EMAIL', 'PHONE', 'FN', 'EXTERN_ID']);
    expect(edit?.body.payload.data[0]).toEqual([
      '836f82db99121b3481011f16b49dfa5fbc714a0d1b1b9f784a1ebbbf5b39577f',
      '758fbf68945f21c416814c539ab578876c8d98fb69e6da692def92cd52417fe0',
      '',
      'crm-1',
    ]);
    const log = JSON.stringify(await sandbox.requests());
    for (const pii of ['John.Doe', 'john.doe@example.com', 'jane@example.com', '555-2671', '4155552671', 'Jane']) expect(log).not.toContain(pii);
  });

  test('removals go to DELETE on the same edge and take the people out of the audience', async () => {
    const ctx = ctxFor(sandbox.url);
    await facebookAudiencesDestination.write([row(1, { EMAIL: 'a@example.com' }), row(2, { EMAIL: 'b@example.com' })], ctx);
    const results = await facebookAudiencesDestination.write([row(1, { EMAIL: 'A@example.com' }, 'remove')], ctx);
    expect(results).toEqual([{ recordKey: 'r-1', status: 'accepted' }]);
    expect((await edits()).map((e) => e.method)).toEqual(['POST', 'DELETE']);
    expect((await members()).map((m) => m.EMAIL)).toEqual([sha('b@example.com')]);
  });

  test('rows with no usable identifier are rejected with the field, the rest are sent', async () => {
    const results = await facebookAudiencesDestination.write(
      [row(1, { EMAIL: 'ok@example.com' }), row(2, { EMAIL: 'nope', FN: 'Ann' }), row(3, { PHONE: '12' }), row(4, { FN: 'Only a name' })],
      ctxFor(sandbox.url),
    );
    expect(results.map((r) => [r.recordKey, r.status, r.field])).toEqual([
      ['r-1', 'accepted', undefined],
      ['r-2', 'rejected', 'EMAIL'],
      ['r-3', 'rejected', 'PHONE'],
      ['r-4', 'rejected', 'EMAIL'],
    ]);
    expect(results[1]?.message).toContain('"nope"');
    expect((await edits())[0]?.body.payload.data).toHaveLength(1);
  });

  test('an expired token is a non-retryable auth error that says so and names the connection', async () => {
    const ctx = ctxFor(sandbox.url, { token: 'meta-sandbox-expired', name: 'Meta (old token)' });
    const err = await thrown(facebookAudiencesDestination.write([row(1, { EMAIL: 'a@example.com' })], ctx));
    expect(err).toMatchObject({ code: 'auth', retryable: false, applied: 'no' });
    expect(err.message).toMatch(/Meta \(old token\).*expired.*fix:/);
    expect(await facebookAudiencesDestination.test(ctx)).toMatchObject({ ok: false, code: 'auth' });
  });

  test('a token without ads_management is a permission error', async () => {
    const err = await thrown(facebookAudiencesDestination.write([row(1, { EMAIL: 'a@example.com' })], ctxFor(sandbox.url, { token: 'meta-sandbox-readonly' })));
    expect(err).toMatchObject({ code: 'permission', retryable: false });
    expect(err.message).toContain('ads_management');
  });

  test('an audience that no longer exists is not_found, naming it', async () => {
    const err = await thrown(facebookAudiencesDestination.write([row(1, { EMAIL: 'a@example.com' })], ctxFor(sandbox.url, { object: '23899999999' })));
    expect(err).toMatchObject({ code: 'not_found', retryable: false });
    expect(err.message).toMatch(/Meta ads.*23899999999.*fix:/);
  });

  test('a mapped field that is not a customer-file key is a config error naming it', async () => {
    const err = await thrown(facebookAudiencesDestination.write([row(1, { EMAIL: 'a@example.com', favourite_colour: 'teal' })], ctxFor(sandbox.url)));
    expect(err).toMatchObject({ code: 'config', field: 'favourite_colour' });
    expect((await edits()).length).toBe(0);
  });

  test('appsecret_proof is sent when an app secret is configured, and a wrong one is refused', async () => {
    const [ok] = await facebookAudiencesDestination.write([row(1, { EMAIL: 'a@example.com' })], ctxFor(sandbox.url, { appSecret: 'sandbox-app-secret' }));
    expect(ok?.status).toBe('accepted');
    expect((await edits())[0]?.body).toHaveProperty('appsecret_proof');
    const err = await thrown(facebookAudiencesDestination.write([row(2, { EMAIL: 'b@example.com' })], ctxFor(sandbox.url, { appSecret: 'wrong-secret' })));
    expect(err).toMatchObject({ code: 'bad_request', retryable: false });
    expect(err.message).toContain('appsecret_proof');
  });

  test('discover lists the customer-file audiences of the ad account (not lookalikes) with the schema keys', async () => {
    const { objects } = await facebookAudiencesDestination.discover(ctxFor(sandbox.url));
    expect(objects.map((o) => [o.name, o.label])).toEqual([
      ['23800000001', 'Newsletter subscribers'],
      ['23800000002', 'Lapsed buyers'],
    ]);
    const keys = objects[0]!.fields.map((f) => f.name);
    for (const k of ['EMAIL', 'PHONE', 'FN', 'LN', 'FI', 'GEN', 'DOBY', 'DOBM', 'DOBD', 'CT', 'ST', 'ZIP', 'COUNTRY', 'MADID', 'EXTERN_ID']) expect(keys).toContain(k);
    expect(objects[0]!.fields.find((f) => f.name === 'EMAIL')?.unique).toBe(true);
    expect(await facebookAudiencesDestination.test(ctxFor(sandbox.url))).toMatchObject({ ok: true });
  });

  test('the OAuth endpoint exchanges a valid token for a long-lived one the connector can use; an expired one cannot be exchanged', async () => {
    const exchange = (token: string) =>
      fetch(`${sandbox.url}/v25.0/oauth/access_token?${new URLSearchParams({ grant_type: 'fb_exchange_token', client_id: 'sandbox-app', client_secret: 'sandbox-app-secret', fb_exchange_token: token })}`);
    const ok = await exchange(TOKEN);
    expect(ok.status).toBe(200);
    const { access_token } = z.object({ access_token: z.string() }).parse(await ok.json());
    expect(access_token).not.toBe(TOKEN);
    expect(await facebookAudiencesDestination.test(ctxFor(sandbox.url, { token: access_token }))).toMatchObject({ ok: true });
    const expired = await exchange('meta-sandbox-expired');
    expect(expired.status).toBe(400);
    expect(await expired.json()).toMatchObject({ error: { code: 190, error_subcode: 463 } });
  });

  test('an unreachable host is a network error, not applied', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const err = await thrown(facebookAudiencesDestination.write([row(1, { EMAIL: 'a@example.com' })], ctxFor(`http://127.0.0.1:${port}`, { name: 'Meta (down)' })));
    expect(err).toMatchObject({ code: 'network', applied: 'no', retryable: true });
    expect(err.message).toContain('Meta (down)');
  });
});

describe('Meta Custom Audiences destination: rate limiting', () => {
  let sandbox: SandboxProcess;
  beforeAll(async () => {
    sandbox = await spawnSandbox('facebook-audiences', { env: { META_SANDBOX_AUDIENCE_LIMIT: '1', META_SANDBOX_AUDIENCE_WINDOW_MS: '60000' } });
  });
  afterAll(() => sandbox?.stop());

  test('error 80003: retryable, waiting as long as X-Business-Use-Case-Usage says; the account limiter is paused', async () => {
    const ctx = ctxFor(sandbox.url);
    const paused: number[] = [];
    const pause = ctx.limiter.pause.bind(ctx.limiter);
    ctx.limiter.pause = async (ms) => {
      paused.push(ms);
      // Record without sleeping a minute in the test.
      await pause(0);
    };
    await facebookAudiencesDestination.write([row(1, { EMAIL: 'a@example.com' })], ctx);
    const err = await thrown(facebookAudiencesDestination.write([row(2, { EMAIL: 'b@example.com' })], ctx));
    expect(err).toMatchObject({ code: 'rate_limited', retryable: true, applied: 'no', retryAfterMs: 60_000 });
    expect(err.message).toContain('80003');
    expect(paused).toEqual([60_000]);
    const last = (await sandbox.requests()).at(-1);
    expect(last?.status).toBe(400);
  });
});
