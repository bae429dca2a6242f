import { z } from 'zod';

/**
 * Secrets. OAuth 2.0 (a connected app; the refresh token is long-lived and the
 * connector rotates access tokens), or a session access token obtained
 * elsewhere (for example from the Salesforce CLI) that Backflow cannot renew.
 */
export const ZSalesforceCredentials = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('oauth'),
    clientId: z.string().min(1, "paste the connected app's consumer key"),
    clientSecret: z.string().min(1, "paste the connected app's consumer secret"),
    refreshToken: z.string().min(1),
    /** Filled in by the connector after a refresh. */
    accessToken: z.string().min(1).optional(),
    /** The org's instance URL, from the token response. */
    instanceUrl: z.url().optional(),
  }),
  z.object({
    type: z.literal('access_token'),
    accessToken: z.string().min(1),
    instanceUrl: z.url().optional(),
  }),
]);
export type TSalesforceCredentials = z.infer<typeof ZSalesforceCredentials>;

export const ZSalesforceConfig = z.object({
  /** Instance URL override (My Domain, proxy, sandbox). Defaults to the instance_url OAuth returns. */
  baseUrl: z.url().optional(),
  /** Host of the OAuth token endpoint: https://test.salesforce.com for Salesforce sandbox orgs. */
  loginUrl: z.url().default('https://login.salesforce.com'),
  apiVersion: z
    .string()
    .regex(/^v\d{2,3}\.0$/, 'use the form v62.0')
    .default('v62.0'),
  /** Per-request timeout. */
  timeoutMs: z.number().int().min(100).max(300_000).default(60_000),
  /**
   * How long to hold the account's requests after REQUEST_LIMIT_EXCEEDED. The
   * allocation is a rolling 24 h window and Salesforce sends no Retry-After.
   */
  requestLimitBackoffMs: z.number().int().min(0).default(5 * 60_000),
  /** Objects offered by discover(); defaults to common standard objects plus every custom object. */
  objects: z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/)).optional(),
});
export type TSalesforceConfig = z.infer<typeof ZSalesforceConfig>;

export const ZSalesforceOptions = z.object({
  /** auto: Bulk API 2.0 for upserts of at least bulkThreshold rows in one batch, sObject Collections below. */
  bulk: z.enum(['auto', 'always', 'never']).default('auto'),
  bulkThreshold: z.number().int().min(1).default(2_000),
  bulkPollIntervalMs: z.number().int().min(50).default(2_000),
  /** Give up waiting for a Bulk API job after this long (its outcome is then unknown). */
  bulkTimeoutMs: z.number().int().min(1_000).default(30 * 60_000),
});
export type TSalesforceOptions = z.infer<typeof ZSalesforceOptions>;
