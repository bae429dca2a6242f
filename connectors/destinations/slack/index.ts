/**
 * Slack destination: posts rows to a channel with chat.postMessage, one
 * message per row or one digest message per batch.
 *
 * Modes: `insert` posts a message for each new row; `upsert` posts for new AND
 * changed rows ("changed rows too"). It is a mode rather than an option because
 * the engine's diff decides which rows reach write().
 *
 * Slack messages are side effects with no idempotency key: chat.postMessage
 * posts again when called again. So this is an `events` destination: the engine
 * never re-sends a row whose key is committed, and it does not retry a row
 * whose outcome is unknown (a timeout after Slack may have posted). Within a
 * batch, messages go out one by one in row order (Slack allows about one
 * message per second per channel); the first request-level failure stops the
 * batch, rows already posted are reported accepted, the row in doubt gets no
 * result ("unknown"), and the rest are marked retryable (never sent).
 */
import { z } from 'zod';
import { defineConnector } from '../../sdk/define';
import { ConnectorError, isConnectorError, type ObjectDescriptor, type RowResult, type WriteContext } from '../../sdk/types';
import { slack } from './api';
import { notSent, settle, type RowOutcome } from '../../sdk/outcomes';
import { TEXT_FIELD, ZSlackConfig, ZSlackCredentials, ZSlackOptions, type TSlackConfig, type TSlackCredentials, type TSlackOptions } from './schema';
import { digestText, rowText } from './template';

type Ctx = WriteContext<TSlackCredentials, TSlackConfig, TSlackOptions>;

const ZPosted = z.looseObject({ ts: z.string(), channel: z.string().optional() });
const ZChannels = z.looseObject({
  channels: z.array(z.looseObject({ id: z.string(), name: z.string(), is_private: z.boolean().optional(), is_member: z.boolean().optional(), is_archived: z.boolean().optional() })),
  response_metadata: z.looseObject({ next_cursor: z.string().optional() }).optional(),
});

async function post(ctx: Ctx, text: string): Promise<string> {
  const res = await slack(ctx, 'chat.postMessage', { channel: ctx.object, text, unfurl_links: ctx.options.unfurlLinks, unfurl_media: ctx.options.unfurlLinks });
  return ZPosted.parse(res).ts;
}

/** slackError marks errors about one message's content with the text field. */
const isMessageError = (err: ConnectorError) => err.code === 'bad_request' && err.field === TEXT_FIELD;

export const slackDestination = defineConnector({
  slug: 'slack',
  kind: 'destination',
  displayName: 'Slack',
  icon: '💬',
  description: 'Posts a message per new (or changed) row, or a digest per batch, to a channel.',
  credentialsSchema: ZSlackCredentials,
  configSchema: ZSlackConfig,
  optionsSchema: ZSlackOptions,
  capabilities: {
    writes: 'events',
    modes: ['insert', 'upsert'],
    batchSize: 50,
    // chat.postMessage: about one message per second per channel, short bursts tolerated.
    rateLimit: { requestsPerSecond: 1, burst: 5 },
    deletes: false,
    idempotencyKey: false,
    consistentLookup: false,
    setOnlyIfEmpty: false,
  },

  async test(ctx) {
    try {
      const who = z.looseObject({ team: z.string().optional(), user: z.string().optional() }).parse(await slack(ctx, 'auth.test', {}));
      return { ok: true, message: `connected to ${who.team ?? 'the workspace'} as ${who.user ?? 'the app'}` };
    } catch (err) {
      if (isConnectorError(err)) return { ok: false, message: err.message, code: err.code };
      throw err;
    }
  },

  async discover(ctx) {
    const objects: ObjectDescriptor[] = [];
    let cursor = '';
    for (let page = 0; page < 50; page++) {
      const res = ZChannels.parse(
        await slack(ctx, 'conversations.list', { types: 'public_channel,private_channel', exclude_archived: true, limit: 200, ...(cursor ? { cursor } : {}) }, 'GET'),
      );
      for (const c of res.channels) {
        objects.push({
          name: c.id,
          label: `#${c.name}`,
          description: `${c.is_private ? 'private' : 'public'} channel${c.is_member === false ? ' — invite the app before syncing' : ''}`,
          fields: [
            {
              name: TEXT_FIELD,
              label: 'Message text',
              type: 'string',
              description: 'posted as is when the destination has no template; any other mapped field is a {{placeholder}} for the template',
            },
          ],
          modes: ['insert', 'upsert'],
        });
      }
      cursor = res.response_metadata?.next_cursor ?? '';
      if (!cursor) break;
    }
    return { objects };
  },

  async write(rows, ctx) {
    if (ctx.options.format === 'digest') {
      if (!rows.length) return [];
      // One message: it either posted for all rows or for none, so a failure fails the batch.
      const ts = await post(ctx, digestText(rows.map((r) => r.fields), ctx.options));
      return rows.map((r): RowResult => ({ recordKey: r.recordKey, status: 'accepted', externalId: ts }));
    }
    const outcomes: RowOutcome[] = [];
    let stop: ConnectorError | null = null;
    for (const row of rows) {
      if (stop) {
        outcomes.push({ row, error: notSent(stop) });
        continue;
      }
      try {
        outcomes.push({ row, result: { recordKey: row.recordKey, status: 'accepted', externalId: await post(ctx, rowText(row.fields, ctx.options)) } });
      } catch (err) {
        if (!isConnectorError(err)) throw err;
        if (isMessageError(err)) {
          outcomes.push({ row, result: { recordKey: row.recordKey, status: 'rejected', message: err.message, field: TEXT_FIELD } });
          continue;
        }
        // Order matters for messages, and a failure now likely hits the next one too.
        stop = err;
        outcomes.push({ row, error: err });
      }
    }
    return settle(outcomes);
  },
});
