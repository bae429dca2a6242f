import { z } from 'zod';

/** Mailchimp API keys end with the account's data centre: "0123…cdef-us21". */
export const ZMailchimpCredentials = z.object({
  apiKey: z
    .string()
    .trim()
    .regex(/^[0-9A-Za-z]+-[a-z]+\d+$/, 'a Mailchimp API key ends with its data centre, like "…-us21" — fix: copy the whole key from Account → Extras → API keys'),
});
export type TMailchimpCredentials = z.infer<typeof ZMailchimpCredentials>;

export const ZMailchimpConfig = z.object({
  /** Overrides https://<dc>.api.mailchimp.com/3.0 (proxy, sandbox). Include the /3.0 prefix. */
  baseUrl: z.url().optional(),
  /** Per-request timeout; a timed-out write is an 'unknown' outcome. */
  timeoutMs: z.number().int().min(500).max(300_000).default(30_000),
});
export type TMailchimpConfig = z.infer<typeof ZMailchimpConfig>;

export const MAILCHIMP_STATUSES = ['subscribed', 'pending', 'unsubscribed', 'transactional'] as const;

export const ZMailchimpOptions = z.object({
  /**
   * Status given to members Backflow adds. Existing members keep theirs, so a
   * sync never re-subscribes someone who unsubscribed.
   */
  statusIfNew: z.enum(MAILCHIMP_STATUSES).default('subscribed'),
  /** Tags added to every synced member, on top of the mapped `tags` field. */
  tags: z.array(z.string().trim().min(1).max(100)).default([]),
});
export type TMailchimpOptions = z.infer<typeof ZMailchimpOptions>;

/** Member fields that are not merge fields. */
export const MEMBER_FIELDS = {
  email: 'email_address',
  tags: 'tags',
  language: 'language',
  vip: 'vip',
} as const;
