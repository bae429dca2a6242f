/**
 * Webhook destination: POSTs (or PUTs) rows as JSON to one endpoint, a batch
 * or a row per request, rendered from a body template (./template.ts).
 *
 * Every request carries
 *   Idempotency-Key       the row's key (row mode), or sha256 of the batch's
 *                         row keys (batch mode; each row keeps its own key in the body)
 *   X-Backflow-Signature  t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>
 *                         when a signing secret is set
 * so a receiver can authenticate the sender and drop replays.
 *
 * A 2xx accepts every row of the request, unless the body holds a per-row
 * result list (see README: {"results": [{"idempotencyKey"|index, "status", …}]}).
 * A 400/422 refuses rows: per row when the body lists results (or when the
 * request carried one row), otherwise the request is split in halves until
 * the refused rows are alone. Auth, missing endpoint, 429, 5xx and transport
 * failures fail the request as the HTTP helper classifies them; in row mode
 * the first row is sent alone first, so such a failure costs one request.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { httpRequest } from '../../sdk/http';
import { defineConnector } from '../../sdk/define';
import { ConnectorError, isConnectorError, type JsonValue, type RowResult, type WriteContext, type WriteRow } from '../../sdk/types';
import {
  DEFAULT_BATCH_BODY,
  DEFAULT_ROW_BODY,
  DEFAULT_ROW_DATA,
  ZWebhookConfig,
  ZWebhookCredentials,
  ZWebhookOptions,
  type TWebhookConfig,
  type TWebhookCredentials,
  type TWebhookOptions,
} from './schema';
import { compileTemplate, renderTemplate, type CompiledTemplate, type TemplateScope } from './template';

export const SIGNATURE_HEADER = 'X-Backflow-Signature';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
const BATCH_SIZE = 500;
const ROW_CONCURRENCY = 4;

type Ctx = WriteContext<TWebhookCredentials, TWebhookConfig, TWebhookOptions>;

/** `t=<unix>,v1=<hex>`: the HMAC covers the timestamp, so an old signature cannot be replayed with a new time. */
export function signBody(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** The receiver's side of signBody (used by tests, and documented in the README for receivers). */
export function verifySignature(secret: string, body: string, header: string, opts: { toleranceSeconds?: number; now?: number } = {}): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1) return false;
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (opts.toleranceSeconds ?? 300)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function batchKey(rows: WriteRow[]): string {
  return createHash('sha256').update(rows.map((r) => r.idempotencyKey).join('\n')).digest('hex');
}

function compiled(source: string, scope: TemplateScope, fields: string[] | undefined, what: string, connectionName: string): CompiledTemplate {
  const r = compileTemplate(source, scope, fields);
  if (r.ok) return r.template;
  throw new ConnectorError(`${connectionName}: ${what} is invalid: ${r.issues.map((i) => `${i.path}: ${i.message}`).join('; ')} — fix: correct the template in the sync options`, {
    code: 'config',
    retryable: false,
    applied: 'no',
    field: what,
  });
}

function rowValue(row: WriteRow, object: string, name: string): JsonValue | undefined {
  switch (name) {
    case '$fields':
      return row.fields;
    case '$op':
      return row.op;
    case '$recordKey':
      return row.recordKey;
    case '$idempotencyKey':
      return row.idempotencyKey;
    case '$matchField':
      return row.match.field;
    case '$matchValue':
      return row.match.value;
    case '$externalId':
      return row.externalId ?? null;
    case '$object':
      return object;
    default:
      return row.fields[name];
  }
}

// ───────────────────────────── per-row results in a response ─────────────────────────────

const ZRowOutcome = z.object({
  idempotencyKey: z.string().optional(),
  index: z.number().int().min(0).optional(),
  status: z.enum(['accepted', 'rejected', 'retry']),
  field: z.string().optional(),
  message: z.string().optional(),
  id: z.union([z.string(), z.number()]).optional(),
});
const ZResultsBody = z.object({ results: z.array(ZRowOutcome) });
const ZSingleBody = ZRowOutcome.omit({ idempotencyKey: true, index: true });

const ZRefusal = z.object({ message: z.string().optional(), error: z.string().optional(), field: z.string().optional() });

