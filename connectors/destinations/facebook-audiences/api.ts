/**
 * Graph API plumbing for the Marketing API: versioned URLs, access_token (and
 * appsecret_proof) on every call, and Graph error objects turned into
 * ConnectorErrors. Graph reports most failures as HTTP 400 with an error code,
 * so the code decides, not the status:
 *
 *   190, 102, 2500          auth (190/463: the token expired)
 *   10, 200–299             permission
 *   4, 17, 32, 613, 80000+  rate limited: X-Business-Use-Case-Usage says how long to wait
 *   1, 2                    transient server error
 *   100 / subcode 33        the object (audience, ad account) does not exist
 *   anything else           bad request
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { httpRequest, joinUrl, parseRetryAfter, type HttpResponse } from '../../sdk/http';
import { ConnectorError, type ConnectorContext } from '../../sdk/types';
import type { TMetaAudiencesConfig, TMetaAudiencesCredentials } from './schema';

export type MetaContext = ConnectorContext<TMetaAudiencesCredentials, TMetaAudiencesConfig>;

/** Meta's advice for a throttled ad account when it gives no estimate: "wait a bit". */
const DEFAULT_RATE_WAIT_MS = 60_000;

export function adAccount(ctx: MetaContext): string {
  return `act_${ctx.config.adAccountId.replace(/^act_/, '')}`;
}

function authParams(ctx: MetaContext): Record<string, string> {
  const token = ctx.credentials.accessToken;
  return {
    access_token: token,
    ...(ctx.credentials.appSecret ? { appsecret_proof: createHmac('sha256', ctx.credentials.appSecret).update(token).digest('hex') } : {}),
  };
}

export const ZGraphError = z.object({
  error: z.object({
    message: z.string().default(''),
    type: z.string().optional(),
    code: z.number(),
    error_subcode: z.number().optional(),
    error_user_title: z.string().optional(),
    error_user_msg: z.string().optional(),
  }),
});

const ZBucUsage = z.record(z.string(), z.array(z.looseObject({ estimated_time_to_regain_access: z.number().optional() })));

/** How long Meta says to wait: X-Business-Use-Case-Usage (minutes), else Retry-After. */
export function rateLimitWait(headers: Headers): number | undefined {
  const raw = headers.get('x-business-use-case-usage');
  if (raw) {
    try {
      const usage = ZBucUsage.safeParse(JSON.parse(raw));
      if (usage.success) {
        const minutes = Math.max(0, ...Object.values(usage.data).flat().map((u) => u.estimated_time_to_regain_access ?? 0));
        if (minutes > 0) return minutes * 60_000;
      }
    } catch {
      /* a malformed header is no estimate */
    }
  }
  return parseRetryAfter(headers.get('retry-after'));
}

const RATE_CODES = new Set([4, 17, 32, 613]);

export async function graphError(ctx: MetaContext, where: string, res: HttpResponse): Promise<ConnectorError> {
  const parsed = ZGraphError.safeParse(res.body);
  if (!parsed.success) {
    return new ConnectorError(`${where}: ${res.status} ${res.text.slice(0, 300)}`, { code: 'bad_request', retryable: false, applied: 'no', status: res.status });
  }
  const e = parsed.data.error;
  const detail = [e.message, e.error_user_msg].filter(Boolean).join(' — ');
  const base = { status: res.status, applied: 'no' as const };
  if (e.code === 190 || e.code === 102 || e.code === 2500) {
    const expired = e.error_subcode === 463 || /expired/i.test(e.message);
    return new ConnectorError(
      `${where}: ${expired ? 'the access token expired' : 'the access token was rejected'} (${detail}) — fix: generate a new token (system-user tokens do not expire) and update the connection`,
      { ...base, code: 'auth', retryable: false },
    );
  }
  if (e.code === 10 || (e.code >= 200 && e.code <= 299)) {
    return new ConnectorError(`${where}: permission denied (${detail}) — fix: give the token's user ads_management on ad account ${adAccount(ctx)}`, {
      ...base,
      code: 'permission',
      retryable: false,
    });
  }
  if (RATE_CODES.has(e.code) || (e.code >= 80_000 && e.code < 81_000)) {
    const wait = rateLimitWait(res.headers) ?? DEFAULT_RATE_WAIT_MS;
    await ctx.limiter.pause(wait);
    return new ConnectorError(`${where}: rate limited by Meta (code ${e.code}: ${detail}), retry in ${Math.round(wait / 1000)} s`, {
      ...base,
      code: 'rate_limited',
      retryable: true,
      retryAfterMs: wait,
    });
  }
  if (e.code === 1 || e.code === 2) {
    return new ConnectorError(`${where}: Meta server error (code ${e.code}: ${detail})`, { status: res.status, code: 'server', retryable: true, applied: 'unknown' });
  }
  if (e.code === 100 && e.error_subcode === 33) {
    return new ConnectorError(`${where}: ${detail} — fix: check the id, or pick another audience in the destination node`, { ...base, code: 'not_found', retryable: false });
  }
  return new ConnectorError(`${where}: Meta refused the request (code ${e.code}: ${detail})`, { ...base, code: 'bad_request', retryable: false });
}

/** Graph errors arrive as 4xx with a JSON body; httpRequest keeps 5xx and network classification. */
const GRAPH_ERROR_STATUSES = [400, 401, 403, 404];

/** One Graph call; the caller validates the body it gets back. */
export async function graph(
  ctx: MetaContext,
  req: { method: 'GET' | 'POST' | 'DELETE'; path: string; query?: Record<string, string>; body?: Record<string, unknown> },
): Promise<unknown> {
  const base = joinUrl(joinUrl(ctx.config.baseUrl, ctx.config.apiVersion), req.path);
  const auth = authParams(ctx);
  const query = new URLSearchParams({ ...req.query, ...(req.method === 'GET' ? auth : {}) });
  const url = `${base}${query.size ? `?${query}` : ''}`;
  const res = await httpRequest(ctx, {
    method: req.method,
    url,
    timeoutMs: ctx.config.timeoutMs,
    ...(req.method === 'GET' ? {} : { body: { ...req.body, ...auth } }),
    acceptStatus: GRAPH_ERROR_STATUSES,
  });
  if (GRAPH_ERROR_STATUSES.includes(res.status)) throw await graphError(ctx, `${ctx.connectionName}: ${req.method} /${req.path.replace(/^\//, '')}`, res);
  return res.body;
}
