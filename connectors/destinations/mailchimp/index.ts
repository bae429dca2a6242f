/**
 * Mailchimp destination: audience members, upserted by subscriber hash.
 *
 *   upsert / mirror  PUT    /lists/{id}/members/{hash}   (status_if_new: existing members keep their status)
 *   update           PATCH  /lists/{id}/members/{hash}   (404 → rejected: not a member)
 *   insert           POST   /lists/{id}/members          ("Member Exists" → accepted, left unchanged)
 *   removal (mirror) DELETE /lists/{id}/members/{hash}   (archive; 404 → already gone)
 *   tags             POST   /lists/{id}/members/{hash}/tags (mapped `tags` field + static tags, added as active)
 *
 * One request per member; Mailchimp allows 10 simultaneous connections per
 * account, so a batch uses at most CONCURRENCY of them. Before each batch the
 * audience's merge fields are read: a mapped merge field that no longer exists
 * stops the batch with a schema_changed error naming it.
 */
import pLimit from 'p-limit';
import { z } from 'zod';
import { defineConnector } from '../../sdk/define';
import { ConnectorError, isConnectorError, type FieldDescriptor, type FieldType, type JsonValue, type RowResult, type WriteContext, type WriteRow } from '../../sdk/types';
import { api, mergeFields, problemField, problemMessage, subscriberHash, ZProblem, type TMergeField } from './api';
import { isFatal, notSent, settle, type RowOutcome } from '../../sdk/outcomes';
import {
  MEMBER_FIELDS,
  ZMailchimpConfig,
  ZMailchimpCredentials,
  ZMailchimpOptions,
  type TMailchimpConfig,
  type TMailchimpCredentials,
  type TMailchimpOptions,
} from './schema';

/** Leaves room under Mailchimp's 10 simultaneous connections for other syncs of the account. */
const CONCURRENCY = 5;

type Ctx = WriteContext<TMailchimpCredentials, TMailchimpConfig, TMailchimpOptions>;

function mergeFieldType(type: string): FieldType {
  if (type === 'number') return 'number';
  if (type === 'date') return 'date';
  if (type === 'address') return 'json';
  return 'string';
}

/** Mailchimp birthday fields take MM/DD; accept ISO dates from the warehouse. */
function mergeValue(field: TMergeField | undefined, value: JsonValue): JsonValue {
  if (value === null) return '';
  if (field?.type === 'birthday' && typeof value === 'string') {
    const iso = /^\d{4}-(\d{2})-(\d{2})/.exec(value);
    if (iso) return `${iso[1]}/${iso[2]}`;
  }
  return value;
}

function emailOf(row: WriteRow): string | null {
  const v = row.match.field === MEMBER_FIELDS.email ? row.match.value : row.fields[MEMBER_FIELDS.email];
  return typeof v === 'string' && v.trim() ? v.trim() : null;
}

function memberBody(row: WriteRow, fields: Map<string, TMergeField>): Record<string, JsonValue> {
  const merge: Record<string, JsonValue> = {};
  const body: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(row.fields)) {
    if (name === MEMBER_FIELDS.email || name === MEMBER_FIELDS.tags) continue;
    if (name === MEMBER_FIELDS.language) body.language = value === null ? '' : String(value);
    else if (name === MEMBER_FIELDS.vip) body.vip = value === true;
    else merge[name] = mergeValue(fields.get(name), value);
  }
  if (Object.keys(merge).length) body.merge_fields = merge;
  return body;
}

function tagsOf(row: WriteRow, options: TMailchimpOptions): string[] {
  const mapped = row.fields[MEMBER_FIELDS.tags];
  const fromRow = Array.isArray(mapped) ? mapped.filter((t): t is string => typeof t === 'string' && t.trim() !== '').map((t) => t.trim()) : [];
  return [...new Set([...options.tags, ...fromRow])];
}

