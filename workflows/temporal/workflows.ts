/**
 * Workflow code: deterministic, bundled by the worker, no I/O. Activities are
 * proxied with their real types (never cast to a Record).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from './activities';

const { ping } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

/** Round trip through server → worker → database; used by doctor and tests. */
export async function healthCheckWorkflow(): Promise<Awaited<ReturnType<Activities['ping']>>> {
  return ping();
}
