/**
 * Slack Web API SANDBOX — test infrastructure, not a Slack client. It
 * implements the methods the Slack destination uses (auth.test,
 * conversations.list, chat.postMessage) plus oauth.v2.access for token
 * rotation, with Slack's conventions: HTTP 200 with {ok:false, error} for
 * method errors, HTTP 429 + Retry-After for rate limits. Every posted message
 * is a create and chat.postMessage is NOT idempotent: a replay posts twice.
 * See README.md for each modelled behaviour and its documentation page.
 *
 * Run: tsx test/sandboxes/slack/server.ts [--port N]
 * Env (tests only): SLACK_SANDBOX_POST_LIMIT / SLACK_SANDBOX_POST_WINDOW_MS
 * (messages per channel, default 60 per 60,000 ms: 1/s on average, bursts allowed),
 * SLACK_SANDBOX_TIER2_LIMIT / SLACK_SANDBOX_TIER2_WINDOW_MS (default 20 per 60,000 ms),
 * SLACK_SANDBOX_TOKEN_TTL_S (rotated tokens, default 43200).
 */
import { z } from 'zod';
import { RateWindow } from '../lib/rate-window';
import { runSandboxProcess, type Route, type SandboxRequest, type SandboxResponse, type SandboxState } from '../lib/server';

const ZEnv = z.object({
  SLACK_SANDBOX_POST_LIMIT: z.coerce.number().int().min(1).default(60),
  SLACK_SANDBOX_POST_WINDOW_MS: z.coerce.number().int().min(1).default(60_000),
  SLACK_SANDBOX_TIER2_LIMIT: z.coerce.number().int().min(1).default(20),
  SLACK_SANDBOX_TIER2_WINDOW_MS: z.coerce.number().int().min(1).default(60_000),
  SLACK_SANDBOX_TOKEN_TTL_S: z.coerce.number().int().min(1).default(43_200),
});
const env = ZEnv.parse(process.env);

const CLIENT = { id: 'sandbox-client-id', secret: 'sandbox-client-secret' };
/** Slack truncates or refuses text beyond this many characters. */
const MAX_TEXT = 40_000;
const MAX_BLOCKS = 50;
const TEAM = { id: 'T0SANDBOX', name: 'Sandbox workspace' };

type Token = { token: string; expiresAt: number | null; revoked: boolean };
type Channel = { id: string; name: string; is_private: boolean; is_archived: boolean; is_member: boolean };
type Message = { channel: string; ts: string; text: string; blocks?: unknown; thread_ts?: string; at: number };

const tokens = new Map<string, Token>();
const refreshTokens = new Set<string>();
const channels = new Map<string, Channel>();
const messages: Message[] = [];
const postWindows = new Map<string, RateWindow>();
const tier2 = new RateWindow(env.SLACK_SANDBOX_TIER2_LIMIT, env.SLACK_SANDBOX_TIER2_WINDOW_MS);
let seq = 0;

function seed(): void {
  tokens.clear();
  refreshTokens.clear();
  channels.clear();
  messages.length = 0;
  postWindows.clear();
  tier2.reset();
  seq = 0;
  tokens.set('xoxb-sandbox-bot', { token: 'xoxb-sandbox-bot', expiresAt: null, revoked: false });
  tokens.set('xoxe.xoxb-sandbox-expired', { token: 'xoxe.xoxb-sandbox-expired', expiresAt: Date.now() - 1000, revoked: false });
  tokens.set('xoxb-sandbox-revoked', { token: 'xoxb-sandbox-revoked', expiresAt: null, revoked: true });
  refreshTokens.add('xoxe-1-sandbox-refresh');
  for (const c of [
    { id: 'C0GENERAL', name: 'general', is_private: false, is_archived: false, is_member: true },
    { id: 'C0ALERTS', name: 'alerts', is_private: false, is_archived: false, is_member: true },
    { id: 'C0RANDOM', name: 'random', is_private: false, is_archived: false, is_member: false },
    { id: 'C0OLD', name: 'old-projects', is_private: false, is_archived: true, is_member: true },
    { id: 'G0SALES', name: 'sales-private', is_private: true, is_archived: false, is_member: true },
  ]) {
    channels.set(c.id, c);
  }
}
seed();

