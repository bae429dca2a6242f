/**
 * Entry point of the HubSpot sandbox process (TEST INFRASTRUCTURE):
 * `tsx test/sandboxes/hubspot/server.ts --port 0` prints `LISTENING <port>`.
 *
 * This separate process is configured through its environment (spawnSandbox's
 * `env` option), parsed here with zod; the app's env module is not involved.
 */
import { z } from 'zod';
import { runSandboxProcess } from '../lib/server';
import { hubspotSandbox } from './sandbox';

const list = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

const ZHubSpotSandboxEnv = z.object({
  HUBSPOT_SANDBOX_PRIVATE_TOKEN: z.string().default('pat-sandbox-valid'),
  HUBSPOT_SANDBOX_CLIENT_ID: z.string().default('sandbox-client-id'),
  HUBSPOT_SANDBOX_CLIENT_SECRET: z.string().default('sandbox-client-secret'),
  HUBSPOT_SANDBOX_REFRESH_TOKENS: list.pipe(z.array(z.string())).transform((l) => (l.length ? l : ['hs-refresh-valid'])),
  HUBSPOT_SANDBOX_TOKEN_TTL_S: z.coerce.number().int().min(1).default(1800),
  HUBSPOT_SANDBOX_EXPIRED_TOKENS: list,
  HUBSPOT_SANDBOX_RATE_LIMIT: z.coerce.number().int().min(1).default(100),
  HUBSPOT_SANDBOX_RATE_WINDOW_MS: z.coerce.number().int().min(1).default(10_000),
  HUBSPOT_SANDBOX_SEARCH_PER_SECOND: z.coerce.number().int().min(1).default(5),
  HUBSPOT_SANDBOX_SEARCH_LAG_MS: z.coerce.number().int().min(0).default(0),
});

const e = ZHubSpotSandboxEnv.parse(process.env);

await runSandboxProcess(
  hubspotSandbox({
    privateAppToken: e.HUBSPOT_SANDBOX_PRIVATE_TOKEN,
    oauth: {
      clientId: e.HUBSPOT_SANDBOX_CLIENT_ID,
      clientSecret: e.HUBSPOT_SANDBOX_CLIENT_SECRET,
      refreshTokens: e.HUBSPOT_SANDBOX_REFRESH_TOKENS,
      tokenTtlSeconds: e.HUBSPOT_SANDBOX_TOKEN_TTL_S,
    },
    expiredTokens: e.HUBSPOT_SANDBOX_EXPIRED_TOKENS,
    rateLimit: { limit: e.HUBSPOT_SANDBOX_RATE_LIMIT, windowMs: e.HUBSPOT_SANDBOX_RATE_WINDOW_MS },
    searchPerSecond: e.HUBSPOT_SANDBOX_SEARCH_PER_SECOND,
    searchLagMs: e.HUBSPOT_SANDBOX_SEARCH_LAG_MS,
  }),
);
