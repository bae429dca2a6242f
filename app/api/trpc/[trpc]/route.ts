import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { createContextForRequest } from '../../../_server/context';
import { appRouter } from '../../../_server/root';

export const dynamic = 'force-dynamic';

const handler = (req: Request) =>
  fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: () => createContextForRequest(req),
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') console.error(`tRPC ${path ?? '?'}: ${error.message}`);
    },
  });

export { handler as GET, handler as POST };
