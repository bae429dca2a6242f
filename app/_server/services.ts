/** The process-wide clients behind Context.services. */
import { env } from './env';
import { pgPool } from './pg';
import { temporalClient } from './temporal';
import type { Context, Services } from './trpc';

export function defaultServices(): Services {
  return { temporal: temporalClient, taskQueue: env().TEMPORAL_TASK_QUEUE, pool: pgPool };
}

export function servicesOf(ctx: Pick<Context, 'services'>): Services {
  return ctx.services ?? defaultServices();
}