const fail = (error: string, extra: Record<string, unknown> = {}): SandboxResponse => ({ status: 200, body: { ok: false, error, ...extra } });

type Args = Record<string, unknown>;
/** Web API arguments: JSON body, form body or query string. */
function args(req: SandboxRequest): Args {
  const out: Args = Object.fromEntries(req.query.entries());
  if (req.body && typeof req.body === 'object' && !Array.isArray(req.body)) return { ...out, ...(req.body as Args) };
  if (typeof req.body === 'string') return { ...out, ...Object.fromEntries(new URLSearchParams(req.body).entries()) };
  return out;
}

function authenticate(req: SandboxRequest, a: Args): SandboxResponse | null {
  const header = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const value = header ?? (typeof a.token === 'string' ? a.token : undefined);
  if (!value) return fail('not_authed');
  const t = tokens.get(value);
  if (!t) return fail('invalid_auth');
  if (t.revoked) return fail('token_revoked');
  if (t.expiresAt !== null && t.expiresAt <= Date.now()) return fail('token_expired');
  return null;
}

function rateLimited(w: RateWindow): SandboxResponse | null {
  const wait = w.hit();
  if (wait === null) return null;
  return { status: 429, headers: { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) }, body: { ok: false, error: 'ratelimited' } };
}

function findChannel(ref: string): Channel | undefined {
  const byId = channels.get(ref);
  if (byId) return byId;
  const name = ref.replace(/^#/, '');
  return [...channels.values()].find((c) => c.name === name);
}

/** A Block Kit block needs at least its type. */
const ZBlock = z.looseObject({ type: z.string() });

const POST_ARGS = new Set([
  'token', 'channel', 'text', 'blocks', 'attachments', 'thread_ts', 'reply_broadcast', 'mrkdwn', 'parse', 'link_names', 'unfurl_links', 'unfurl_media',
  'username', 'icon_emoji', 'icon_url', 'metadata', 'as_user',
]);

function routes(state: SandboxState): Route[] {
  return [
    {
      method: 'POST',
      path: '/api/auth.test',
      handler: (req) => {
        const denied = authenticate(req, args(req));
        if (denied) return denied;
        return { status: 200, body: { ok: true, url: 'https://sandbox.slack.test/', team: TEAM.name, user: 'backflow', team_id: TEAM.id, user_id: 'U0BOT', bot_id: 'B0BOT' } };
      },
    },
    {
      method: 'GET',
      path: '/api/conversations.list',
      handler: (req) => {
        const a = args(req);
        const denied = authenticate(req, a);
        if (denied) return denied;
        const limited = rateLimited(tier2);
        if (limited) return limited;
        const types = String(a.types ?? 'public_channel').split(',');
        const excludeArchived = a.exclude_archived === 'true' || a.exclude_archived === true;
        const limit = Math.min(Number(a.limit ?? 100), 1000);
        if (!Number.isFinite(limit) || limit < 1) return fail('invalid_limit');
        const start = a.cursor ? Number(Buffer.from(String(a.cursor), 'base64').toString().replace('offset:', '')) : 0;
        if (!Number.isFinite(start)) return fail('invalid_cursor');
        const all = [...channels.values()].filter(
          (c) => types.includes(c.is_private ? 'private_channel' : 'public_channel') && !(excludeArchived && c.is_archived),
        );
        const page = all.slice(start, start + limit);
        const next = start + limit < all.length ? Buffer.from(`offset:${start + limit}`).toString('base64') : '';
        return {
          status: 200,
          body: {
            ok: true,
            channels: page.map((c) => ({ ...c, is_channel: !c.is_private, is_group: c.is_private, num_members: 3 })),
            response_metadata: { next_cursor: next },
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/api/chat.postMessage',
      handler: (req) => {
        const a = args(req);
        const denied = authenticate(req, a);
        if (denied) return denied;
        const unknown = Object.keys(a).filter((k) => !POST_ARGS.has(k));
        if (unknown.length) return fail('invalid_arguments', { response_metadata: { messages: unknown.map((k) => `[ERROR] unknown argument '${k}'`) } });
        if (typeof a.channel !== 'string' || !a.channel) return fail('channel_not_found');
        const channel = findChannel(a.channel);
        if (!channel) return fail('channel_not_found');
        let w = postWindows.get(channel.id);
        if (!w) {
          w = new RateWindow(env.SLACK_SANDBOX_POST_LIMIT, env.SLACK_SANDBOX_POST_WINDOW_MS);
          postWindows.set(channel.id, w);
        }
        const limited = rateLimited(w);
        if (limited) return limited;
        if (channel.is_archived) return fail('is_archived');
        if (!channel.is_member) return fail('not_in_channel');
        const text = typeof a.text === 'string' ? a.text : '';
        let blocks: unknown;
        if (a.blocks !== undefined) {
          blocks = typeof a.blocks === 'string' ? (() => { try { return JSON.parse(a.blocks as string); } catch { return null; } })() : a.blocks;
          if (!Array.isArray(blocks) || blocks.length > MAX_BLOCKS || !blocks.every((b) => ZBlock.safeParse(b).success)) {
            return fail('invalid_blocks');
          }
        }
        if (!text.trim() && !blocks) return fail('no_text');
        if (text.length > MAX_TEXT) return fail('msg_too_long');
        const ts = `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;
        const message: Message = { channel: channel.id, ts, text, ...(blocks ? { blocks } : {}), ...(typeof a.thread_ts === 'string' ? { thread_ts: a.thread_ts } : {}), at: Date.now() };
        messages.push(message);
        state.logCreate('message', `${channel.id}/${ts}`, { channel: channel.id, text });
        return { status: 200, body: { ok: true, channel: channel.id, ts, message: { type: 'message', text, ts, bot_id: 'B0BOT' } } };
      },
    },
    {
      // Token rotation: a refresh token is single-use and yields a new pair.
      method: 'POST',
      path: '/api/oauth.v2.access',
      handler: (req) => {
        const a = args(req);
        const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
        const [basicId, basicSecret] = basic ? Buffer.from(basic, 'base64').toString().split(':') : [];
        const clientId = a.client_id ?? basicId;
        const clientSecret = a.client_secret ?? basicSecret;
        if (clientId !== CLIENT.id) return fail('invalid_client_id');
        if (clientSecret !== CLIENT.secret) return fail('bad_client_secret');
        if (a.grant_type !== 'refresh_token') return fail('invalid_grant_type');
        if (typeof a.refresh_token !== 'string' || !refreshTokens.has(a.refresh_token)) return fail('invalid_refresh_token');
        refreshTokens.delete(a.refresh_token);
        const n = ++seq;
        const access = `xoxe.xoxb-sandbox-${n}`;
        const refresh = `xoxe-1-sandbox-refresh-${n}`;
        tokens.set(access, { token: access, expiresAt: Date.now() + env.SLACK_SANDBOX_TOKEN_TTL_S * 1000, revoked: false });
        refreshTokens.add(refresh);
        return {
          status: 200,
          body: { ok: true, app_id: 'A0SANDBOX', access_token: access, token_type: 'bot', scope: 'chat:write,channels:read,groups:read', bot_user_id: 'U0BOT', team: TEAM, expires_in: env.SLACK_SANDBOX_TOKEN_TTL_S, refresh_token: refresh },
        };
      },
    },
  ];
}

void runSandboxProcess({
  name: 'slack',
  routes,
  records: (query) => {
    const channel = query.get('channel');
    return messages.filter((m) => !channel || m.channel === channel);
  },
  reset: seed,
});