function refusedRow(r: WriteRow, ctx: Ctx, status: number, body: unknown): RowResult {
  const parsed = ZRefusal.safeParse(body);
  const why = parsed.success ? (parsed.data.message ?? parsed.data.error) : typeof body === 'string' ? body.slice(0, 300) : undefined;
  const field = parsed.success ? parsed.data.field : undefined;
  return {
    recordKey: r.recordKey,
    status: 'rejected',
    message: `${ctx.connectionName}: the receiver refused row ${r.recordKey} (${status})${field ? ` — field ${field}` : ''}: ${why ?? 'no reason given'}`,
    ...(field ? { field } : {}),
  };
}

/**
 * Per-row results of a response. On a 2xx, rows the body does not mention
 * are accepted; on a 400/422 that lists results, rows it does not mention
 * were not processed and are retried.
 */
function outcomesFromBody(body: unknown, rows: WriteRow[], ctx: Ctx, unlisted: 'accepted' | 'retryable'): RowResult[] | null {
  const toResult = (r: WriteRow, o: z.infer<typeof ZSingleBody>): RowResult => {
    if (o.status === 'accepted') return { recordKey: r.recordKey, status: 'accepted', ...(o.id !== undefined ? { externalId: String(o.id) } : {}) };
    const message = `${ctx.connectionName}: the receiver ${o.status === 'retry' ? 'asked to retry' : 'rejected'} row ${r.recordKey}${o.field ? ` — field ${o.field}` : ''}: ${o.message ?? 'no reason given'}`;
    return { recordKey: r.recordKey, status: o.status === 'retry' ? 'retryable' : 'rejected', message, ...(o.field ? { field: o.field } : {}) };
  };
  const fallback = (r: WriteRow): RowResult =>
    unlisted === 'accepted' ? { recordKey: r.recordKey, status: 'accepted' } : { recordKey: r.recordKey, status: 'retryable', message: `${ctx.connectionName}: the receiver did not report on row ${r.recordKey}` };
  const list = ZResultsBody.safeParse(body);
  if (list.success) {
    const byKey = new Map(list.data.results.filter((o) => o.idempotencyKey).map((o) => [o.idempotencyKey!, o]));
    const byIndex = new Map(list.data.results.filter((o) => o.index !== undefined).map((o) => [o.index!, o]));
    return rows.map((r, i) => {
      const o = byKey.get(r.idempotencyKey) ?? byIndex.get(i);
      return o ? toResult(r, o) : fallback(r);
    });
  }
  if (rows.length === 1 && unlisted === 'accepted') {
    const single = ZSingleBody.safeParse(body);
    if (single.success) return [toResult(rows[0]!, single.data)];
  }
  return unlisted === 'accepted' ? rows.map(fallback) : null;
}

// ───────────────────────────── sending ─────────────────────────────

function headersFor(ctx: Pick<Ctx, 'credentials' | 'config'>, body: string, idempotencyKey: string | null): Record<string, string> {
  const h: Record<string, string> = { ...ctx.config.headers, 'content-type': 'application/json', 'user-agent': 'Backflow-Webhook/1' };
  if (idempotencyKey) h[IDEMPOTENCY_HEADER] = idempotencyKey;
  const c = ctx.credentials;
  if (c.signingSecret) h[SIGNATURE_HEADER] = signBody(c.signingSecret, body, Math.floor(Date.now() / 1000));
  if (c.bearerToken) h.authorization = `Bearer ${c.bearerToken}`;
  else if (c.basicUsername) h.authorization = `Basic ${Buffer.from(`${c.basicUsername}:${c.basicPassword ?? ''}`).toString('base64')}`;
  return h;
}

/** Statuses a receiver uses to refuse rows (with a reason, maybe per row) rather than the request. */
const REFUSED = [400, 422];

/** Sends one request: per-row results, or the refusal when the receiver refused it (400/422) without saying which rows. */
async function send(ctx: Ctx, body: string, idempotencyKey: string, rows: WriteRow[]): Promise<{ results: RowResult[] } | { refused: number; body: unknown }> {
  const res = await httpRequest(ctx, {
    method: ctx.config.method,
    url: ctx.config.url,
    headers: headersFor(ctx, body, idempotencyKey),
    body,
    timeoutMs: ctx.config.timeoutMs,
    acceptStatus: REFUSED,
  });
  if (!REFUSED.includes(res.status)) return { results: outcomesFromBody(res.body, rows, ctx, 'accepted')! };
  const listed = outcomesFromBody(res.body, rows, ctx, 'retryable');
  return listed ? { results: listed } : { refused: res.status, body: res.body };
}

/** Failures that concern the endpoint or the account, not the rows: stop sending. */
function stopsEverything(err: ConnectorError): boolean {
  return ['auth', 'permission', 'not_found', 'config', 'unsupported'].includes(err.code);
}

