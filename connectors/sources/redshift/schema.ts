import { z } from 'zod';
import { ZPostgresConfig, ZPostgresCredentials } from '../postgres/schema';

/** Secrets only: the database user's password. */
export const ZRedshiftCredentials = ZPostgresCredentials;
export type TRedshiftCredentials = z.infer<typeof ZRedshiftCredentials>;

/** The PostgreSQL settings; Redshift clusters listen on 5439 and require TLS by default. */
export const ZRedshiftConfig = ZPostgresConfig.extend({
  port: z.number().int().min(1).max(65535).default(5439),
});
export type TRedshiftConfig = z.infer<typeof ZRedshiftConfig>;
