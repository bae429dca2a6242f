/**
 * Slack Web API plumbing. Slack answers method errors with HTTP 200 and
 * {ok: false, error}, so this module turns those into ConnectorErrors (HTTP
 * 429 + Retry-After is already handled by httpRequest). It also renews a
 * rotating token (oauth.v2.access, grant_type=refresh_token) when it has
 * expired, through ctx.updateCredentials so that concurrent workers refresh it
 * once: the refresh token is single-use.
 */
import { z } from 'zod';
import { httpRequest, joinUrl } from '../../sdk/http';
import { ConnectorError, type ConnectorContext } from '../../sdk/types';
import { TEXT_FIELD, type TSlackConfig, type TSlackCredentials } from './schema';

export type SlackContext = ConnectorContext<TSlackCredentials, TSlackConfig>;

const ZSlackResponse = z.looseObject({ ok: z.boolean(), error: z.string().optional() });

const AUTH_ERRORS = new Set(['not_authed', 'invalid_auth', 'account_inactive', 'token_revoked', 'token_expired', 'no_permission', 'org_login_required', 'ekm_access_denied', 'not_allowed_token_type']);
/** Errors about one message; the other rows of a batch are unaffected. */
const MESSAGE_ERRORS = new Set(['msg_too_long', 'no_text', 'invalid_blocks', 'invalid_blocks_format', 'too_many_attachments', 'invalid_attachments', 'markdown_text_conflict']);
/** Slack says these may have partly succeeded. */
const SERVER_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** Refreshed tokens of this process, so later calls of the same run use them. */
const renewed = new WeakMap<SlackContext, TSlackCredentials>();
const EXPIRY_MARGIN_MS = 60_000;

function credentials(ctx: SlackContext): TSlackCredentials {
  return renewed.get(ctx) ?? ctx.credentials;
}

function canRefresh(c: TSlackCredentials): boolean {
  return !!(c.refreshToken && c.clientId && c.clientSecret);
}

function slackError(ctx: SlackContext, method: string, error: string, channel?: string): ConnectorError {
  const where = `${ctx.connectionName}: ${method}`;
  if (AUTH_ERRORS.has(error)) {
    const fix =
      error === 'token_expired'
        ? 'store the refresh token and client id/secret with the connection, or reinstall the app and paste the new token'
        : "reinstall the Slack app and update the connection's bot token";
    return new ConnectorError(`${where}: Slack rejected the token (${error}) — fix: ${fix}`, { code: 'auth', retryable: false, applied: 'no' });
  }
  if (error === 'missing_scope') {
    return new ConnectorError(`${where}: the token lacks a scope (missing_scope) — fix: add chat:write, channels:read and groups:read to the app and reinstall it`, {
      code: 'permission',
      retryable: false,
      applied: 'no',
    });
  }
  if (error === 'channel_not_found') {
    return new ConnectorError(`${where}: channel ${channel ?? '?'} was not found (channel_not_found) — fix: pick another channel; for a private channel, invite the app first`, {
      code: 'not_found',
      retryable: false,
      applied: 'no',
      ...(channel ? { recordId: channel } : {}),
    });
  }
  if (error === 'not_in_channel' || error === 'is_archived') {
    const fix = error === 'is_archived' ? 'unarchive the channel or pick another one' : 'invite the app to the channel (/invite @your-app)';
    return new ConnectorError(`${where}: cannot post in ${channel ?? 'the channel'} (${error}) — fix: ${fix}`, {
      code: 'config',
      retryable: false,
      applied: 'no',
      ...(channel ? { recordId: channel } : {}),
    });
  }
  if (error === 'ratelimited' || error === 'rate_limited') {
    return new ConnectorError(`${where}: rate limited by Slack (${error})`, { code: 'rate_limited', retryable: true, applied: 'no', retryAfterMs: 1000 });
  }
  if (SERVER_ERRORS.has(error)) return new ConnectorError(`${where}: Slack server error (${error})`, { code: 'server', retryable: true, applied: 'unknown' });
  if (MESSAGE_ERRORS.has(error)) return new ConnectorError(`${where}: Slack refused the message (${error})`, { code: 'bad_request', retryable: false, applied: 'no', field: TEXT_FIELD });
  return new ConnectorError(`${where}: Slack error ${error}`, { code: 'bad_request', retryable: false, applied: 'no' });
}