/** Row-specific 4xx: 413 and the like (401/403/404/408/409/410/429 are classified otherwise). */
function rowFault(err: ConnectorError): boolean {
  return err.code === 'bad_request';
}

type Outcome = { result: RowResult } | { error: ConnectorError; attempted: boolean };

export const webhookDestination = defineConnector({
  slug: 'webhook',
  kind: 'destination',
  displayName: 'Webhook',
  icon: '🪝',
  description: 'POST rows as JSON to any HTTPS endpoint, per batch or per row, HMAC-signed, with Idempotency-Key headers.',
  credentialsSchema: ZWebhookCredentials,
  configSchema: ZWebhookConfig,
  optionsSchema: ZWebhookOptions,
  capabilities: {
    writes: 'events',
    modes: ['insert', 'upsert', 'mirror'],
    batchSize: BATCH_SIZE,
    rateLimit: { requestsPerSecond: 25, burst: 50 },
    deletes: true,
    idempotencyKey: true,
    consistentLookup: false,
    setOnlyIfEmpty: false,
  },

  async test(ctx) {
    const body = JSON.stringify({ type: 'backflow.test', sentAt: new Date().toISOString(), rows: [] });
    try {
      const res = await httpRequest(ctx, {
        method: ctx.config.method,
        url: ctx.config.url,
        headers: { ...headersFor(ctx, body, null), 'x-backflow-test': 'true' },
        body,
        timeoutMs: Math.min(ctx.config.timeoutMs, 15_000),
      });
      return { ok: true, message: `${ctx.config.url} answered ${res.status} to a signed test event` };
    } catch (err) {
      if (isConnectorError(err)) return { ok: false, code: err.code, message: err.message };
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  },

  async discover() {
    // A webhook has no schema of its own: the map defines the payload's fields.
    return {
      objects: [
        {
          name: 'rows',
          label: 'Rows as JSON',
          description: 'Any mapped fields; they appear under "data" (or where the body template places them).',
          fields: [],
          upsert: true,
        },
      ],
    };
  },

  async write(rows, ctx) {
    if (rows.length === 0) return [];
    const o = ctx.options;
    const outcomes: (Outcome | undefined)[] = new Array(rows.length);
    // A holder, not a `let`: the senders below set it from closures.
    const stop: { error: ConnectorError | null } = { error: null };

    const settle = (indexes: number[], outcome: (i: number) => Outcome) => {
      for (const i of indexes) outcomes[i] = outcome(i);
    };

    if (o.mode === 'row') {
      const body = compiled(o.bodyTemplate ?? DEFAULT_ROW_BODY, 'row', o.fields, 'bodyTemplate', ctx.connectionName);
      const sendRow = async (i: number): Promise<void> => {
        const row = rows[i]!;
        const text = JSON.stringify(renderTemplate(body, (n) => rowValue(row, ctx.object, n)));
        try {
          const sent = await send(ctx, text, row.idempotencyKey, [row]);
          outcomes[i] = { result: 'results' in sent ? sent.results[0]! : refusedRow(row, ctx, sent.refused, sent.body) };
        } catch (err) {
          const e = asConnectorError(err, ctx);
          if (rowFault(e)) outcomes[i] = { result: { recordKey: row.recordKey, status: 'rejected', message: e.message } };
          else {
            outcomes[i] = { error: e, attempted: true };
            if (stopsEverything(e) || i === 0) stop.error = e;
          }
        }
      };
      // The first row goes alone, as a probe: a dead endpoint, a wrong token or
      // a 5xx then costs one request and fails the batch as a whole.
      await sendRow(0);
      let next = 1;
      const worker = async () => {
        while (!stop.error && next < rows.length) await sendRow(next++);
      };
      await Promise.all(Array.from({ length: Math.min(ROW_CONCURRENCY, rows.length - 1) }, worker));
    } else {
      const body = compiled(o.bodyTemplate ?? DEFAULT_BATCH_BODY, 'batch', undefined, 'bodyTemplate', ctx.connectionName);
      const data = compiled(o.rowTemplate ?? DEFAULT_ROW_DATA, 'row', o.fields, 'rowTemplate', ctx.connectionName);
      const sendChunk = async (indexes: number[]): Promise<void> => {
        if (stop.error) return;
        const chunk = indexes.map((i) => rows[i]!);
        const key = batchKey(chunk);
        const envelopes: JsonValue[] = chunk.map((row) => ({
          idempotencyKey: row.idempotencyKey,
          recordKey: row.recordKey,
          op: row.op,
          match: { field: row.match.field, value: row.match.value },
          data: renderTemplate(data, (n) => rowValue(row, ctx.object, n)),
        }));
        const batchValues: Record<string, JsonValue> = { rows: envelopes, $object: ctx.object, $count: chunk.length, $batchKey: key };
        const text = JSON.stringify(renderTemplate(body, (n) => batchValues[n]));
        try {
          const sent = await send(ctx, text, key, chunk);
          if ('results' in sent) {
            indexes.forEach((rowIndex, j) => (outcomes[rowIndex] = { result: sent.results[j]! }));
          } else if (chunk.length > 1) {
            // Refused without naming rows (and so not applied): halve it until the bad rows are alone.
            const mid = Math.ceil(indexes.length / 2);
            await sendChunk(indexes.slice(0, mid));
            await sendChunk(indexes.slice(mid));
          } else {
            outcomes[indexes[0]!] = { result: refusedRow(chunk[0]!, ctx, sent.refused, sent.body) };
          }
        } catch (err) {
          const e = asConnectorError(err, ctx);
          if (rowFault(e) && chunk.length > 1) {
            // Not applied ('no'): halve the request until the rows the receiver refuses are alone.
            const mid = Math.ceil(indexes.length / 2);
            await sendChunk(indexes.slice(0, mid));
            await sendChunk(indexes.slice(mid));
          } else if (rowFault(e)) {
            outcomes[indexes[0]!] = { result: { recordKey: chunk[0]!.recordKey, status: 'rejected', message: e.message } };
          } else {
            settle(indexes, () => ({ error: e, attempted: true }));
            if (stopsEverything(e)) stop.error = e;
          }
        }
      };
      for (let start = 0; start < rows.length; start += o.maxBatch) {
        await sendChunk(Array.from({ length: Math.min(o.maxBatch, rows.length - start) }, (_, k) => start + k));
      }
    }

    // Rows never sent (after a stop) share its error; nothing was applied for them.
    const firstError = stop.error;
    for (let i = 0; i < rows.length; i++) if (!outcomes[i] && firstError) outcomes[i] = { error: firstError, attempted: false };

    const errors = outcomes.filter((x): x is { error: ConnectorError; attempted: boolean } => !!x && 'error' in x);
    if (errors.length === rows.length) {
      // Nothing got through: one whole-batch failure, 'unknown' if any request may have taken effect.
      const first = errors[0]!.error;
      const applied = errors.some((x) => x.attempted && x.error.applied === 'unknown') ? 'unknown' : 'no';
      if (errors.every((x) => x.error === first) && first.applied === applied) throw first;
      throw new ConnectorError(first.message, {
        code: first.code,
        retryable: first.retryable,
        applied,
        ...(first.status !== undefined ? { status: first.status } : {}),
        ...(first.retryAfterMs !== undefined ? { retryAfterMs: first.retryAfterMs } : {}),
        cause: first,
      });
    }
    return rows.map((row, i): RowResult => {
      const x = outcomes[i];
      if (!x) return { recordKey: row.recordKey, status: 'retryable', message: `${ctx.connectionName}: not sent` };
      if ('result' in x) return x.result;
      return {
        recordKey: row.recordKey,
        status: x.error.retryable ? 'retryable' : 'rejected',
        message: x.error.message,
        ...(x.error.retryAfterMs !== undefined ? { retryAfterMs: x.error.retryAfterMs } : {}),
      };
    });
  },
});

function asConnectorError(err: unknown, ctx: Ctx): ConnectorError {
  if (isConnectorError(err)) {
    // 408 (the receiver timed out) and 409 (the same key is still in flight) are worth a retry;
    // 410 means the endpoint is gone for good.
    if (err.status === 408 || err.status === 409) {
      return new ConnectorError(err.message, { code: err.status === 408 ? 'timeout' : 'server', retryable: true, applied: 'unknown', status: err.status, cause: err });
    }
    if (err.status === 410) {
      return new ConnectorError(`${err.message} — fix: the endpoint is gone; update the connection's URL`, { code: 'not_found', retryable: false, applied: 'no', status: 410, cause: err });
    }
    return err;
  }
  return new ConnectorError(`${ctx.connectionName}: ${err instanceof Error ? err.message : String(err)}`, {
    code: 'network',
    retryable: true,
    applied: 'unknown',
    cause: err,
  });
}
