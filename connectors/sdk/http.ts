/**
 * HTTP for connectors: every request takes a token from ctx.limiter, has a
 * timeout, and failures become ConnectorErrors that say whether the request may
 * have been applied:
 *
 *   failed before the request was sent (DNS, refused)   → network, applied 'no'
 *   sent, then timed out or the connection dropped       → applied 'unknown'
 *   429                                                  → rate_limited, retryable, Retry-After honoured
 *   5xx                                                  → server, retryable, applied 'unknown' (503 'no')
 *   401 / 403                                            → auth / permission, not retryable
 *   other 4xx                                            → bad_request, not retryable, applied 'no'
 */
import { ConnectorError, type RateLimiter } from './types';

export type HttpRequest = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Serialised as JSON unless it is already a string. */
  body?: unknown;
  timeoutMs?: number;
  /** Statuses the caller handles itself (e.g. 207 multi-status, 404 on lookup). */
  acceptStatus?: number[];
};

export type HttpResponse<T = unknown> = { status: number; headers: Headers; body: T; text: string };

export type HttpContext = { limiter: RateLimiter; signal: AbortSignal; connectionName: string };

const DEFAULT_TIMEOUT_MS = 30_000;

/** Parses Retry-After (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function causeCode(err: unknown): string {
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return '';
}

/** Errors raised before any byte of the request left this machine. */
const NOT_SENT = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_INVALID_URL']);

export async function httpRequest<T = unknown>(ctx: HttpContext, req: HttpRequest): Promise<HttpResponse<T>> {
  await ctx.limiter.take(1, ctx.signal);
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([ctx.signal, timeout]);
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  let body: string | undefined;
  if (req.body !== undefined) {
    body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    headers['content-type'] ??= 'application/json';
  }
  const where = `${ctx.connectionName}: ${req.method} ${new URL(req.url).pathname}`;
  let res: Response;
  let text: string;
  try {
    res = await fetch(req.url, { method: req.method, headers, body, signal });
    text = await res.text();
  } catch (err) {
    if (ctx.signal.aborted) throw new ConnectorError(`${where} cancelled`, { code: 'timeout', retryable: true, applied: 'unknown', cause: err });
    if (timeout.aborted) {
      throw new ConnectorError(`${where} timed out after ${timeoutMs} ms`, { code: 'timeout', retryable: true, applied: 'unknown', cause: err });
    }
    const code = causeCode(err);
    const sent = !NOT_SENT.has(code);
    throw new ConnectorError(`${where} failed: ${code || (err instanceof Error ? err.message : String(err))}`, {
      code: 'network',
      retryable: true,
      applied: sent ? 'unknown' : 'no',
      cause: err,
    });
  }
  let parsed: unknown = text;
  if (text && (res.headers.get('content-type') ?? '').includes('json')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (res.ok || req.acceptStatus?.includes(res.status)) return { status: res.status, headers: res.headers, body: parsed as T, text };

  const detail = apiMessage(parsed) ?? text.slice(0, 300);
  const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
  if (res.status === 429) {
    if (retryAfterMs !== undefined) await ctx.limiter.pause(retryAfterMs);
    throw new ConnectorError(`${where}: rate limited (429)${detail ? `: ${detail}` : ''}`, {
      code: 'rate_limited',
      retryable: true,
      applied: 'no',
      status: 429,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (res.status >= 500) {
    throw new ConnectorError(`${where}: server error ${res.status}${detail ? `: ${detail}` : ''}`, {
      code: 'server',
      retryable: true,
      applied: res.status === 503 ? 'no' : 'unknown',
      status: res.status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (res.status === 401) {
    throw new ConnectorError(`${where}: credentials rejected (401)${detail ? `: ${detail}` : ''} — fix: update the connection's credentials`, {
      code: 'auth',
      retryable: false,
      applied: 'no',
      status: 401,
    });
  }
  if (res.status === 403) {
    throw new ConnectorError(`${where}: permission denied (403)${detail ? `: ${detail}` : ''} — fix: grant the missing scope or permission`, {
      code: 'permission',
      retryable: false,
      applied: 'no',
      status: 403,
    });
  }
  throw new ConnectorError(`${where}: ${res.status}${detail ? `: ${detail}` : ''}`, {
    code: res.status === 404 ? 'not_found' : 'bad_request',
    retryable: false,
    applied: 'no',
    status: res.status,
  });
}

/** The human message most JSON APIs put in `message`, `error` or `error_description`. */
function apiMessage(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const o = body as Record<string, unknown>;
  for (const key of ['message', 'error_description', 'error', 'detail', 'title']) {
    const v = o[key];
    if (typeof v === 'string' && v) return v;
    if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') return (v as { message: string }).message;
  }
  return undefined;
}

/** Joins a base URL (which may carry a path prefix) and a path. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