/** oauth.v2.access with the refresh token; once per expiry across workers. */
async function refresh(ctx: SlackContext, stale: string): Promise<TSlackCredentials> {
  const fresh = await ctx.updateCredentials(async (current) => {
    // Someone else already rotated it: use theirs (the old refresh token is spent).
    if (current.token !== stale && !(current.expiresAt !== undefined && current.expiresAt - EXPIRY_MARGIN_MS <= Date.now())) return current;
    if (!canRefresh(current)) return current;
    const res = await httpRequest(ctx, {
      method: 'POST',
      url: joinUrl(ctx.config.baseUrl, 'oauth.v2.access'),
      timeoutMs: ctx.config.timeoutMs,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: current.refreshToken!, client_id: current.clientId!, client_secret: current.clientSecret! }).toString(),
    });
    const body = z.looseObject({ ok: z.boolean(), error: z.string().optional(), access_token: z.string().optional(), refresh_token: z.string().optional(), expires_in: z.number().optional() }).parse(res.body);
    if (!body.ok || !body.access_token) {
      throw new ConnectorError(`${ctx.connectionName}: renewing the Slack token failed (${body.error ?? 'no token returned'}) — fix: reinstall the Slack app and update the connection`, {
        code: 'auth',
        retryable: false,
        applied: 'no',
      });
    }
    return {
      ...current,
      token: body.access_token,
      ...(body.refresh_token ? { refreshToken: body.refresh_token } : {}),
      ...(body.expires_in ? { expiresAt: Date.now() + body.expires_in * 1000 } : {}),
    };
  });
  renewed.set(ctx, fresh);
  return fresh;
}

/** Calls a Web API method; returns its body when ok, throws a ConnectorError otherwise. */
export async function slack(ctx: SlackContext, method: string, args: Record<string, unknown>, verb: 'GET' | 'POST' = 'POST'): Promise<Record<string, unknown>> {
  let creds = credentials(ctx);
  if (creds.expiresAt !== undefined && creds.expiresAt - EXPIRY_MARGIN_MS <= Date.now() && canRefresh(creds)) creds = await refresh(ctx, creds.token);
  for (let attempt = 0; ; attempt++) {
    const query = verb === 'GET' ? `?${new URLSearchParams(Object.entries(args).map(([k, v]) => [k, String(v)]))}` : '';
    const res = await httpRequest(ctx, {
      method: verb,
      url: `${joinUrl(ctx.config.baseUrl, method)}${query}`,
      timeoutMs: ctx.config.timeoutMs,
      headers: { authorization: `Bearer ${creds.token}`, ...(verb === 'POST' ? { 'content-type': 'application/json; charset=utf-8' } : {}) },
      ...(verb === 'POST' ? { body: args } : {}),
    });
    const body = ZSlackResponse.safeParse(res.body);
    if (!body.success) {
      throw new ConnectorError(`${ctx.connectionName}: ${method}: unexpected answer from Slack: ${res.text.slice(0, 200)}`, { code: 'server', retryable: true, applied: 'unknown' });
    }
    if (body.data.ok) return body.data;
    const error = body.data.error ?? 'unknown_error';
    if (error === 'token_expired' && attempt === 0 && canRefresh(creds)) {
      creds = await refresh(ctx, creds.token);
      continue;
    }
    throw slackError(ctx, method, error, typeof args.channel === 'string' ? args.channel : undefined);
  }
}
