/** Builds the tRPC context for an HTTP request: session from next-auth, workspace from a header. */
import { getSession } from './auth';
import { db } from './db';
import { WORKSPACE_HEADER, type Context } from './trpc';

export async function createContextForRequest(req: Request): Promise<Context> {
  const session = await getSession();
  return {
    db: db(),
    user: session?.user ? { id: session.user.id, email: session.user.email, name: session.user.name ?? null } : null,
    workspaceId: req.headers.get(WORKSPACE_HEADER),
  };
}
