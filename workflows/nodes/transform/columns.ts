import type { OutputArgs, OutputResult } from '../types';
import { nodeName } from '../types';
import { deriveColumns } from './derive';
import { transformMeta } from './meta';
import type { TTransformConfig } from './schema';

/** The input's columns followed by the derived ones. */
export function transformColumns({ node, config, input }: OutputArgs<TTransformConfig>): OutputResult {
  if (!input) return { columns: null, issues: [] };
  const { derived, issues } = deriveColumns(config, input, node.id, nodeName(node, transformMeta));
  return { columns: [...input.map((c) => ({ ...c })), ...derived.map((d) => ({ name: d.name, type: d.expr.type }))], issues };
}