const rejected = (row: WriteRow, message: string, field?: string): RowResult => ({
  recordKey: row.recordKey,
  status: 'rejected',
  message,
  ...(field ? { field } : {}),
});

async function writeOne(row: WriteRow, ctx: Ctx, fields: Map<string, TMergeField>): Promise<RowResult> {
  const email = emailOf(row);
  if (!email) return rejected(row, `row has no email address — fix: map a column to ${MEMBER_FIELDS.email}`, MEMBER_FIELDS.email);
  const hash = subscriberHash(email);
  const list = encodeURIComponent(ctx.object);
  const member = `/lists/${list}/members/${hash}`;
  const accepted: RowResult = { recordKey: row.recordKey, status: 'accepted', externalId: hash };

  if (row.op === 'delete' || row.op === 'remove') {
    // Archive, Mailchimp's removal; a member that is already archived or absent is gone either way.
    await api(ctx, { method: 'DELETE', path: member, acceptStatus: [404] });
    return accepted;
  }
  if (row.op === 'update' || ctx.mode === 'update') {
    const res = await api(ctx, { method: 'PATCH', path: member, body: memberBody(row, fields), acceptStatus: [400, 404] });
    if (res.status === 404) return rejected(row, `${email} is not a member of audience ${ctx.object}; update mode only changes existing members`, MEMBER_FIELDS.email);
    if (res.status === 400) return rejected(row, problemMessage(res.body, 'rejected by Mailchimp'), problemField(res.body));
  } else if (row.op === 'create' || ctx.mode === 'insert') {
    const res = await api(ctx, {
      method: 'POST',
      path: `/lists/${list}/members`,
      body: { email_address: email, status: ctx.options.statusIfNew, ...memberBody(row, fields), tags: tagsOf(row, ctx.options) },
      acceptStatus: [400],
    });
    if (res.status === 400) {
      const problem = ZProblem.safeParse(res.body);
      // Insert-only: an existing member is left as it is, which is what was asked.
      if (problem.success && problem.data.title === 'Member Exists') return { ...accepted, message: 'already a member; left unchanged' };
      return rejected(row, problemMessage(res.body, 'rejected by Mailchimp'), problemField(res.body));
    }
    return accepted;
  } else {
    const res = await api(ctx, {
      method: 'PUT',
      path: member,
      body: { email_address: email, status_if_new: ctx.options.statusIfNew, ...memberBody(row, fields) },
      acceptStatus: [400],
    });
    if (res.status === 400) return rejected(row, problemMessage(res.body, 'rejected by Mailchimp'), problemField(res.body));
  }
  const tags = tagsOf(row, ctx.options);
  if (tags.length) {
    // PUT does not tag existing members; the tags endpoint does, idempotently.
    const res = await api(ctx, { method: 'POST', path: `${member}/tags`, body: { tags: tags.map((name) => ({ name, status: 'active' })) }, acceptStatus: [400, 404] });
    if (res.status !== 204 && res.status !== 200) return rejected(row, `member saved, tags refused: ${problemMessage(res.body, `status ${res.status}`)}`, MEMBER_FIELDS.tags);
  }
  return accepted;
}


/** Every mapped merge field must still exist in the audience. */
function checkSchema(rows: WriteRow[], fields: Map<string, TMergeField>, ctx: Ctx): void {
  const reserved = new Set<string>(Object.values(MEMBER_FIELDS));
  for (const row of rows) {
    if (row.op === 'delete' || row.op === 'remove') continue;
    for (const name of Object.keys(row.fields)) {
      if (reserved.has(name) || fields.has(name)) continue;
      throw new ConnectorError(
        `${ctx.connectionName}: audience ${ctx.object} has no merge field "${name}" (any more) — fix: re-create it in Mailchimp, or remove it from the map and publish again`,
        { code: 'schema_changed', retryable: false, applied: 'no', field: name, recordId: ctx.object },
      );
    }
  }
}

