import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { hashPassword } from '../../app/_server/auth';
import { createDb, type Db } from '../../app/_server/db';
import { createPgPool } from '../../app/_server/pg';
import type pg from 'pg';
import { createCaller } from '../../app/_server/root';
import type { TRole } from '../../app/_server/roles';
import type { Services } from '../../app/_server/trpc';

let shared: Db | undefined;
let sharedPool: pg.Pool | undefined;

/** Raw pg pool on the run's test database (engine staging SQL). */
export function testPool(): pg.Pool {
  sharedPool ??= createPgPool(inject('databaseUrl'));
  return sharedPool;
}

/** Prisma client on the run's test database. */
export function testDb(): Db {
  shared ??= createDb(inject('databaseUrl'));
  return shared;
}

export type TestUser = { id: string; email: string; password: string };

export async function createUser(db: Db, opts: { email?: string; password?: string } = {}): Promise<TestUser> {
  const email = opts.email ?? `user-${randomUUID()}@test.local`;
  const password = opts.password ?? `pw-${randomUUID()}`;
  const user = await db.user.create({ data: { email, passwordHash: await hashPassword(password) } });
  return { id: user.id, email, password };
}

/** A fresh workspace with one member per requested role. */
export async function createWorkspace(db: Db, roles: TRole[] = ['admin']) {
  const workspace = await db.workspace.create({ data: { name: 'Test workspace', slug: `ws-${randomUUID()}` } });
  const members: Record<string, TestUser> = {};
  for (const role of roles) {
    const user = await createUser(db);
    await db.membership.create({ data: { userId: user.id, workspaceId: workspace.id, role } });
    members[role] = user;
  }
  return { workspace, members: members as Record<TRole, TestUser> };
}

/** A tRPC caller acting as `user` in `workspaceId` (or anonymous). */
export function callerAs(db: Db, user: TestUser | null, workspaceId: string | null = null, services?: Services) {
  return createCaller({ db, user: user ? { id: user.id, email: user.email, name: null } : null, workspaceId, ...(services ? { services } : {}) });
}
