/**
 * Meta (Facebook) Custom Audiences destination: membership of customer-file
 * audiences. Adds go to POST /{audience_id}/users, removals to DELETE on the
 * same edge, with the multi-key payload {schema: [keys], data: [[values]]} —
 * normalised and SHA-256 hashed here (normalize.ts) — at most 10,000 users per
 * request, each request carrying a `session` (id, sequence, last flag).
 *
 * Meta matches users asynchronously and only reports counts (num_received,
 * num_invalid_entries), never which rows matched, so every row of an accepted
 * request is accepted. Rows without any usable identifier after normalisation
 * are rejected here, before anything is sent, with the field to blame.
 * Membership writes are idempotent, so replays are harmless.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineConnector } from '../../sdk/define';
import { ConnectorError, isConnectorError, type FieldDescriptor, type ObjectDescriptor, type WriteContext, type WriteRow } from '../../sdk/types';
import { adAccount, graph } from './api';
import { META_KEYS, isMetaKey, payloadValue, type MetaKey } from './normalize';
import { isFatal, notSent, settle, type RowOutcome } from '../../sdk/outcomes';
import {
  ZMetaAudiencesConfig,
  ZMetaAudiencesCredentials,
  ZMetaAudiencesOptions,
  type TMetaAudiencesConfig,
  type TMetaAudiencesCredentials,
  type TMetaAudiencesOptions,
} from './schema';

/** Users per add or remove request (documented maximum). */
export const MAX_USERS_PER_REQUEST = 10_000;

type Ctx = WriteContext<TMetaAudiencesCredentials, TMetaAudiencesConfig, TMetaAudiencesOptions>;

const FIELDS: FieldDescriptor[] = META_KEYS.map((k) => ({
  name: k.key,
  label: k.label,
  type: 'string',
  ...(k.identity ? { unique: true } : {}),
  description: k.hashed ? 'normalised and SHA-256 hashed before sending' : 'sent as is (not hashed)',
}));

const ZAudiences = z.object({
  data: z.array(z.object({ id: z.string(), name: z.string(), subtype: z.string().optional(), approximate_count_lower_bound: z.number().optional() })),
  paging: z.object({ cursors: z.object({ after: z.string().optional() }).optional(), next: z.string().optional() }).optional(),
});

const ZEditResponse = z.object({
  audience_id: z.string().optional(),
  session_id: z.union([z.string(), z.number()]).optional(),
  num_received: z.number().optional(),
  num_invalid_entries: z.number().optional(),
});

const isRemoval = (row: WriteRow) => row.op === 'delete' || row.op === 'remove';

/** A stable session id for a batch: the same rows replayed use the same session. */
function sessionId(rows: WriteRow[], op: 'add' | 'remove'): number {
  const digest = createHash('sha256').update(`${op}:${rows.map((r) => r.idempotencyKey).join(',')}`).digest('hex');
  return Number.parseInt(digest.slice(0, 13), 16) || 1;
}

/** The schema keys the rows use, in Meta's documented order. */
function schemaOf(rows: WriteRow[]): MetaKey[] {
  const used = new Set(rows.flatMap((r) => Object.keys(r.fields)));
  return META_KEYS.map((k) => k.key).filter((k) => used.has(k));
}

type Prepared = { row: WriteRow; values: string[] };

/** Hashes one row; a rejection when none of its identifiers survives normalisation. */
function prepare(row: WriteRow, schema: MetaKey[], ctx: Ctx): Prepared | RowOutcome {
  const values = schema.map((key) => payloadValue(key, row.fields[key], ctx.options));
  const identities = schema.filter((key, i) => META_KEYS.find((k) => k.key === key)!.identity && values[i] !== '');
  if (identities.length > 0) return { row, values };
  const tried = schema.filter((key) => META_KEYS.find((k) => k.key === key)!.identity && row.fields[key] !== undefined && row.fields[key] !== null);
  const field = tried[0] ?? (isMetaKey(row.match.field) ? row.match.field : schema[0]);
  const shown = tried.map((k) => `${k} ${JSON.stringify(row.fields[k])}`).join(', ');
  return {
    row,
    result: {
      recordKey: row.recordKey,
      status: 'rejected',
      message: shown
        ? `no usable identifier after Meta's normalisation (${shown}) — fix: clean the source value`
        : `no identifier to match on — fix: map EMAIL, PHONE, MADID or EXTERN_ID`,
      ...(field ? { field } : {}),
    },
  };
}

