import type { OutputArgs, OutputResult } from '../types';
import { nodeName } from '../types';
import { mapMeta } from './meta';
import { resolveMap } from './resolve';
import type { TMapConfig } from './schema';

/** A map outputs exactly the destination fields, typed as the destination expects. */
export function mapColumns({ node, config, input }: OutputArgs<TMapConfig>): OutputResult {
  const { fields, issues } = resolveMap(config, input, node.id, nodeName(node, mapMeta));
  if (!input) return { columns: null, issues };
  return { columns: fields.map((f) => ({ name: f.name, type: f.type })), issues };
}
