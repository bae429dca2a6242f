import { env } from '../env';
import { runChecks } from '../health';
import { createTRPCRouter, roleProcedure } from '../trpc';

export const systemRouter = createTRPCRouter({
  /** The same checks as `npm run doctor`, for the app shell and /status. */
  status: roleProcedure('viewer').query(async () => {
    const e = env();
    return { checks: await runChecks(e), temporalUiUrl: e.usesLocalTemporal ? e.temporalUiUrl : e.TEMPORAL_UI_URL ?? null };
  }),
});
