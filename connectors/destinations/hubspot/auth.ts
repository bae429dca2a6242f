/**
 * HubSpot access tokens: a private app token is used as is; an OAuth access
 * token is refreshed shortly before it expires, or after HubSpot rejects it.
 *
 * Refreshing goes through ctx.updateCredentials, which holds the connection's
 * lock across every worker and stores the result encrypted. Inside it we first
 * look at the freshest stored credentials: when another worker already rotated
 * the token we take theirs instead of calling the token endpoint again.
 */
import { z } from 'zod';
import { httpRequest, joinUrl } from '../../sdk/http';
import { ConnectorError, type ConnectorContext } from '../../sdk/types';
import type { THubSpotConfig, THubSpotCredentials } from './schema';

export type HubSpotContext = ConnectorContext<THubSpotCredentials, THubSpotConfig>;
type OAuthCredentials = Extract<THubSpotCredentials, { type: 'oauth' }>;

/** Refresh this long before the announced expiry, so a request never leaves with a dying token. */
const EXPIRY_SKEW_MS = 60_000;

/**
 * The newest credentials this context has seen. Contexts are not always the
 * same object the runtime mutates, so a refreshed token is remembered here.
 */
const latest = new WeakMap<object, THubSpotCredentials>();

export function currentCredentials(ctx: HubSpotContext): THubSpotCredentials {
  return latest.get(ctx) ?? ctx.credentials;
}

function usable(c: OAuthCredentials, rejected?: string): c is OAuthCredentials & { accessToken: string } {
  if (!c.accessToken || c.accessToken === rejected) return false;
  return c.expiresAt === undefined || c.expiresAt - EXPIRY_SKEW_MS > Date.now();
}

/** The bearer token for the next request. */
export async function accessToken(ctx: HubSpotContext): Promise<string> {
  const c = currentCredentials(ctx);
  if (c.type === 'private_app') return c.accessToken;
  if (usable(c)) return c.accessToken;
  return refreshAccessToken(ctx);
}

/**
 * Rotates the OAuth access token, once across all workers. `rejected` is the
 * token HubSpot just refused (401), if any.
 */
export async function refreshAccessToken(ctx: HubSpotContext, rejected?: string): Promise<string> {
  const next = await ctx.updateCredentials(async (stored) => {
    if (stored.type !== 'oauth') return stored;
    // Another worker refreshed while we waited for the lock: use its token.
    if (usable(stored, rejected)) return stored;
    return requestToken(ctx, stored);
  });
  latest.set(ctx, next);
  if (next.type !== 'oauth' || !next.accessToken) {
    throw new ConnectorError(`HubSpot connection "${ctx.connectionName}": no access token after refresh — fix: reconnect HubSpot in the connection settings`, {
      code: 'auth',
      retryable: false,
      applied: 'no',
    });
  }
  return next.accessToken;
}

const ZTokenResponse = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  expires_in: z.number().positive(),
});

const ZTokenError = z.object({ status: z.string().optional(), message: z.string().optional() }).loose();

async function requestToken(ctx: HubSpotContext, c: OAuthCredentials): Promise<OAuthCredentials> {
  const base = ctx.config.oauthBaseUrl ?? ctx.config.baseUrl;
  // HubSpot's v1 token endpoint takes a form-encoded body.
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: c.clientId,
    client_secret: c.clientSecret,
    refresh_token: c.refreshToken,
  });
  const res = await httpRequest(ctx, {
    method: 'POST',
    url: joinUrl(base, '/oauth/v1/token'),
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
    body: form.toString(),
    timeoutMs: ctx.config.timeoutMs,
    acceptStatus: [400, 401, 403],
  });
  if (res.status !== 200) {
    const err = ZTokenError.safeParse(res.body);
    const status = err.success ? err.data.status : undefined;
    const detail = err.success && err.data.message ? err.data.message : res.text.slice(0, 200);
    const fix =
      status === 'BAD_CLIENT_ID' || status === 'BAD_CLIENT_SECRET'
        ? "check the app's client id and client secret in the connection"
        : 'reconnect HubSpot in the connection settings to grant Backflow a new refresh token';
    throw new ConnectorError(
      `HubSpot connection "${ctx.connectionName}": the OAuth token endpoint refused to refresh the access token (${status ?? res.status}: ${detail}) — fix: ${fix}`,
      { code: 'auth', retryable: false, applied: 'no', status: res.status },
    );
  }
  const parsed = ZTokenResponse.safeParse(res.body);
  if (!parsed.success) {
    throw new ConnectorError(`HubSpot connection "${ctx.connectionName}": unexpected answer from the OAuth token endpoint — fix: check oauthBaseUrl in the connection`, {
      code: 'auth',
      retryable: false,
      applied: 'no',
    });
  }
  return {
    ...c,
    accessToken: parsed.data.access_token,
    refreshToken: parsed.data.refresh_token ?? c.refreshToken,
    expiresAt: Date.now() + parsed.data.expires_in * 1000,
  };
}
