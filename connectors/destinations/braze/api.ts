/**
 * Braze REST plumbing: instance URL, Bearer auth, and Braze's rate-limit
 * headers. Braze sends X-RateLimit-Limit/-Remaining/-Reset (reset in UTC epoch
 * seconds) rather than Retry-After, so 429s are handled here: the account's
 * limiter is paused until the reset and a retryable ConnectorError is thrown.
 * When a success leaves no requests in the window, the limiter is paused too.
 */
import { z } from 'zod';
import { httpRequest, joinUrl, parseRetryAfter, type HttpRequest, type HttpResponse } from '../../sdk/http';
import { ConnectorError, type ConnectorContext } from '../../sdk/types';
import { BRAZE_INSTANCES, type TBrazeConfig, type TBrazeCredentials } from './schema';

export type BrazeContext = ConnectorContext<TBrazeCredentials, TBrazeConfig>;

export function baseUrl(ctx: BrazeContext): string {
  return ctx.config.baseUrl ?? BRAZE_INSTANCES[ctx.config.instance];
}

/** Milliseconds until the window resets, from Retry-After or X-RateLimit-Reset. */
export function waitFromHeaders(headers: Headers, now = Date.now()): number | undefined {
  const retryAfter = parseRetryAfter(headers.get('retry-after'), now);
  if (retryAfter !== undefined) return retryAfter;
  const reset = Number(headers.get('x-ratelimit-reset'));
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now) : undefined;
}

export async function api<T = unknown>(ctx: BrazeContext, req: Omit<HttpRequest, 'url' | 'headers'> & { path: string }): Promise<HttpResponse<T>> {
  const { path, acceptStatus = [], ...rest } = req;
  const res = await httpRequest<T>(ctx, {
    timeoutMs: ctx.config.timeoutMs,
    ...rest,
    url: joinUrl(baseUrl(ctx), path),
    headers: { authorization: `Bearer ${ctx.credentials.apiKey}` },
    acceptStatus: [...acceptStatus, 429],
  });
  const wait = waitFromHeaders(res.headers);
  if (res.status === 429 && !acceptStatus.includes(429)) {
    if (wait !== undefined) await ctx.limiter.pause(wait);
    throw new ConnectorError(`${ctx.connectionName}: ${rest.method} ${path}: rate limited (429), window resets in ${wait ?? '?'} ms`, {
      code: 'rate_limited',
      retryable: true,
      applied: 'no',
      status: 429,
      ...(wait !== undefined ? { retryAfterMs: wait } : {}),
    });
  }
  if (res.headers.get('x-ratelimit-remaining') === '0' && wait !== undefined) await ctx.limiter.pause(wait);
  return res;
}

/** Per-object ("minor") errors of /users/track. */
export const ZMinorError = z.object({ type: z.string(), input_array: z.string().optional(), index: z.number().int().optional() });
export const ZTrackResponse = z.object({
  message: z.string(),
  attributes_processed: z.number().optional(),
  errors: z.array(z.union([ZMinorError, z.string()])).optional(),
});
export type TTrackResponse = z.infer<typeof ZTrackResponse>;
