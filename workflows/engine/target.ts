/**
 * Loads everything one run target needs from its id: the pinned plan path, the
 * sync target, and ready contexts for its source and destination connections.
 * Activities pass only ids through Temporal; this turns an id back into work.
 */
import type pg from 'pg';
import { buildContext, type LimiterFactory } from '../../app/_server/connections/runtime';
import type { Db } from '../../app/_server/db';
import type { AnyDestination, AnySource, ConnectorContext, Logger, WriteContext } from '../../connectors/sdk/types';
import { ZPlan, type TPlanPath } from '../compile/plan';

export type EngineDeps = {
  db: Db;
  /** Raw pg pool on the control-plane database, for COPY and set-based SQL. */
  pool: pg.Pool;
  limiterFactory: LimiterFactory;
  log?: Logger;
  /**
   * After finalize settles a bucket summary, check it against sync_state's
   * totals and fail on a difference (bucket-summary.ts summaryMismatch): one
   * scan of the target's sync_state per run, so off by default; the tests
   * switch it on.
   */
  verifySummaries?: boolean;
  /** At most about this many warehouse rows in one merge query (buckets.ts MERGE_ROWS_PER_QUERY); the tests lower it. */
  mergeRowsPerQuery?: number;
  /** Test-only switches (never set in production code paths). */
  testing?: { disableIntentLedger?: boolean };
};

export type LoadedTarget = {
  runId: string;
  runTargetId: string;
  syncTargetId: string;
  workspaceId: string;
  path: TPlanPath;
  source: { connector: AnySource; ctx: ConnectorContext<unknown, unknown> };
  destination: { connector: AnyDestination; ctx: WriteContext<unknown, unknown, unknown> };
};

export class EngineError extends Error {
  constructor(
    message: string,
    readonly fatal: boolean = true,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export async function loadTarget(deps: EngineDeps, runTargetId: string, signal?: AbortSignal): Promise<LoadedTarget> {
  const rt = await deps.db.runTarget.findUnique({
    where: { id: runTargetId },
    include: { run: { include: { version: true } }, syncTarget: true },
  });
  if (!rt) throw new EngineError(`run target ${runTargetId} does not exist`);
  if (!rt.run.version) throw new EngineError(`run ${rt.runId} has no pinned version (it was deleted) — fix: start a new run`);
  const plan = ZPlan.parse(rt.run.version.plan);
  const path = plan.paths.find((p) => p.id === rt.nodeId);
  if (!path) throw new EngineError(`version ${rt.run.version.number} has no destination node ${rt.nodeId}`);

  const [sourceRow, destRow] = await Promise.all([
    deps.db.connection.findFirst({ where: { id: path.source.connectionId, workspaceId: rt.run.workspaceId } }),
    deps.db.connection.findFirst({ where: { id: path.destination.connectionId, workspaceId: rt.run.workspaceId } }),
  ]);
  if (!sourceRow) throw new EngineError(`the source connection of this pipeline was deleted — fix: edit the query node and publish again`);
  if (!destRow) throw new EngineError(`the destination connection of node ${rt.nodeId} was deleted — fix: edit the destination node and publish again`);

  const opts = { limiterFactory: deps.limiterFactory, ...(signal ? { signal } : {}), ...(deps.log ? { log: deps.log } : {}) };
  const source = buildContext(deps.db, sourceRow, opts);
  const destination = buildContext(deps.db, destRow, opts);
  if (source.connector.kind !== 'source') throw new EngineError(`connection "${sourceRow.name}" is not a source`);
  if (destination.connector.kind !== 'destination') throw new EngineError(`connection "${destRow.name}" is not a destination`);

  const options = destination.connector.optionsSchema.safeParse(path.destination.options);
  if (!options.success) {
    const issue = options.error.issues[0];
    throw new EngineError(
      `destination options of node ${rt.nodeId} are invalid for ${destination.connector.displayName} (${issue?.path.join('.') || 'options'}: ${issue?.message}) — fix: edit the destination node and publish again`,
    );
  }
  return {
    runId: rt.runId,
    runTargetId: rt.id,
    syncTargetId: rt.syncTargetId,
    workspaceId: rt.run.workspaceId,
    path,
    source: { connector: source.connector, ctx: source.ctx },
    destination: {
      connector: destination.connector,
      // Same object, extended: updateCredentials() refreshes ctx.credentials in place.
      ctx: Object.assign(destination.ctx, { object: path.destination.object, mode: path.destination.mode, options: options.data }),
    },
  };
}
