/**
 * Seed: the first workspace and its first admin. Safe to run again: an existing
 * admin keeps their password, and nothing is duplicated.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../app/_server/db';
import { hashPassword } from '../app/_server/auth';

export type SeedResult = {
  workspaceId: string;
  adminEmail: string;
  /** Set only when this run created the admin with a generated password. */
  generatedPassword: string | null;
  createdAdmin: boolean;
};

export const DEFAULT_WORKSPACE = { name: 'My workspace', slug: 'default' };
export const DEFAULT_ADMIN_EMAIL = 'admin@backflow.local';

export async function seed(db: Db, opts: { adminEmail?: string; adminPassword?: string } = {}): Promise<SeedResult> {
  const workspace = await db.workspace.upsert({
    where: { slug: DEFAULT_WORKSPACE.slug },
    update: {},
    create: DEFAULT_WORKSPACE,
  });
  // An existing admin of this workspace means setup already ran.
  const admin = await db.membership.findFirst({
    where: { workspaceId: workspace.id, role: 'admin' },
    include: { user: true },
    orderBy: { createdAt: 'asc' },
  });
  if (admin) return { workspaceId: workspace.id, adminEmail: admin.user.email, generatedPassword: null, createdAdmin: false };

  const email = (opts.adminEmail ?? DEFAULT_ADMIN_EMAIL).toLowerCase();
  let generated: string | null = null;
  // A user who already exists keeps their password; they just become admin.
  const user =
    (await db.user.findUnique({ where: { email } })) ??
    (await db.user.create({
      data: {
        email,
        name: 'Admin',
        passwordHash: await hashPassword(opts.adminPassword ?? (generated = randomBytes(12).toString('base64url'))),
      },
    }));
  await db.membership.upsert({
    where: { userId_workspaceId: { userId: user.id, workspaceId: workspace.id } },
    update: { role: 'admin' },
    create: { userId: user.id, workspaceId: workspace.id, role: 'admin' },
  });
  return { workspaceId: workspace.id, adminEmail: email, generatedPassword: generated, createdAdmin: true };
}
