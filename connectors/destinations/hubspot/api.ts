/**
 * HubSpot requests: bearer auth (with one refresh-and-retry on 401 for OAuth),
 * HubSpot's own rate-limit headers, and HubSpot's error bodies turned into
 * ConnectorErrors that name the connection, the object and the property.
 */
import { z } from 'zod';
import { httpRequest, joinUrl, parseRetryAfter, type HttpResponse } from '../../sdk/http';
import { ConnectorError } from '../../sdk/types';
import { accessToken, currentCredentials, refreshAccessToken, type HubSpotContext } from './auth';

export type HubSpotRequest = {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  /** The object the request is about, for error messages. */
  object?: string;
};

/** One error of HubSpot's standard error body (`errors[]`). */
const ZErrorDetail = z
  .object({
    message: z.string().optional(),
    code: z.string().optional(),
    in: z.string().optional(),
    context: z.record(z.string(), z.array(z.string())).optional(),
  })
  .loose();

export const ZHubSpotError = z
  .object({
    status: z.string().optional(),
    message: z.string().optional(),
    category: z.string().optional(),
    policyName: z.string().optional(),
    context: z.record(z.string(), z.array(z.string())).optional(),
    errors: z.array(ZErrorDetail).optional(),
  })
  .loose();
export type THubSpotError = z.infer<typeof ZHubSpotError>;

export type PropertyProblem = { code: string; property: string; message: string };

/**
 * The property-level problems in a HubSpot error: from `errors[]` when present,
 * otherwise from the JSON list HubSpot embeds in "Property values were not valid: [...]".
 */
export function propertyProblems(err: THubSpotError): PropertyProblem[] {
  const out: PropertyProblem[] = [];
  for (const e of err.errors ?? []) {
    const property = e.in ?? e.context?.propertyName?.[0];
    if (property) out.push({ code: e.code ?? 'INVALID', property, message: e.message ?? err.message ?? 'invalid value' });
  }
  if (out.length || !err.message) return out;
  const i = err.message.indexOf('[');
  if (i < 0) return out;
  try {
    const list = z.array(z.object({ message: z.string().optional(), error: z.string().optional(), name: z.string() }).loose()).parse(JSON.parse(err.message.slice(i)));
    for (const e of list) out.push({ code: e.error ?? 'INVALID', property: e.name, message: e.message ?? 'invalid value' });
  } catch {
    /* not the embedded form */
  }
  return out;
}

const ACCEPT = [207, 400, 401, 404, 409, 429];

/**
 * Sends one request. Returns 2xx (incl. 207 multi-status) responses; every
 * other outcome throws a ConnectorError.
 */
export async function hubspotRequest<T = unknown>(ctx: HubSpotContext, req: HubSpotRequest): Promise<HttpResponse<T>> {
  for (let attempt = 0; ; attempt++) {
    const token = await accessToken(ctx);
    const res = await httpRequest<T>(ctx, {
      method: req.method,
      url: joinUrl(ctx.config.baseUrl, req.path),
      headers: { authorization: `Bearer ${token}` },
      body: req.body,
      timeoutMs: ctx.config.timeoutMs,
      acceptStatus: ACCEPT,
    });
    if (res.status === 401 && attempt === 0 && currentCredentials(ctx).type === 'oauth') {
      await refreshAccessToken(ctx, token);
      continue;
    }
    if (res.status >= 200 && res.status < 300) return res;
    throw await errorFor(ctx, req, res);
  }
}

async function errorFor(ctx: HubSpotContext, req: HubSpotRequest, res: HttpResponse<unknown>): Promise<ConnectorError> {
  const parsed = ZHubSpotError.safeParse(res.body);
  const body: THubSpotError = parsed.success ? parsed.data : {};
  const detail = body.message ?? res.text.slice(0, 300);
  const where = `HubSpot connection "${ctx.connectionName}"`;
  const object = req.object ? ` (${req.object})` : '';

  if (res.status === 429) {
    // HubSpot announces its window in X-HubSpot-RateLimit-*; Retry-After wins when sent.
    const searchLimit = body.policyName !== undefined && body.policyName !== 'TEN_SECONDLY_ROLLING' && body.policyName !== 'DAILY';
    const interval = Number(res.headers.get('x-hubspot-ratelimit-interval-milliseconds'));
    const retryAfterMs =
      parseRetryAfter(res.headers.get('retry-after')) ?? (searchLimit ? 1000 : Number.isFinite(interval) && interval > 0 ? interval : 10_000);
    await ctx.limiter.pause(retryAfterMs);
    return new ConnectorError(`${where}: rate limited by HubSpot (${body.policyName ?? '429'}): ${detail}`, {
      code: 'rate_limited',
      retryable: true,
      applied: 'no',
      status: 429,
      retryAfterMs,
    });
  }
  if (res.status === 401) {
    const expired = body.category === 'EXPIRED_AUTHENTICATION';
    const fix =
      currentCredentials(ctx).type === 'private_app'
        ? 'paste a valid private app access token into the connection'
        : 'reconnect HubSpot in the connection settings';
    return new ConnectorError(`${where}: HubSpot rejected the ${expired ? 'expired ' : ''}access token (401: ${detail}) — fix: ${fix}`, {
      code: 'auth',
      retryable: false,
      applied: 'no',
      status: 401,
    });
  }
  if (/unable to infer object type/i.test(detail) || (res.status === 404 && req.path.includes('/properties/'))) {
    return new ConnectorError(`${where}: object "${req.object ?? req.path}" does not exist in this HubSpot account (${detail}) — fix: pick an object listed by discover; custom objects also need the crm.schemas.custom.read scope`, {
      code: 'not_found',
      retryable: false,
      applied: 'no',
      status: res.status,
    });
  }
  const missing = propertyProblems(body).find((p) => p.code === 'PROPERTY_DOESNT_EXIST');
  if (missing) {
    return new ConnectorError(
      `${where}: property "${missing.property}" does not exist on ${req.object ?? 'this object'} — fix: create the property in HubSpot, or remove it from the map and refresh the destination schema`,
      { code: 'schema_changed', retryable: false, applied: 'no', status: res.status, field: missing.property },
    );
  }
  const problem = propertyProblems(body)[0];
  return new ConnectorError(`${where}: HubSpot refused ${req.method} ${req.path}${object} (${res.status}: ${detail}) — fix: ${problem ? `correct the value mapped to "${problem.property}"` : 'check the mapped fields and values'}`, {
    code: res.status === 404 ? 'not_found' : 'bad_request',
    retryable: false,
    applied: 'no',
    status: res.status,
    ...(problem ? { field: problem.property } : {}),
  });
}
