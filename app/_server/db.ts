/**
 * Prisma client for the control plane (app and worker), over the pg driver
 * adapter so the query path needs no native engine. One client per process.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../prisma/generated/client';
import { env } from './env';

export type Db = PrismaClient;

export function createDb(databaseUrl: string): Db {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: 10 }) });
}

const globalForDb = globalThis as unknown as { backflowDb?: Db };

/** The process-wide client; survives Next.js dev hot reloads. */
export function db(): Db {
  globalForDb.backflowDb ??= createDb(env().databaseUrl);
  return globalForDb.backflowDb;
}
