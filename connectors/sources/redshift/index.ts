/**
 * Amazon Redshift source: the PostgreSQL source (../postgres/source.ts) with
 * Redshift's catalog (svv_columns, which also lists late-binding views and
 * Spectrum tables) and without SQL content hashing. See README.md.
 */
import { createPgSource } from '../postgres/source';
import { ZRedshiftConfig, ZRedshiftCredentials } from './schema';

export const redshiftSource = createPgSource({
  slug: 'redshift',
  product: 'Redshift',
  displayName: 'Amazon Redshift',
  icon: '🟥',
  description: 'An Amazon Redshift cluster or workgroup, read through a read-only transaction and a server-side cursor.',
  credentialsSchema: ZRedshiftCredentials,
  configSchema: ZRedshiftConfig,
  // Redshift lacks the functions the engine's SQL content hash uses; the engine hashes in Node.
  sqlHash: false,
  copyOut: false,
  minWorkMem: null,
});
