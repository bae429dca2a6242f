import { z } from 'zod';

/**
 * Secrets only: a password, or a key pair's private key (PKCS#8 PEM) with its
 * passphrase when encrypted. Exactly one of password / privateKey.
 */
export const ZSnowflakeCredentials = z
  .object({
    password: z.string().min(1).optional(),
    privateKey: z
      .string()
      .regex(/-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/, 'paste the PKCS#8 PEM key ("-----BEGIN PRIVATE KEY-----" or "-----BEGIN ENCRYPTED PRIVATE KEY-----")')
      .optional(),
    privateKeyPassphrase: z.string().min(1).optional(),
  })
  .strict()
  .refine((c) => (c.password === undefined) !== (c.privateKey === undefined), {
    message: 'give either a password or a private key (key-pair authentication), not both',
    path: ['password'],
  });
export type TSnowflakeCredentials = z.infer<typeof ZSnowflakeCredentials>;

export const ZSnowflakeConfig = z.object({
  /** Account identifier: "orgname-accountname" or a locator such as "xy12345.eu-west-1". */
  account: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use the account identifier, e.g. myorg-myaccount'),
  user: z.string().min(1),
  warehouse: z.string().min(1),
  database: z.string().min(1),
  schema: z.string().min(1).optional(),
  /** Give Backflow a role that can only read (see README). */
  role: z.string().min(1).optional(),
  /**
   * Overrides https://<account>.snowflakecomputing.com — for PrivateLink, a
   * proxy, or the test sandbox (http://127.0.0.1:<port>).
   */
  accessUrl: z.url().optional(),
  /** Schemas listed by discover(); every schema of `database` when empty. */
  schemas: z.array(z.string().min(1)).default([]),
  /** STATEMENT_TIMEOUT_IN_SECONDS for read() when the caller does not pass one. */
  statementTimeoutSeconds: z.number().int().min(1).max(7 * 24 * 3600).default(300),
  loginTimeoutSeconds: z.number().int().min(1).max(300).default(60),
});
export type TSnowflakeConfig = z.infer<typeof ZSnowflakeConfig>;
