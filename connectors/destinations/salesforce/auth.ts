/**
 * Salesforce sessions. Salesforce does not announce when an access token
 * expires (the org's session timeout decides), so the token is refreshed when
 * the API answers 401 INVALID_SESSION_ID, or when none is stored yet.
 *
 * Refreshing goes through ctx.updateCredentials (one refresh at a time across
 * every worker, stored encrypted). Inside it we first check whether another
 * worker already stored a different token, and reuse it when so.
 */
import { z } from 'zod';
import { httpRequest, joinUrl } from '../../sdk/http';
import { ConnectorError, type ConnectorContext } from '../../sdk/types';
import type { TSalesforceConfig, TSalesforceCredentials } from './schema';

export type SalesforceContext = ConnectorContext<TSalesforceCredentials, TSalesforceConfig>;
type OAuthCredentials = Extract<TSalesforceCredentials, { type: 'oauth' }>;

/** Contexts are not always the object the runtime mutates: remember refreshed credentials here. */
const latest = new WeakMap<object, TSalesforceCredentials>();

export function currentCredentials(ctx: SalesforceContext): TSalesforceCredentials {
  return latest.get(ctx) ?? ctx.credentials;
}

export type Session = { accessToken: string; instanceUrl: string };

function instanceFor(ctx: SalesforceContext, c: TSalesforceCredentials): string | undefined {
  return ctx.config.baseUrl ?? c.instanceUrl;
}

/** The session for the next request: a stored token, or a fresh one. */
export async function session(ctx: SalesforceContext): Promise<Session> {
  const c = currentCredentials(ctx);
  const instanceUrl = instanceFor(ctx, c);
  if (c.accessToken && instanceUrl) return { accessToken: c.accessToken, instanceUrl };
  if (c.type === 'access_token') {
    throw new ConnectorError(`Salesforce connection "${ctx.connectionName}": no instance URL for the access token — fix: set baseUrl to your org's URL (https://<my-domain>.my.salesforce.com)`, {
      code: 'config',
      retryable: false,
      applied: 'no',
    });
  }
  return refreshSession(ctx);
}

/** Rotates the access token once across all workers; `rejected` is the token the API just refused. */
export async function refreshSession(ctx: SalesforceContext, rejected?: string): Promise<Session> {
  const next = await ctx.updateCredentials(async (stored) => {
    if (stored.type !== 'oauth') return stored;
    // Another worker refreshed while we waited for the lock: use its session.
    if (stored.accessToken && stored.accessToken !== rejected && instanceFor(ctx, stored)) return stored;
    return requestToken(ctx, stored);
  });
  latest.set(ctx, next);
  const instanceUrl = instanceFor(ctx, next);
  if (!next.accessToken || !instanceUrl || next.accessToken === rejected) {
    throw new ConnectorError(`Salesforce connection "${ctx.connectionName}": the session expired and cannot be renewed — fix: reconnect Salesforce in the connection settings`, {
      code: 'auth',
      retryable: false,
      applied: 'no',
    });
  }
  return { accessToken: next.accessToken, instanceUrl };
}

const ZToken = z.object({ access_token: z.string().min(1), instance_url: z.url(), refresh_token: z.string().optional() }).loose();
const ZTokenError = z.object({ error: z.string().optional(), error_description: z.string().optional() }).loose();

async function requestToken(ctx: SalesforceContext, c: OAuthCredentials): Promise<OAuthCredentials> {
  const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: c.refreshToken });
  const res = await httpRequest(ctx, {
    method: 'POST',
    url: joinUrl(ctx.config.loginUrl, '/services/oauth2/token'),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    timeoutMs: ctx.config.timeoutMs,
    acceptStatus: [400, 401, 403],
  });
  if (res.status !== 200) {
    const e = ZTokenError.safeParse(res.body);
    const code = e.success ? e.data.error : undefined;
    const detail = e.success && e.data.error_description ? e.data.error_description : res.text.slice(0, 200);
    const fix =
      code === 'invalid_client_id' || code === 'invalid_client'
        ? "check the connected app's consumer key and secret in the connection"
        : 'reconnect Salesforce in the connection settings to grant Backflow a new refresh token (it expired or was revoked)';
    throw new ConnectorError(`Salesforce connection "${ctx.connectionName}": the OAuth token endpoint refused the refresh token (${code ?? res.status}: ${detail}) — fix: ${fix}`, {
      code: 'auth',
      retryable: false,
      applied: 'no',
      status: res.status,
    });
  }
  const t = ZToken.safeParse(res.body);
  if (!t.success) {
    throw new ConnectorError(`Salesforce connection "${ctx.connectionName}": unexpected answer from the OAuth token endpoint — fix: check loginUrl in the connection`, {
      code: 'auth',
      retryable: false,
      applied: 'no',
    });
  }
  return { ...c, accessToken: t.data.access_token, instanceUrl: t.data.instance_url, refreshToken: t.data.refresh_token ?? c.refreshToken };
}
