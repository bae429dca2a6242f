import { z } from 'zod';

export const ZSlackCredentials = z.object({
  /** Bot token (xoxb-…), or the current access token when token rotation is on (xoxe.xoxb-…). */
  token: z.string().trim().min(1, 'enter the bot token — fix: your Slack app → OAuth & Permissions → Bot User OAuth Token'),
  /** Token rotation: refresh token and app credentials, so an expired token is renewed (oauth.v2.access). */
  refreshToken: z.string().trim().min(1).optional(),
  clientId: z.string().trim().min(1).optional(),
  clientSecret: z.string().trim().min(1).optional(),
  /** When the rotating access token expires (epoch ms). */
  expiresAt: z.number().int().optional(),
});
export type TSlackCredentials = z.infer<typeof ZSlackCredentials>;

export const ZSlackConfig = z.object({
  /** Overrides https://slack.com/api (Enterprise Grid proxies, sandboxes). */
  baseUrl: z.url().default('https://slack.com/api'),
  /** Per-request timeout; a timed-out write is an 'unknown' outcome. */
  timeoutMs: z.number().int().min(500).max(300_000).default(30_000),
});
export type TSlackConfig = z.infer<typeof ZSlackConfig>;

export const ZSlackOptions = z.object({
  /** One message per row, or one digest message per batch of rows. */
  format: z.enum(['message_per_row', 'digest']).default('message_per_row'),
  /**
   * Message text with {{field}} placeholders (Slack mrkdwn). Without it each
   * message lists the row's fields, or uses the mapped `text` field as is.
   */
  template: z.string().max(4000).optional(),
  /** First line of a digest; {{count}} is the number of rows. */
  digestTitle: z.string().max(500).default('*{{count}} rows* from Backflow'),
  /** Rows listed in a digest; the rest are counted ("…and 12 more"). */
  digestMaxRows: z.number().int().min(1).max(100).default(20),
  unfurlLinks: z.boolean().default(false),
});
export type TSlackOptions = z.infer<typeof ZSlackOptions>;

/** The mapped field used as the whole message when there is no template. */
export const TEXT_FIELD = 'text';
