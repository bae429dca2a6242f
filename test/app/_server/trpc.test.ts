import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { callerAs, createWorkspace, testDb } from '../../helpers/db';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
  return 'OK';
}

describe('tRPC auth and roles', () => {
  it('rejects an unauthenticated call with UNAUTHORIZED, but health stays public', async () => {
    const db = testDb();
    const anon = callerAs(db, null);
    expect(await codeOf(anon.workspace.me())).toBe('UNAUTHORIZED');
    expect(await codeOf(anon.workspace.members())).toBe('UNAUTHORIZED');
    expect(await anon.health.ping()).toMatchObject({ ok: true });
  });

  it('refuses a viewer a write, and lets an admin do it', async () => {
    const db = testDb();
    const { workspace, members } = await createWorkspace(db, ['admin', 'viewer']);
    const viewer = callerAs(db, members.viewer, workspace.id);
    const admin = callerAs(db, members.admin, workspace.id);

    await expect(viewer.workspace.addMember({ email: 'new@test.local', role: 'viewer' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('needs the admin role'),
    });
    // Reading is fine for a viewer.
    expect((await viewer.workspace.members()).length).toBe(2);

    const added = await admin.workspace.addMember({ email: `new-${workspace.id}@test.local`, role: 'editor' });
    expect(added.temporaryPassword).toEqual(expect.any(String));
    expect((await admin.workspace.members()).map((m) => m.role).sort()).toEqual(['admin', 'editor', 'viewer']);
  });

  it('orders roles viewer < operator < editor < admin', async () => {
    const db = testDb();
    const { workspace, members } = await createWorkspace(db, ['admin', 'editor', 'operator', 'viewer']);
    for (const role of ['viewer', 'operator', 'editor'] as const) {
      const caller = callerAs(db, members[role], workspace.id);
      expect(await codeOf(caller.workspace.setRole({ userId: members.viewer.id, role: 'operator' }))).toBe('FORBIDDEN');
    }
    const admin = callerAs(db, members.admin, workspace.id);
    expect(await codeOf(admin.workspace.setRole({ userId: members.viewer.id, role: 'operator' }))).toBe('OK');
  });

  it('keeps at least one admin, and refuses a workspace the caller is not in', async () => {
    const db = testDb();
    const a = await createWorkspace(db, ['admin']);
    const b = await createWorkspace(db, ['admin']);
    const adminA = callerAs(db, a.members.admin, a.workspace.id);
    await expect(adminA.workspace.setRole({ userId: a.members.admin.id, role: 'viewer' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    const adminAInB = callerAs(db, a.members.admin, b.workspace.id);
    expect(await codeOf(adminAInB.workspace.members())).toBe('FORBIDDEN');
  });
});
