/**
 * defineConnector: the one way to declare a connector. It only checks the
 * declaration and returns it with its types inferred from the zod schemas.
 */
import type { DestinationConnector, SourceConnector } from './types';

export function defineConnector<Cr, Co>(def: SourceConnector<Cr, Co>): SourceConnector<Cr, Co>;
export function defineConnector<Cr, Co, Op>(def: DestinationConnector<Cr, Co, Op>): DestinationConnector<Cr, Co, Op>;
export function defineConnector<Cr, Co, Op>(
  def: SourceConnector<Cr, Co> | DestinationConnector<Cr, Co, Op>,
): SourceConnector<Cr, Co> | DestinationConnector<Cr, Co, Op> {
  if (!/^[a-z][a-z0-9-]*$/.test(def.slug)) throw new Error(`connector slug "${def.slug}" must be kebab-case`);
  if (def.kind === 'destination') {
    const c = def.capabilities;
    if (!Number.isInteger(c.batchSize) || c.batchSize < 1) throw new Error(`${def.slug}: batchSize must be a positive integer`);
    if (c.modes.length === 0) throw new Error(`${def.slug}: declare at least one sync mode`);
    if (!(c.rateLimit.requestsPerSecond > 0)) throw new Error(`${def.slug}: rateLimit.requestsPerSecond must be > 0`);
    if (c.writes === 'records' && !def.lookup) throw new Error(`${def.slug}: destinations that create records must implement lookup()`);
  }
  return def;
}
