import { z } from 'zod';
import { compileTemplate, type TemplateScope } from './template';

/** Headers Backflow sets itself; configuring them would break signing, auth or idempotency. */
const RESERVED_HEADERS = ['authorization', 'content-type', 'content-length', 'host', 'idempotency-key', 'x-backflow-signature'];

export const ZWebhookCredentials = z
  .object({
    /** HMAC-SHA256 key for the X-Backflow-Signature header. */
    signingSecret: z.string().min(16, 'use at least 16 characters').optional(),
    /** Sent as `Authorization: Bearer <token>`. */
    bearerToken: z.string().min(1).optional(),
    /** Sent as HTTP Basic authentication (with basicPassword). */
    basicUsername: z.string().min(1).optional(),
    basicPassword: z.string().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.bearerToken && c.basicUsername) {
      ctx.addIssue({ code: 'custom', path: ['basicUsername'], message: 'use either a bearer token or basic authentication, not both' });
    }
    if (c.basicPassword && !c.basicUsername) {
      ctx.addIssue({ code: 'custom', path: ['basicUsername'], message: 'a basic password needs a username' });
    }
  });
export type TWebhookCredentials = z.infer<typeof ZWebhookCredentials>;

export const ZWebhookConfig = z
  .object({
    /** The endpoint (it is the connector's baseUrl: point it at a proxy or a test receiver freely). */
    url: z.url({ protocol: /^https?$/, error: 'enter an http:// or https:// URL' }),
    method: z.enum(['POST', 'PUT']).default('POST'),
    /** Extra, non-secret headers. Secrets belong in the credentials. */
    headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a valid header name'), z.string()).default({}),
    timeoutMs: z.number().int().min(1000).max(120_000).default(30_000),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const name of Object.keys(c.headers)) {
      if (RESERVED_HEADERS.includes(name.toLowerCase())) {
        ctx.addIssue({
          code: 'custom',
          path: ['headers', name],
          message: `Backflow sets the ${name} header itself — fix: remove it${name.toLowerCase() === 'authorization' ? '; put a token in the credentials (bearer token or basic)' : ''}`,
        });
      }
    }
  });
export type TWebhookConfig = z.infer<typeof ZWebhookConfig>;

export const DEFAULT_ROW_BODY = JSON.stringify({
  op: '{{$op}}',
  recordKey: '{{$recordKey}}',
  idempotencyKey: '{{$idempotencyKey}}',
  object: '{{$object}}',
  match: { field: '{{$matchField}}', value: '{{$matchValue}}' },
  data: '{{$fields}}',
});
export const DEFAULT_BATCH_BODY = JSON.stringify({ object: '{{$object}}', batchKey: '{{$batchKey}}', rows: '{{rows}}' });
export const DEFAULT_ROW_DATA = JSON.stringify('{{$fields}}');

export const ZWebhookOptions = z
  .object({
    /** batch: one request per chunk of rows; row: one request per row. */
    mode: z.enum(['batch', 'row']).default('batch'),
    /** Row mode: each request's body. Batch mode: the request body around "{{rows}}". */
    bodyTemplate: z.string().min(1).optional(),
    /** Batch mode only: the `data` of each row in "{{rows}}" (default: all mapped fields). */
    rowTemplate: z.string().min(1).optional(),
    /** The mapped field names; when given, placeholders naming any other field are errors. */
    fields: z.array(z.string().min(1)).optional(),
    /** Rows per request in batch mode. */
    maxBatch: z.number().int().min(1).max(500).default(100),
  })
  .strict()
  .superRefine((o, ctx) => {
    const check = (key: 'bodyTemplate' | 'rowTemplate', source: string, scope: TemplateScope) => {
      const r = compileTemplate(source, scope, o.fields);
      if (!r.ok) for (const i of r.issues) ctx.addIssue({ code: 'custom', path: [key], message: `${key} at ${i.path}: ${i.message}` });
    };
    if (o.mode === 'row') {
      if (o.rowTemplate) ctx.addIssue({ code: 'custom', path: ['rowTemplate'], message: 'rowTemplate applies to batch mode only — fix: put the row body in bodyTemplate' });
      check('bodyTemplate', o.bodyTemplate ?? DEFAULT_ROW_BODY, 'row');
    } else {
      check('bodyTemplate', o.bodyTemplate ?? DEFAULT_BATCH_BODY, 'batch');
      check('rowTemplate', o.rowTemplate ?? DEFAULT_ROW_DATA, 'row');
    }
  });
export type TWebhookOptions = z.infer<typeof ZWebhookOptions>;