async function send(op: 'add' | 'remove', prepared: Prepared[], schema: MetaKey[], ctx: Ctx): Promise<RowOutcome[]> {
  const outcomes: RowOutcome[] = [];
  const id = sessionId(
    prepared.map((p) => p.row),
    op,
  );
  const batches: Prepared[][] = [];
  for (let i = 0; i < prepared.length; i += MAX_USERS_PER_REQUEST) batches.push(prepared.slice(i, i + MAX_USERS_PER_REQUEST));
  let fatal: ConnectorError | null = null;
  for (const [i, batch] of batches.entries()) {
    if (fatal) {
      for (const p of batch) outcomes.push({ row: p.row, error: notSent(fatal) });
      continue;
    }
    try {
      const body = ZEditResponse.parse(
        await graph(ctx, {
          method: op === 'add' ? 'POST' : 'DELETE',
          path: `${encodeURIComponent(ctx.object)}/users`,
          body: {
            payload: { schema, data: batch.map((p) => p.values) },
            session: { session_id: id, batch_seq: i + 1, last_batch_flag: i === batches.length - 1, estimated_num_total: prepared.length },
          },
        }),
      );
      if (body.num_invalid_entries) {
        ctx.log.warn(`${ctx.connectionName}: Meta counted ${body.num_invalid_entries} of ${body.num_received ?? batch.length} entries as invalid`, { audience: ctx.object });
      }
      for (const p of batch) outcomes.push({ row: p.row, result: { recordKey: p.row.recordKey, status: 'accepted' } });
    } catch (err) {
      if (!isConnectorError(err)) throw err;
      if (isFatal(err) || err.code === 'not_found') fatal = err;
      for (const p of batch) outcomes.push({ row: p.row, error: err });
    }
  }
  return outcomes;
}

export const facebookAudiencesDestination = defineConnector({
  slug: 'facebook-audiences',
  kind: 'destination',
  displayName: 'Meta Custom Audiences',
  icon: '🎯',
  description: 'Adds and removes people in customer-file custom audiences; PII is normalised and SHA-256 hashed before it leaves.',
  credentialsSchema: ZMetaAudiencesCredentials,
  configSchema: ZMetaAudiencesConfig,
  optionsSchema: ZMetaAudiencesOptions,
  capabilities: {
    writes: 'members',
    modes: ['add_remove'],
    batchSize: MAX_USERS_PER_REQUEST,
    // Meta publishes no fixed number for custom-audience edits (it depends on the access tier); stay modest.
    rateLimit: { requestsPerSecond: 2, burst: 5 },
    deletes: true,
    idempotencyKey: false,
    consistentLookup: false,
    setOnlyIfEmpty: false,
  },

  async test(ctx) {
    try {
      const account = z.object({ id: z.string(), name: z.string().optional() }).parse(await graph(ctx, { method: 'GET', path: adAccount(ctx), query: { fields: 'id,name,account_status' } }));
      return { ok: true, message: `ad account ${account.id}${account.name ? ` (${account.name})` : ''} is reachable` };
    } catch (err) {
      if (isConnectorError(err)) return { ok: false, message: err.message, code: err.code };
      throw err;
    }
  },

  async discover(ctx) {
    const objects: ObjectDescriptor[] = [];
    let after: string | undefined;
    for (let page = 0; page < 100; page++) {
      const res = ZAudiences.parse(
        await graph(ctx, {
          method: 'GET',
          path: `${adAccount(ctx)}/customaudiences`,
          query: { fields: 'id,name,subtype,approximate_count_lower_bound', limit: '100', ...(after ? { after } : {}) },
        }),
      );
      for (const a of res.data) {
        // Only customer-file (CUSTOM) audiences accept user lists; lookalikes and website audiences do not.
        if (a.subtype && a.subtype !== 'CUSTOM') continue;
        objects.push({
          name: a.id,
          label: a.name,
          description: `customer-file audience${a.approximate_count_lower_bound !== undefined ? `, about ${a.approximate_count_lower_bound} people` : ''}`,
          fields: FIELDS,
          modes: ['add_remove'],
        });
      }
      after = res.paging?.next ? res.paging.cursors?.after : undefined;
      if (!after) break;
    }
    return { objects };
  },

  async write(rows, ctx) {
    const unknown = rows.flatMap((r) => Object.keys(r.fields)).find((name) => !isMetaKey(name));
    if (unknown) {
      throw new ConnectorError(
        `${ctx.connectionName}: "${unknown}" is not a Meta customer-file key — fix: map it to one of ${META_KEYS.map((k) => k.key).join(', ')}`,
        { code: 'config', retryable: false, applied: 'no', field: unknown },
      );
    }
    const outcomes: RowOutcome[] = [];
    for (const op of ['add', 'remove'] as const) {
      const group = rows.filter((r) => isRemoval(r) === (op === 'remove'));
      if (!group.length) continue;
      const schema = schemaOf(group);
      const prepared: Prepared[] = [];
      for (const row of group) {
        const p = prepare(row, schema, ctx);
        if ('values' in p) prepared.push(p);
        else outcomes.push(p);
      }
      if (prepared.length) outcomes.push(...(await send(op, prepared, schema, ctx)));
    }
    const order = new Map(rows.map((r, i) => [r.recordKey, i]));
    outcomes.sort((a, b) => (order.get(a.row.recordKey) ?? 0) - (order.get(b.row.recordKey) ?? 0));
    return settle(outcomes);
  },
});

