/**
 * PostgreSQL source: streams one read-only SELECT through a server-side cursor.
 * The implementation is shared with Redshift (./source.ts); see README.md.
 */
import { ZPostgresConfig, ZPostgresCredentials } from './schema';
import { createPgSource } from './source';

export const postgresSource = createPgSource({
  slug: 'postgres',
  product: 'PostgreSQL',
  displayName: 'PostgreSQL',
  icon: '🐘',
  description: 'A PostgreSQL database, read through a read-only transaction and a server-side cursor.',
  credentialsSchema: ZPostgresCredentials,
  configSchema: ZPostgresConfig,
  sqlHash: true,
  copyOut: true,
});
