/**
 * Mailchimp Marketing API v3 plumbing: base URL from the key's data centre,
 * Basic auth, the problem+json error body, and the subscriber hash.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { httpRequest, joinUrl, type HttpRequest, type HttpResponse } from '../../sdk/http';
import { ConnectorError, type ConnectorContext } from '../../sdk/types';
import { MEMBER_FIELDS, type TMailchimpConfig, type TMailchimpCredentials } from './schema';

export type MailchimpContext = ConnectorContext<TMailchimpCredentials, TMailchimpConfig>;

/** Members are addressed by the MD5 of the lower-cased address. */
export function subscriberHash(email: string): string {
  return createHash('md5').update(email.trim().toLowerCase()).digest('hex');
}

export function baseUrl(ctx: MailchimpContext): string {
  if (ctx.config.baseUrl) return ctx.config.baseUrl;
  const dc = ctx.credentials.apiKey.slice(ctx.credentials.apiKey.lastIndexOf('-') + 1);
  return `https://${dc}.api.mailchimp.com/3.0`;
}

export function api<T = unknown>(ctx: MailchimpContext, req: Omit<HttpRequest, 'url' | 'headers'> & { path: string }): Promise<HttpResponse<T>> {
  const { path, ...rest } = req;
  return httpRequest<T>(ctx, {
    timeoutMs: ctx.config.timeoutMs,
    ...rest,
    url: joinUrl(baseUrl(ctx), path),
    // Mailchimp accepts any user name; the key is the password.
    headers: { authorization: `Basic ${Buffer.from(`backflow:${ctx.credentials.apiKey}`).toString('base64')}` },
  });
}

/** application/problem+json, as documented on https://mailchimp.com/developer/marketing/docs/errors/ */
export const ZProblem = z.object({
  title: z.string().default(''),
  detail: z.string().default(''),
  status: z.number().optional(),
  errors: z.array(z.object({ field: z.string().default(''), message: z.string().default('') })).optional(),
});

/** The destination field a problem is about: "merge_fields.FNAME" → FNAME. */
export function problemField(body: unknown): string | undefined {
  const p = ZProblem.safeParse(body);
  if (!p.success) return undefined;
  const field = p.data.errors?.find((e) => e.field)?.field;
  if (field) return field.replace(/^merge_fields\./, '');
  if (/email/i.test(p.data.detail) || /email/i.test(p.data.title)) return MEMBER_FIELDS.email;
  return undefined;
}

export function problemMessage(body: unknown, fallback: string): string {
  const p = ZProblem.safeParse(body);
  if (!p.success) return fallback;
  const details = (p.data.errors ?? []).map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).filter(Boolean);
  return [p.data.title, p.data.detail, ...details].filter(Boolean).join(' — ') || fallback;
}

export const ZMergeField = z.object({
  merge_id: z.number(),
  tag: z.string(),
  name: z.string().default(''),
  type: z.string(),
  required: z.boolean().default(false),
});
export type TMergeField = z.infer<typeof ZMergeField>;

/** An audience's merge fields; a clear not_found error when the audience is gone. */
export async function mergeFields(ctx: MailchimpContext, listId: string): Promise<TMergeField[]> {
  const res = await api(ctx, { method: 'GET', path: `/lists/${encodeURIComponent(listId)}/merge-fields?count=1000`, acceptStatus: [404] });
  if (res.status === 404) {
    throw new ConnectorError(`${ctx.connectionName}: Mailchimp audience ${listId} does not exist (any more) — fix: pick another audience in the destination node`, {
      code: 'not_found',
      retryable: false,
      applied: 'no',
      recordId: listId,
      status: 404,
    });
  }
  return z.object({ merge_fields: z.array(ZMergeField) }).parse(res.body).merge_fields;
}
