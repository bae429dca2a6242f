/**
 * Entry point of the Salesforce sandbox process (TEST INFRASTRUCTURE):
 * `tsx test/sandboxes/salesforce/server.ts --port 0` prints `LISTENING <port>`.
 *
 * This separate process is configured through its environment (spawnSandbox's
 * `env` option), parsed here with zod; the app's env module is not involved.
 */
import { z } from 'zod';
import { runSandboxProcess } from '../lib/server';
import { salesforceSandbox } from './sandbox';

const list = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

const ZSalesforceSandboxEnv = z.object({
  SALESFORCE_SANDBOX_ACCESS_TOKEN: z.string().default('00Dsandbox!static-session'),
  SALESFORCE_SANDBOX_CLIENT_ID: z.string().default('sandbox-consumer-key'),
  SALESFORCE_SANDBOX_CLIENT_SECRET: z.string().default('sandbox-consumer-secret'),
  SALESFORCE_SANDBOX_REFRESH_TOKENS: list.transform((l) => (l.length ? l : ['sf-refresh-valid'])),
  SALESFORCE_SANDBOX_SESSION_TTL_S: z.coerce.number().int().min(1).default(7200),
  SALESFORCE_SANDBOX_EXPIRED_TOKENS: list,
  SALESFORCE_SANDBOX_API_LIMIT: z.coerce.number().int().min(1).default(100_000),
  SALESFORCE_SANDBOX_API_WINDOW_MS: z.coerce.number().int().min(1).default(86_400_000),
  SALESFORCE_SANDBOX_BULK_DELAY_MS: z.coerce.number().int().min(0).default(200),
});

const e = ZSalesforceSandboxEnv.parse(process.env);

await runSandboxProcess(
  salesforceSandbox({
    staticToken: e.SALESFORCE_SANDBOX_ACCESS_TOKEN,
    oauth: {
      clientId: e.SALESFORCE_SANDBOX_CLIENT_ID,
      clientSecret: e.SALESFORCE_SANDBOX_CLIENT_SECRET,
      refreshTokens: e.SALESFORCE_SANDBOX_REFRESH_TOKENS,
      sessionTtlSeconds: e.SALESFORCE_SANDBOX_SESSION_TTL_S,
    },
    expiredTokens: e.SALESFORCE_SANDBOX_EXPIRED_TOKENS,
    apiLimit: { limit: e.SALESFORCE_SANDBOX_API_LIMIT, windowMs: e.SALESFORCE_SANDBOX_API_WINDOW_MS },
    bulkDelayMs: e.SALESFORCE_SANDBOX_BULK_DELAY_MS,
  }),
);
