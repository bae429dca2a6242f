import { z } from 'zod';

/** Kept apart from the config: the only secret is the password (encrypted at rest). */
export const ZPostgresDestCredentials = z
  .object({
    password: z.string().default(''),
  })
  .strict();
export type TPostgresDestCredentials = z.infer<typeof ZPostgresDestCredentials>;

const identifier = z
  .string()
  .min(1)
  .max(63, 'PostgreSQL identifiers are at most 63 bytes')
  .refine((s) => !s.includes('\0'), 'must not contain a NUL character');

export const ZPostgresDestConfig = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(5432),
    database: z.string().min(1),
    user: z.string().min(1),
    /** disable: plain TCP; require: TLS without certificate checks; verify-full: TLS with checks. */
    ssl: z.enum(['disable', 'require', 'verify-full']).default('disable'),
    /** The schema whose tables are the destination's objects. */
    schema: identifier.default('public'),
    /** Server-side statement timeout for every statement Backflow runs. */
    statementTimeoutMs: z.number().int().min(100).max(3_600_000).default(60_000),
  })
  .strict();
export type TPostgresDestConfig = z.infer<typeof ZPostgresDestConfig>;

/**
 * Per-sync options. The table itself is the destination node's object (one of
 * the tables discover() lists), so changing it changes the sync's fingerprint
 * and resets its state, as it must.
 */
export const ZPostgresDestOptions = z
  .object({
    /** Create the table when it does not exist (column types inferred from the first batch). */
    createTable: z.boolean().default(false),
  })
  .strict();
export type TPostgresDestOptions = z.infer<typeof ZPostgresDestOptions>;