export const mailchimpDestination = defineConnector({
  slug: 'mailchimp',
  kind: 'destination',
  displayName: 'Mailchimp',
  icon: '🐵',
  description: 'Audience members with merge fields and tags; removals archive the member.',
  credentialsSchema: ZMailchimpCredentials,
  configSchema: ZMailchimpConfig,
  optionsSchema: ZMailchimpOptions,
  capabilities: {
    writes: 'records',
    modes: ['upsert', 'update', 'insert', 'mirror'],
    batchSize: 100,
    rateLimit: { requestsPerSecond: 10, burst: 10 },
    deletes: true,
    idempotencyKey: false,
    consistentLookup: true,
    setOnlyIfEmpty: false,
  },

  async test(ctx) {
    try {
      const res = await api(ctx, { method: 'GET', path: '/ping' });
      const health = z.object({ health_status: z.string() }).safeParse(res.body);
      return { ok: true, message: health.success ? `Mailchimp answered: ${health.data.health_status}` : 'Mailchimp answered' };
    } catch (err) {
      if (isConnectorError(err)) return { ok: false, message: err.message, code: err.code };
      throw err;
    }
  },

  async discover(ctx) {
    const res = await api(ctx, { method: 'GET', path: '/lists?count=1000&fields=lists.id,lists.name,total_items' });
    const lists = z.object({ lists: z.array(z.object({ id: z.string(), name: z.string() })) }).parse(res.body).lists;
    const objects = [];
    for (const list of lists) {
      const merge = await mergeFields(ctx, list.id);
      const fields: FieldDescriptor[] = [
        { name: MEMBER_FIELDS.email, label: 'Email address', type: 'string', required: true, unique: true },
        ...merge.map((f): FieldDescriptor => ({
          name: f.tag,
          label: f.name || f.tag,
          type: mergeFieldType(f.type),
          ...(f.required ? { required: true } : {}),
          description: f.type === 'birthday' ? 'Mailchimp birthday (MM/DD); ISO dates are converted' : `merge field (${f.type})`,
        })),
        { name: MEMBER_FIELDS.tags, label: 'Tags', type: 'string_array', description: 'added to the member as active tags' },
        { name: MEMBER_FIELDS.language, label: 'Language', type: 'string' },
        { name: MEMBER_FIELDS.vip, label: 'VIP', type: 'boolean' },
      ];
      objects.push({ name: list.id, label: list.name, description: `Mailchimp audience ${list.name}`, fields, upsert: true });
    }
    return { objects };
  },

  async write(rows, ctx) {
    const fields = new Map((await mergeFields(ctx, ctx.object)).map((f) => [f.tag, f]));
    checkSchema(rows, fields, ctx);
    const limit = pLimit(CONCURRENCY);
    let fatal: ConnectorError | null = null;
    const outcomes = await Promise.all(
      rows.map((row) =>
        limit(async (): Promise<RowOutcome> => {
          if (fatal) return { row, error: notSent(fatal) };
          try {
            return { row, result: await writeOne(row, ctx, fields) };
          } catch (err) {
            if (!isConnectorError(err)) throw err;
            if (isFatal(err)) fatal ??= err;
            return { row, error: err };
          }
        }),
      ),
    );
    return settle(outcomes);
  },

  async lookup(requests, ctx) {
    const limit = pLimit(CONCURRENCY);
    return Promise.all(
      requests.map((r) =>
        limit(async () => {
          const hash = subscriberHash(r.match.value);
          const res = await api(ctx, { method: 'GET', path: `/lists/${encodeURIComponent(ctx.object)}/members/${hash}?fields=id,status`, acceptStatus: [404] });
          const member = z.object({ id: z.string(), status: z.string() }).safeParse(res.body);
          const exists = res.status === 200 && member.success && member.data.status !== 'archived';
          return { recordKey: r.recordKey, externalId: exists ? hash : null };
        }),
      ),
    );
  },
});

