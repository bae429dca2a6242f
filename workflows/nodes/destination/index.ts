import { defineNodeType } from '../types';
import { destinationMeta } from './meta';
import { ZDestinationConfig } from './schema';

/** The end of a path: no columns of its own and no SQL; the compiler turns its path into a plan path. */
export const destinationNode = defineNodeType({
  type: 'destination',
  meta: destinationMeta,
  configSchema: ZDestinationConfig,
  defaultConfig: () => ({ connectionId: '', object: '', mode: 'upsert', options: {} }),
  outputColumns: () => ({ columns: [], issues: [] }),
  compile: () => null,
});
