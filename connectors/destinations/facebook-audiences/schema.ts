import { z } from 'zod';

export const ZMetaAudiencesCredentials = z.object({
  /** A system-user token with ads_management on the ad account (system-user tokens do not expire). */
  accessToken: z.string().trim().min(1, 'enter an access token — fix: Business Settings → System users → Generate new token (ads_management)'),
  /** When set, every call carries appsecret_proof (required by apps with "Require App Secret"). */
  appSecret: z.string().trim().min(1).optional(),
});
export type TMetaAudiencesCredentials = z.infer<typeof ZMetaAudiencesCredentials>;

export const ZMetaAudiencesConfig = z.object({
  /** The ad account that owns the audiences, with or without the act_ prefix. */
  adAccountId: z.string().trim().regex(/^(act_)?\d+$/, 'an ad account id is a number, optionally prefixed with act_'),
  apiVersion: z.string().regex(/^v\d+\.\d+$/, 'like v25.0').default('v25.0'),
  /** Overrides https://graph.facebook.com (proxies, sandboxes). */
  baseUrl: z.url().default('https://graph.facebook.com'),
  /** Per-request timeout; a timed-out write is an 'unknown' outcome. */
  timeoutMs: z.number().int().min(500).max(300_000).default(30_000),
});
export type TMetaAudiencesConfig = z.infer<typeof ZMetaAudiencesConfig>;

export const ZMetaAudiencesOptions = z.object({
  /** Calling code added to phone numbers written without one ("+" or "00"), e.g. "1" or "44". */
  phoneCountryCode: z.string().regex(/^\d{1,3}$/, 'digits only, like 1 or 44').optional(),
});
export type TMetaAudiencesOptions = z.infer<typeof ZMetaAudiencesOptions>;
