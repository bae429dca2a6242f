import { z } from 'zod';

/** Secrets only: the password (empty for trust/peer auth). */
export const ZPostgresCredentials = z
  .object({
    password: z.string().default(''),
  })
  .strict();
export type TPostgresCredentials = z.infer<typeof ZPostgresCredentials>;

/**
 * disable:     plain TCP (local servers, private networks).
 * require:     TLS, certificate not checked (what libpq's sslmode=require does).
 * verify-full: TLS, certificate checked against `sslCa` (or the system CAs) and the host name.
 */
export const SSL_MODES = ['disable', 'require', 'verify-full'] as const;

export const ZPostgresConfig = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(5432),
  database: z.string().min(1),
  user: z.string().min(1),
  ssl: z.enum(SSL_MODES).default('require'),
  /** PEM certificate(s) of the CA that signed the server certificate (verify-full). Public, so config. */
  sslCa: z.string().optional(),
  /** Schemas listed by discover(); all schemas the user can see when empty. */
  schemas: z.array(z.string().min(1)).default([]),
  /** Statement timeout for read() when the caller does not pass one. */
  statementTimeoutSeconds: z.number().int().min(1).max(24 * 3600).default(300),
  connectTimeoutSeconds: z.number().int().min(1).max(300).default(10),
});
export type TPostgresConfig = z.infer<typeof ZPostgresConfig>;

