import { z } from 'zod';

export const ZBrazeCredentials = z.object({
  /** A REST API key with users.track, users.export.ids, users.delete and custom_attributes.get. */
  apiKey: z.string().trim().min(1, 'enter the REST API key — fix: Settings → APIs and Identifiers in Braze'),
});
export type TBrazeCredentials = z.infer<typeof ZBrazeCredentials>;

/** Braze instances and their REST endpoints (your dashboard URL tells which one is yours). */
export const BRAZE_INSTANCES = {
  'US-01': 'https://rest.iad-01.braze.com',
  'US-02': 'https://rest.iad-02.braze.com',
  'US-03': 'https://rest.iad-03.braze.com',
  'US-04': 'https://rest.iad-04.braze.com',
  'US-05': 'https://rest.iad-05.braze.com',
  'US-06': 'https://rest.iad-06.braze.com',
  'US-08': 'https://rest.iad-08.braze.com',
  'EU-01': 'https://rest.fra-01.braze.eu',
  'EU-02': 'https://rest.fra-02.braze.eu',
} as const;

const INSTANCE_IDS = Object.keys(BRAZE_INSTANCES) as [keyof typeof BRAZE_INSTANCES, ...(keyof typeof BRAZE_INSTANCES)[]];

export const ZBrazeConfig = z.object({
  instance: z.enum(INSTANCE_IDS).default('US-01'),
  /** Overrides the instance's REST endpoint (dedicated installs, proxies, sandboxes). */
  baseUrl: z.url().optional(),
  /** Per-request timeout; a timed-out write is an 'unknown' outcome. */
  timeoutMs: z.number().int().min(500).max(300_000).default(30_000),
});
export type TBrazeConfig = z.infer<typeof ZBrazeConfig>;

/** Nothing to choose per sync: the mode decides create-or-update vs update-only. */
export const ZBrazeOptions = z.object({});
export type TBrazeOptions = z.infer<typeof ZBrazeOptions>;

/** The identifier Backflow matches users by. */
export const EXTERNAL_ID = 'external_id';
