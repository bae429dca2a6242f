/**
 * Runs: start, watch and control pipeline runs, inspect per-row errors and the
 * sync state of one record, and reset a destination's sync state.
 * Everything is scoped to the caller's workspace.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { TRPCError } from '@trpc/server';
import { newRunId, startRun } from '../../../workflows/temporal/client';
import {
  cancelSignal,
  confirmDeletesSignal,
  pauseSignal,
  progressQuery,
  resumeSignal,
  skipDeletesSignal,
  type SyncProgress,
} from '../../../workflows/temporal/workflows';
import { ZPlan } from '../../../workflows/compile/plan';
import { payloadFromCanonical } from '../../../workflows/engine/hash';
import { syncFingerprint } from '../../../workflows/engine/pin';
import type { Db } from '../db';
import { forgetSyncState } from '../pipelines/sync-state';
import { servicesOf } from '../services';
import { createTRPCRouter, roleProcedure } from '../trpc';
import { ZListRunsInput, ZRecordInput, ZResetStateInput, ZRowErrorsInput, ZRunIdInput, ZStartRunInput } from './run.schema';

const ACTIVE = ['queued', 'running', 'paused', 'needs_confirmation'] as const;

async function temporalOrThrow(ctx: Parameters<typeof servicesOf>[0]): Promise<Client> {
  try {
    return await servicesOf(ctx).temporal();
  } catch (err) {
    throw new TRPCError({
      code: 'SERVICE_UNAVAILABLE',
      message: `Temporal is unreachable (${err instanceof Error ? err.message.split('\n')[0] : String(err)}) — fix: start it (npm start runs the dev server) or check TEMPORAL_ADDRESS`,
    });
  }
}

async function runInWorkspace(db: Db, workspaceId: string, runId: string) {
  const run = await db.run.findFirst({ where: { id: runId, workspaceId } });
  if (!run) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such run in this workspace.' });
  return run;
}

async function pipelineInWorkspace(db: Db, workspaceId: string, pipelineId: string) {
  const p = await db.pipeline.findFirst({ where: { id: pipelineId, workspaceId } });
  if (!p) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such pipeline in this workspace.' });
  return p;
}

/** Sends a signal to a run's workflow, with a clear error when it is no longer running. */
async function signalRun(client: Client, runId: string, signal: Parameters<ReturnType<Client['workflow']['getHandle']>['signal']>[0]) {
  try {
    await client.workflow.getHandle(runId).signal(signal);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'This run has already finished, so it cannot be changed.' });
    }
    throw err;
  }
}

