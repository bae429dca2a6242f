import { randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { hashPassword } from '../auth';
import { createTRPCRouter, protectedProcedure, roleProcedure } from '../trpc';
import { ZAddMemberInput, ZRemoveMemberInput, ZSetRoleInput } from './workspace.schema';

export const workspaceRouter = createTRPCRouter({
  /** The signed-in user, their workspaces and their role in each. */
  me: protectedProcedure.query(async ({ ctx }) => {
    const memberships = await ctx.db.membership.findMany({
      where: { userId: ctx.user.id },
      include: { workspace: { select: { id: true, name: true, slug: true } } },
      orderBy: { createdAt: 'asc' },
    });
    const current = memberships.find((m) => m.workspaceId === ctx.workspaceId) ?? memberships[0] ?? null;
    return {
      user: ctx.user,
      workspaces: memberships.map((m) => ({ ...m.workspace, role: m.role })),
      current: current ? { ...current.workspace, role: current.role } : null,
    };
  }),

  members: roleProcedure('viewer').query(({ ctx }) =>
    ctx.db.membership.findMany({
      where: { workspaceId: ctx.membership.workspaceId },
      select: { role: true, createdAt: true, user: { select: { id: true, email: true, name: true } } },
      orderBy: { createdAt: 'asc' },
    }),
  ),

  /** Adds a member; creates the user with a one-time password when the email is new. */
  addMember: roleProcedure('admin')
    .input(ZAddMemberInput)
    .mutation(async ({ ctx, input }) => {
      const existing = await ctx.db.user.findUnique({ where: { email: input.email } });
      let temporaryPassword: string | null = null;
      const user =
        existing ??
        (await ctx.db.user.create({
          data: {
            email: input.email,
            name: input.name ?? null,
            passwordHash: await hashPassword((temporaryPassword = randomBytes(12).toString('base64url'))),
          },
        }));
      const already = await ctx.db.membership.findUnique({
        where: { userId_workspaceId: { userId: user.id, workspaceId: ctx.membership.workspaceId } },
      });
      if (already) throw new TRPCError({ code: 'CONFLICT', message: `${input.email} is already a member (${already.role}).` });
      await ctx.db.membership.create({
        data: { userId: user.id, workspaceId: ctx.membership.workspaceId, role: input.role },
      });
      return { userId: user.id, temporaryPassword };
    }),

  setRole: roleProcedure('admin')
    .input(ZSetRoleInput)
    .mutation(async ({ ctx, input }) => {
      await assertKeepsAnAdmin(ctx, input.userId, input.role);
      const updated = await ctx.db.membership.updateMany({
        where: { userId: input.userId, workspaceId: ctx.membership.workspaceId },
        data: { role: input.role },
      });
      if (updated.count === 0) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such member in this workspace.' });
      return { ok: true as const };
    }),

  removeMember: roleProcedure('admin')
    .input(ZRemoveMemberInput)
    .mutation(async ({ ctx, input }) => {
      await assertKeepsAnAdmin(ctx, input.userId, null);
      const removed = await ctx.db.membership.deleteMany({
        where: { userId: input.userId, workspaceId: ctx.membership.workspaceId },
      });
      if (removed.count === 0) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such member in this workspace.' });
      return { ok: true as const };
    }),
});

type AdminCtx = { db: import('../db').Db; membership: { workspaceId: string } };

/** A workspace must always keep at least one admin. */
async function assertKeepsAnAdmin(ctx: AdminCtx, userId: string, newRole: string | null): Promise<void> {
  if (newRole === 'admin') return;
  const target = await ctx.db.membership.findFirst({ where: { userId, workspaceId: ctx.membership.workspaceId } });
  if (target?.role !== 'admin') return;
  const admins = await ctx.db.membership.count({ where: { workspaceId: ctx.membership.workspaceId, role: 'admin' } });
  if (admins <= 1) {
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'A workspace needs at least one admin; make someone else admin first.' });
  }
}
