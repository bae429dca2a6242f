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
  // The default 4MB makes PostgreSQL sort every row to sum an incremental
  // run's bucket digests (extract-sql.ts digestQuery) where a hash table of
  // the buckets would do: at 100k rows 175-182 ms sorted against 88-110 ms hashed
  // on PostgreSQL 15 (17 sorts either way, in the same time).
  minWorkMem: '16MB',
});
