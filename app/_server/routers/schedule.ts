/**
 * Scheduled runs, as Temporal Schedules (one per pipeline, id `pipeline-<id>`).
 * Each scheduled run starts the same workflow with trigger 'schedule' and pins
 * the latest published version when it starts. Overlapping runs are skipped:
 * at most one run of a pipeline is active at a time.
 */
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { syncPipelineWorkflow } from '../../../workflows/temporal/workflows';
import type { Db } from '../db';
import { servicesOf } from '../services';
import { createTRPCRouter, roleProcedure } from '../trpc';

/** Five-field cron (minute hour day-of-month month day-of-week), UTC, or an @every interval. */
const CRON = /^(@every \d+[smhd]|(\S+\s+){4}\S+)$/;

export const ZSetScheduleInput = z.object({
  pipelineId: z.string().min(1),
  cron: z.string().trim().regex(CRON, 'use five cron fields, e.g. "0 * * * *" (hourly, UTC), or "@every 15m"'),
  active: z.boolean().default(true),
});
export type TSetScheduleInput = z.infer<typeof ZSetScheduleInput>;

export const ZPipelineIdInput = z.object({ pipelineId: z.string().min(1) });
export type TPipelineIdInput = z.infer<typeof ZPipelineIdInput>;

export const scheduleId = (pipelineId: string) => `pipeline-${pipelineId}`;

function specOf(cron: string) {
  const every = /^@every (\d+)([smhd])$/.exec(cron);
  if (every) return { intervals: [{ every: `${every[1]}${every[2]}` as `${number}${'s' | 'm' | 'h' | 'd'}` }] };
  return { cronExpressions: [cron] };
}

async function pipelineOf(db: Db, workspaceId: string, pipelineId: string) {
  const p = await db.pipeline.findFirst({ where: { id: pipelineId, workspaceId } });
  if (!p) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such pipeline in this workspace.' });
  return p;
}

async function temporal(ctx: Parameters<typeof servicesOf>[0]): Promise<Client> {
  try {
    return await servicesOf(ctx).temporal();
  } catch (err) {
    throw new TRPCError({
      code: 'SERVICE_UNAVAILABLE',
      message: `Temporal is unreachable (${err instanceof Error ? err.message.split('\n')[0] : String(err)}) — fix: start it, or check TEMPORAL_ADDRESS`,
    });
  }
}

export const scheduleRouter = createTRPCRouter({
  get: roleProcedure('viewer')
    .input(ZPipelineIdInput)
    .query(async ({ ctx, input }) => {
      const p = await pipelineOf(ctx.db, ctx.membership.workspaceId, input.pipelineId);
      if (!p.schedule) return { cron: null, active: false, nextRuns: [] as Date[] };
      let nextRuns: Date[] = [];
      try {
        const desc = await (await temporal(ctx)).schedule.getHandle(scheduleId(p.id)).describe();
        nextRuns = desc.info.nextActionTimes.slice(0, 5);
      } catch {
        nextRuns = []; // shown without upcoming times when Temporal is unreachable
      }
      return { cron: p.schedule, active: p.scheduleActive, nextRuns };
    }),

  /** Creates or updates the pipeline's schedule. */
  set: roleProcedure('editor')
    .input(ZSetScheduleInput)
    .mutation(async ({ ctx, input }) => {
      const p = await pipelineOf(ctx.db, ctx.membership.workspaceId, input.pipelineId);
      const published = await ctx.db.pipelineVersion.count({ where: { pipelineId: p.id } });
      if (!published) throw new TRPCError({ code: 'BAD_REQUEST', message: `Publish "${p.name}" before scheduling it.` });
      const client = await temporal(ctx);
      const id = scheduleId(p.id);
      const action = {
        type: 'startWorkflow' as const,
        workflowType: 'syncPipelineWorkflow',
        taskQueue: servicesOf(ctx).taskQueue,
        // Temporal appends the scheduled time, so every run gets its own id.
        workflowId: `run_sched_${p.id}`,
        args: [{ pipelineId: p.id, trigger: 'schedule' }] as Parameters<typeof syncPipelineWorkflow>,
      };
      try {
        const handle = client.schedule.getHandle(id);
        await handle.update((prev) => ({ ...prev, spec: specOf(input.cron), action, state: { ...prev.state, paused: !input.active } }));
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) {
          throw new TRPCError({ code: 'BAD_REQUEST', message: `Temporal refused the schedule: ${err instanceof Error ? err.message : String(err)}` });
        }
        try {
          await client.schedule.create({
            scheduleId: id,
            spec: specOf(input.cron),
            action,
            policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
            state: { paused: !input.active, note: `Backflow pipeline "${p.name}"` },
          });
        } catch (e) {
          throw new TRPCError({ code: 'BAD_REQUEST', message: `Temporal refused the schedule: ${e instanceof Error ? e.message : String(e)}` });
        }
      }
      await ctx.db.pipeline.update({ where: { id: p.id }, data: { schedule: input.cron, scheduleActive: input.active } });
      return { ok: true as const };
    }),

  remove: roleProcedure('editor')
    .input(ZPipelineIdInput)
    .mutation(async ({ ctx, input }) => {
      const p = await pipelineOf(ctx.db, ctx.membership.workspaceId, input.pipelineId);
      try {
        await (await temporal(ctx)).schedule.getHandle(scheduleId(p.id)).delete();
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
      await ctx.db.pipeline.update({ where: { id: p.id }, data: { schedule: null, scheduleActive: false } });
      return { ok: true as const };
    }),

  /** Starts the scheduled action now (operators), e.g. to check a new schedule. */
  triggerNow: roleProcedure('operator')
    .input(ZPipelineIdInput)
    .mutation(async ({ ctx, input }) => {
      const p = await pipelineOf(ctx.db, ctx.membership.workspaceId, input.pipelineId);
      if (!p.schedule) throw new TRPCError({ code: 'BAD_REQUEST', message: 'This pipeline has no schedule.' });
      await (await temporal(ctx)).schedule.getHandle(scheduleId(p.id)).trigger(ScheduleOverlapPolicy.SKIP);
      return { ok: true as const };
    }),
});
