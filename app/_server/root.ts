/** The app router: one router per domain, registered by hand. */
import { connectionRouter } from './routers/connection';
import { healthRouter } from './routers/health';
import { pipelineRouter } from './routers/pipeline';
import { runRouter } from './routers/run';
import { scheduleRouter } from './routers/schedule';
import { systemRouter } from './routers/system';
import { workspaceRouter } from './routers/workspace';
import { createCallerFactory, createTRPCRouter } from './trpc';

export const appRouter = createTRPCRouter({
  connection: connectionRouter,
  health: healthRouter,
  pipeline: pipelineRouter,
  run: runRouter,
  schedule: scheduleRouter,
  system: systemRouter,
  workspace: workspaceRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
