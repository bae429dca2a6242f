import { z } from 'zod';

/**
 * Secrets. A private app's access token, or OAuth 2.0 (a public app installed in
 * the account): the refresh token is long-lived, access tokens expire after
 * `expires_in` seconds and are rotated by the connector (see auth.ts).
 */
export const ZHubSpotCredentials = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('private_app'),
    accessToken: z.string().min(1, 'paste the private app access token'),
  }),
  z.object({
    type: z.literal('oauth'),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    refreshToken: z.string().min(1),
    /** Filled in by the connector after a refresh. */
    accessToken: z.string().min(1).optional(),
    /** Epoch milliseconds when `accessToken` expires. */
    expiresAt: z.number().int().optional(),
  }),
]);
export type THubSpotCredentials = z.infer<typeof ZHubSpotCredentials>;

export const ZHubSpotConfig = z.object({
  /** API host; override for a proxy or a sandbox. */
  baseUrl: z.url().default('https://api.hubapi.com'),
  /** Host of the OAuth token endpoint (/oauth/v1/token); defaults to baseUrl. */
  oauthBaseUrl: z.url().optional(),
  /** Per-request timeout. */
  timeoutMs: z.number().int().min(100).max(300_000).default(30_000),
});
export type THubSpotConfig = z.infer<typeof ZHubSpotConfig>;

/** Nothing to choose per sync yet: the object and match key come from the map node. */
export const ZHubSpotOptions = z.object({});
export type THubSpotOptions = z.infer<typeof ZHubSpotOptions>;
