/**
 * Salesforce requests: session handling (one refresh-and-retry on 401),
 * REQUEST_LIMIT_EXCEEDED as a rate limit, and Salesforce's error arrays
 * ([{ message, errorCode, fields }]) turned into ConnectorErrors that name the
 * connection, the object and the field.
 */
import { z } from 'zod';
import { httpRequest, joinUrl, type HttpResponse } from '../../sdk/http';
import { ConnectorError } from '../../sdk/types';
import { currentCredentials, refreshSession, session, type SalesforceContext } from './auth';

export type SalesforceRequest = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Under /services/data/<version>, e.g. `/composite/sobjects`; or an absolute API path. */
  path: string;
  body?: unknown;
  contentType?: string;
  /** The sObject the request is about, for error messages. */
  object?: string;
};

export const ZSalesforceErrors = z.array(z.object({ message: z.string().default(''), errorCode: z.string().default(''), fields: z.array(z.string()).optional() }).loose());

/** Salesforce identifiers, checked before they go into a path or a SOQL statement. */
export function checkName(ctx: SalesforceContext, kind: 'object' | 'field', name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
    throw new ConnectorError(`Salesforce connection "${ctx.connectionName}": "${name}" is not a valid ${kind} API name — fix: use the API name shown by discover (e.g. Contact, Email, External_Id__c)`, {
      code: 'config',
      retryable: false,
      applied: 'no',
      ...(kind === 'field' ? { field: name } : {}),
    });
  }
  return name;
}

export function dataPath(ctx: SalesforceContext, path: string): string {
  return path.startsWith('/services/') ? path : `/services/data/${ctx.config.apiVersion}${path}`;
}

const ACCEPT = [400, 401, 403, 404, 409];

/** Sends one request; returns 2xx responses and throws a ConnectorError for everything else. */
export async function sfRequest<T = unknown>(ctx: SalesforceContext, req: SalesforceRequest): Promise<HttpResponse<T>> {
  let s = await session(ctx);
  for (let attempt = 0; ; attempt++) {
    const res = await httpRequest<T>(ctx, {
      method: req.method,
      url: joinUrl(s.instanceUrl, dataPath(ctx, req.path)),
      headers: { authorization: `Bearer ${s.accessToken}`, ...(req.contentType ? { 'content-type': req.contentType } : {}) },
      body: req.body,
      timeoutMs: ctx.config.timeoutMs,
      acceptStatus: ACCEPT,
    });
    if (res.status === 401 && attempt === 0 && currentCredentials(ctx).type === 'oauth') {
      s = await refreshSession(ctx, s.accessToken);
      continue;
    }
    if (res.status >= 200 && res.status < 300) return res;
    throw await errorFor(ctx, req, res);
  }
}

async function errorFor(ctx: SalesforceContext, req: SalesforceRequest, res: HttpResponse<unknown>): Promise<ConnectorError> {
  const parsed = ZSalesforceErrors.safeParse(res.body);
  const first = parsed.success ? parsed.data[0] : undefined;
  const code = first?.errorCode ?? '';
  const detail = first ? `${code}: ${first.message}` : res.text.slice(0, 300);
  const where = `Salesforce connection "${ctx.connectionName}"`;
  const object = req.object ?? 'the object';

  if (res.status === 403 && code === 'REQUEST_LIMIT_EXCEEDED') {
    const retryAfterMs = ctx.config.requestLimitBackoffMs;
    await ctx.limiter.pause(retryAfterMs);
    return new ConnectorError(`${where}: the org's API request allocation is used up (${detail}); holding requests for ${Math.round(retryAfterMs / 1000)} s`, {
      code: 'rate_limited',
      retryable: true,
      applied: 'no',
      status: 403,
      retryAfterMs,
    });
  }
  if (res.status === 401) {
    const fix = currentCredentials(ctx).type === 'oauth' ? 'reconnect Salesforce in the connection settings' : 'paste a new session token, or switch the connection to OAuth';
    return new ConnectorError(`${where}: Salesforce rejected the session (${detail}) — fix: ${fix}`, { code: 'auth', retryable: false, applied: 'no', status: 401 });
  }
  if (res.status === 403) {
    return new ConnectorError(`${where}: permission denied on ${object} (${detail}) — fix: give the integration user access to ${object} and its fields (profile or permission set)`, {
      code: 'permission',
      retryable: false,
      applied: 'no',
      status: 403,
    });
  }
  const noColumn = /No such column '([^']+)'/i.exec(first?.message ?? '');
  if (code === 'INVALID_FIELD' && noColumn) {
    return new ConnectorError(`${where}: field "${noColumn[1]}" does not exist on ${object} (or the integration user cannot see it) — fix: create the field or grant field-level access, or remove it from the map and refresh the destination schema`, {
      code: 'schema_changed',
      retryable: false,
      applied: 'no',
      status: res.status,
      field: noColumn[1]!,
    });
  }
  if (/external ID field does not exist/i.test(first?.message ?? '') || (code === 'INVALID_FIELD' && /External ID/i.test(first?.message ?? ''))) {
    const field = req.path.split('/').pop() ?? '';
    return new ConnectorError(`${where}: "${field}" cannot be used to upsert ${object} (${detail}) — fix: match on a field marked "External ID" in Salesforce`, {
      code: 'schema_changed',
      retryable: false,
      applied: 'no',
      status: res.status,
      field,
    });
  }
  if (code === 'INVALID_TYPE' || code === 'NOT_FOUND' || res.status === 404) {
    return new ConnectorError(`${where}: ${object} was not found (${detail}) — fix: pick an object listed by discover, or check the API version and the user's object permissions`, {
      code: 'not_found',
      retryable: false,
      applied: 'no',
      status: res.status,
    });
  }
  const field = first?.fields?.[0];
  return new ConnectorError(`${where}: Salesforce refused ${req.method} ${req.path} (${res.status} ${detail}) — fix: ${field ? `correct the value mapped to ${field}` : 'check the mapped fields and values'}`, {
    code: 'bad_request',
    retryable: false,
    applied: 'no',
    status: res.status,
    ...(field ? { field } : {}),
  });
}
