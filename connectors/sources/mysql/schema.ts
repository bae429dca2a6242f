import { z } from 'zod';

/** Secrets only: the password of `user`. */
export const ZMySqlCredentials = z
  .object({
    password: z.string().default(''),
  })
  .strict();
export type TMySqlCredentials = z.infer<typeof ZMySqlCredentials>;

/** disable: plain TCP; require: TLS without certificate check; verify-full: TLS, certificate and host name checked. */
export const MYSQL_SSL_MODES = ['disable', 'require', 'verify-full'] as const;

export const ZMySqlConfig = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(3306),
  /** The default database; discover() lists it (and `schemas`). */
  database: z.string().min(1),
  user: z.string().min(1),
  ssl: z.enum(MYSQL_SSL_MODES).default('require'),
  /** PEM certificate(s) of the CA that signed the server certificate (verify-full). */
  sslCa: z.string().optional(),
  /** More databases for discover() to list, besides `database`. */
  schemas: z.array(z.string().min(1)).default([]),
  /** Statement timeout for read() when the caller does not pass one. */
  statementTimeoutSeconds: z.number().int().min(1).max(24 * 3600).default(300),
  connectTimeoutSeconds: z.number().int().min(1).max(300).default(10),
});
export type TMySqlConfig = z.infer<typeof ZMySqlConfig>;
