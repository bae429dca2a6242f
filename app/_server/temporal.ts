/**
 * The app's Temporal client: ONE connection per process, opened lazily and
 * reused by every request (a new connection per request is a known anti-pattern).
 */
import { Client, Connection } from '@temporalio/client';
import { env } from './env';

const globalForTemporal = globalThis as unknown as { backflowTemporal?: Promise<Client> };

export function temporalClient(): Promise<Client> {
  if (!globalForTemporal.backflowTemporal) {
    const e = env();
    const p = Connection.connect({ address: e.temporalAddress, connectTimeout: 5_000 }).then(
      (connection) => new Client({ connection, namespace: e.TEMPORAL_NAMESPACE }),
    );
    // A failed connect is not cached: the next request tries again.
    p.catch(() => {
      if (globalForTemporal.backflowTemporal === p) globalForTemporal.backflowTemporal = undefined;
    });
    globalForTemporal.backflowTemporal = p;
  }
  return globalForTemporal.backflowTemporal;
}
