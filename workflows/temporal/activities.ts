/**
 * Activities, built by a factory with injected dependencies (samples-typescript
 * `activities-dependency-injection`). The workflow imports only the *type* of
 * this factory's result, so activity signatures stay checked end to end.
 */
import type { Db } from '../../app/_server/db';

export type ActivityDeps = {
  db: Db;
  /** Identifies this worker process in results and logs. */
  workerId: string;
};

export function createActivities(deps: ActivityDeps) {
  return {
    /** Proves a worker is polling and can reach the control-plane database. */
    async ping(): Promise<{ workerId: string; database: 'ok'; at: string }> {
      await deps.db.$queryRaw`SELECT 1`;
      return { workerId: deps.workerId, database: 'ok', at: new Date().toISOString() };
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
