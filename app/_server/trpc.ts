/**
 * tRPC core (after create-t3-app's trpc.ts).
 *
 * 1. CONTEXT    — db, the session and the requested workspace id.
 * 2. INIT       — superjson, and zod errors flattened for the client.
 * 3. PROCEDURES — `publicProcedure` (health only), `protectedProcedure` (needs a
 *                 session) and `roleProcedure(min)`, which resolves the caller's
 *                 membership in the requested workspace and checks the role.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError, z } from 'zod';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type { Db } from './db';
import { roleAtLeast, type TRole } from './roles';

// 1. CONTEXT
export type SessionUser = { id: string; email: string; name?: string | null };
/** Long-lived clients procedures need besides Prisma; tests inject their own. */
export type Services = {
  temporal(): Promise<Client>;
  taskQueue: string;
  pool(): pg.Pool;
};

export type Context = {
  db: Db;
  user: SessionUser | null;
  /** Requested workspace (header `x-backflow-workspace`); defaults to the first membership. */
  workspaceId: string | null;
  /** Defaults to the process-wide clients (app/_server/services.ts). */
  services?: Services;
};

export { WORKSPACE_HEADER } from '../_shared/http';

// 2. INIT
const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: {
        ...shape.data,
        zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : null,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

// 3. PROCEDURES
export const publicProcedure = t.procedure;

export const protectedProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in to continue.' });
  return next({ ctx: { ...ctx, user: ctx.user } });
});

export type Membership = { workspaceId: string; role: TRole };

/** The one role middleware: every workspace procedure names the minimum role it needs. */
export function requireRole(min: TRole) {
  return t.middleware(async ({ ctx, next }) => {
    if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in to continue.' });
    const membership = await ctx.db.membership.findFirst({
      where: { userId: ctx.user.id, ...(ctx.workspaceId ? { workspaceId: ctx.workspaceId } : {}) },
      orderBy: { createdAt: 'asc' },
      select: { workspaceId: true, role: true },
    });
    if (!membership) {
      throw new TRPCError({
        code: 'FORBIDDEN',
        message: ctx.workspaceId ? 'You are not a member of this workspace.' : 'You are not a member of any workspace.',
      });
    }
    if (!roleAtLeast(membership.role, min)) {
      throw new TRPCError({
        code: 'FORBIDDEN',
        message: `This needs the ${min} role; you are ${membership.role === 'admin' || membership.role === 'editor' ? 'an' : 'a'} ${membership.role}. Ask a workspace admin.`,
      });
    }
    return next({ ctx: { ...ctx, user: ctx.user, membership } });
  });
}

export const roleProcedure = (min: TRole) => protectedProcedure.use(requireRole(min));