export const runRouter = createTRPCRouter({
  /** Starts a run of the latest (or a given) published version. */
  start: roleProcedure('operator')
    .input(ZStartRunInput)
    .mutation(async ({ ctx, input }) => {
      const ws = ctx.membership.workspaceId;
      const pipeline = await pipelineInWorkspace(ctx.db, ws, input.pipelineId);
      const version = input.versionId
        ? await ctx.db.pipelineVersion.findFirst({ where: { id: input.versionId, pipelineId: pipeline.id } })
        : await ctx.db.pipelineVersion.findFirst({ where: { pipelineId: pipeline.id }, orderBy: { number: 'desc' } });
      if (!version) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: `"${pipeline.name}" has no published version — fix: publish it first.` });
      }
      const stale = await ctx.db.syncTarget.findFirst({ where: { pipelineId: pipeline.id, needsReset: true } });
      if (stale) {
        throw new TRPCError({
          code: 'PRECONDITION_FAILED',
          message: `Destination ${stale.nodeId} must be reset first: ${stale.resetReason ?? 'its configuration changed'}. Resetting re-sends every row.`,
        });
      }
      const active = await ctx.db.run.findFirst({ where: { pipelineId: pipeline.id, status: { in: [...ACTIVE] } } });
      if (active) {
        throw new TRPCError({ code: 'CONFLICT', message: `A run of "${pipeline.name}" is already in progress (${active.id}); wait for it or cancel it.` });
      }
      const client = await temporalOrThrow(ctx);
      const runId = newRunId();
      // The run row exists from the start so the UI can show it while queued.
      await ctx.db.run.create({
        data: { id: runId, workspaceId: ws, pipelineId: pipeline.id, trigger: 'manual', status: 'queued', requestedById: ctx.user.id },
      });
      await startRun(
        client,
        servicesOf(ctx).taskQueue,
        { pipelineId: pipeline.id, versionId: version.id, trigger: 'manual', requestedById: ctx.user.id },
        runId,
      );
      return { runId, versionNumber: version.number };
    }),

  list: roleProcedure('viewer')
    .input(ZListRunsInput)
    .query(async ({ ctx, input }) => {
      const runs = await ctx.db.run.findMany({
        where: {
          workspaceId: ctx.membership.workspaceId,
          ...(input.pipelineId ? { pipelineId: input.pipelineId } : {}),
          ...(input.status ? { status: input.status } : {}),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: input.limit + 1,
        ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
        include: { targets: true, pipeline: { select: { name: true } }, version: { select: { number: true } } },
      });
      const page = runs.slice(0, input.limit);
      return { runs: page, nextCursor: runs.length > input.limit ? page[page.length - 1]!.id : null };
    }),

  /** A run with its targets and, while it is active, live progress from the workflow. */
  get: roleProcedure('viewer')
    .input(ZRunIdInput)
    .query(async ({ ctx, input }) => {
      const run = await runInWorkspace(ctx.db, ctx.membership.workspaceId, input.runId);
      const detail = await ctx.db.run.findUniqueOrThrow({
        where: { id: run.id },
        include: { targets: { orderBy: { nodeId: 'asc' } }, pipeline: { select: { name: true } }, version: { select: { number: true } } },
      });
      let progress: SyncProgress | null = null;
      if ((ACTIVE as readonly string[]).includes(run.status)) {
        try {
          const client = await servicesOf(ctx).temporal();
          progress = await client.workflow.getHandle(run.id).query(progressQuery);
        } catch {
          progress = null; // the workflow may not have started yet; the stored counts still show
        }
      }
      return { ...detail, progress };
    }),

  rowErrors: roleProcedure('viewer')
    .input(ZRowErrorsInput)
    .query(async ({ ctx, input }) => {
      await runInWorkspace(ctx.db, ctx.membership.workspaceId, input.runId);
      const rows = await ctx.db.runRowError.findMany({
        where: { runId: input.runId, ...(input.kind ? { kind: input.kind } : {}), ...(input.cursor ? { id: { gt: BigInt(input.cursor) } } : {}) },
        orderBy: { id: 'asc' },
        take: input.limit + 1,
      });
      const page = rows.slice(0, input.limit).map((r) => ({ ...r, id: r.id.toString() }));
      const counts = await ctx.db.runRowError.groupBy({ by: ['kind'], where: { runId: input.runId }, _count: true });
      return {
        errors: page,
        nextCursor: rows.length > input.limit ? page[page.length - 1]!.id : null,
        counts: Object.fromEntries(counts.map((c) => [c.kind, c._count])),
      };
    }),

  /** One record across the pipeline's destinations: last payload sent, external id, errors. */
  record: roleProcedure('viewer')
    .input(ZRecordInput)
    .query(async ({ ctx, input }) => {
      const pipeline = await pipelineInWorkspace(ctx.db, ctx.membership.workspaceId, input.pipelineId);
      const targets = await ctx.db.syncTarget.findMany({
        where: { pipelineId: pipeline.id, ...(input.nodeId ? { nodeId: input.nodeId } : {}) },
      });
      const latest = await ctx.db.pipelineVersion.findFirst({ where: { pipelineId: pipeline.id }, orderBy: { number: 'desc' } });
      const plan = latest ? ZPlan.safeParse(latest.plan) : null;
      const results = [];
      for (const t of targets) {
        const state = await ctx.db.syncState.findUnique({ where: { syncTargetId_recordKey: { syncTargetId: t.id, recordKey: input.recordKey } } });
        const path = plan?.success ? plan.data.paths.find((p) => p.id === t.nodeId) : undefined;
        let payload: unknown = null;
        if (state?.payload && path) {
          try {
            payload = payloadFromCanonical(path.fields, state.payload);
          } catch {
            payload = null; // mapping changed since: the raw canonical text is still shown
          }
        }
        const errors = await ctx.db.runRowError.findMany({
          where: { recordKey: input.recordKey, runTargetId: { in: (await ctx.db.runTarget.findMany({ where: { syncTargetId: t.id }, select: { id: true } })).map((r) => r.id) } },
          orderBy: { createdAt: 'desc' },
          take: 20,
        });
        results.push({
          nodeId: t.nodeId,
          object: t.object,
          status: state ? 'synced' : errors.length ? 'failing' : 'not synced',
          externalId: state?.externalId ?? null,
          syncedAt: state?.syncedAt ?? null,
          lastRunId: state?.lastRunId ?? null,
          contentHash: state?.contentHash ?? null,
          payload,
          rawPayload: payload === null ? (state?.payload ?? null) : null,
          errors: errors.map((e) => ({ ...e, id: e.id.toString() })),
        });
      }
      return { recordKey: input.recordKey, destinations: results };
    }),

  cancel: roleProcedure('operator')
    .input(ZRunIdInput)
    .mutation(async ({ ctx, input }) => {
      const run = await runInWorkspace(ctx.db, ctx.membership.workspaceId, input.runId);
      if (!(ACTIVE as readonly string[]).includes(run.status)) throw new TRPCError({ code: 'BAD_REQUEST', message: `The run is ${run.status}; only active runs can be cancelled.` });
      await signalRun(await temporalOrThrow(ctx), run.id, cancelSignal);
      return { ok: true as const };
    }),

  pause: roleProcedure('operator')
    .input(ZRunIdInput)
    .mutation(async ({ ctx, input }) => {
      const run = await runInWorkspace(ctx.db, ctx.membership.workspaceId, input.runId);
      if (run.status !== 'running') throw new TRPCError({ code: 'BAD_REQUEST', message: `The run is ${run.status}; only running runs can be paused.` });
      await signalRun(await temporalOrThrow(ctx), run.id, pauseSignal);
      return { ok: true as const };
    }),

  resume: roleProcedure('operator')
    .input(ZRunIdInput)
    .mutation(async ({ ctx, input }) => {
      const run = await runInWorkspace(ctx.db, ctx.membership.workspaceId, input.runId);
      if (run.status !== 'paused' && run.status !== 'running') throw new TRPCError({ code: 'BAD_REQUEST', message: `The run is ${run.status}; only paused runs can be resumed.` });
      await signalRun(await temporalOrThrow(ctx), run.id, resumeSignal);
      return { ok: true as const };
    }),

  /** The one-line override for held mirror deletions. Deleting is destructive: editors only. */
  confirmDeletes: roleProcedure('editor')
    .input(ZRunIdInput)
    .mutation(async ({ ctx, input }) => {
      const run = await runInWorkspace(ctx.db, ctx.membership.workspaceId, input.runId);
      if (run.status !== 'needs_confirmation') throw new TRPCError({ code: 'BAD_REQUEST', message: 'This run is not waiting for a confirmation.' });
      await signalRun(await temporalOrThrow(ctx), run.id, confirmDeletesSignal);
      return { ok: true as const };
    }),

  skipDeletes: roleProcedure('operator')
    .input(ZRunIdInput)
    .mutation(async ({ ctx, input }) => {
      const run = await runInWorkspace(ctx.db, ctx.membership.workspaceId, input.runId);
      if (run.status !== 'needs_confirmation') throw new TRPCError({ code: 'BAD_REQUEST', message: 'This run is not waiting for a confirmation.' });
      await signalRun(await temporalOrThrow(ctx), run.id, skipDeletesSignal);
      return { ok: true as const };
    }),

  /**
   * Failed rows never enter the sync state, so any new run sends them again;
   * this starts one now, on the version of the given run.
   */
  retryFailed: roleProcedure('operator')
    .input(ZRunIdInput)
    .mutation(async ({ ctx, input }) => {
      const run = await runInWorkspace(ctx.db, ctx.membership.workspaceId, input.runId);
      if ((ACTIVE as readonly string[]).includes(run.status)) throw new TRPCError({ code: 'BAD_REQUEST', message: 'The run is still active.' });
      const active = await ctx.db.run.findFirst({ where: { pipelineId: run.pipelineId, status: { in: [...ACTIVE] } } });
      if (active) throw new TRPCError({ code: 'CONFLICT', message: `Another run of this pipeline is in progress (${active.id}).` });
      const client = await temporalOrThrow(ctx);
      const runId = newRunId();
      await ctx.db.run.create({
        data: { id: runId, workspaceId: run.workspaceId, pipelineId: run.pipelineId, trigger: 'retry', status: 'queued', requestedById: ctx.user.id },
      });
      await startRun(
        client,
        servicesOf(ctx).taskQueue,
        { pipelineId: run.pipelineId, ...(run.versionId ? { versionId: run.versionId } : {}), trigger: 'retry', requestedById: ctx.user.id },
        runId,
      );
      return { runId };
    }),

  /** Forgets what the destination holds, so the next run re-sends every row. */
  resetState: roleProcedure('editor')
    .input(ZResetStateInput)
    .mutation(async ({ ctx, input }) => {
      const pipeline = await pipelineInWorkspace(ctx.db, ctx.membership.workspaceId, input.pipelineId);
      const active = await ctx.db.run.findFirst({ where: { pipelineId: pipeline.id, status: { in: [...ACTIVE] } } });
      if (active) throw new TRPCError({ code: 'CONFLICT', message: `Cancel or finish the active run (${active.id}) before resetting.` });
      const targets = await ctx.db.syncTarget.findMany({ where: { pipelineId: pipeline.id, ...(input.nodeId ? { nodeId: input.nodeId } : {}) } });
      if (targets.length === 0) throw new TRPCError({ code: 'NOT_FOUND', message: 'This pipeline has no synced destination to reset yet.' });
      const latest = await ctx.db.pipelineVersion.findFirst({ where: { pipelineId: pipeline.id }, orderBy: { number: 'desc' } });
      const plan = latest ? ZPlan.safeParse(latest.plan) : null;
      const cleared = await forgetSyncState(ctx.db, targets.map((t) => t.id));
      for (const t of targets) {
        // Adopt the published destination: its fingerprint is the new baseline.
        const path = plan?.success ? plan.data.paths.find((p) => p.id === t.nodeId) : undefined;
        await ctx.db.syncTarget.update({
          where: { id: t.id },
          data: {
            needsReset: false,
            resetReason: null,
            lastResetAt: new Date(),
            ...(path
              ? {
                  fingerprint: syncFingerprint(path),
                  connectionId: path.destination.connectionId,
                  object: path.destination.object,
                  matchField: path.matchField,
                  mode: path.destination.mode,
                }
              : {}),
          },
        });
      }
      return { targets: targets.length, recordsForgotten: cleared };
    }),
});
