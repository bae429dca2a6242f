import type { OutputArgs, OutputResult } from '../types';
import { nodeName } from '../types';
import { deriveColumns, syntaxIssues } from './derive';
import { transformMeta } from './meta';
import type { TTransformConfig } from './schema';

/** The input's columns followed by the derived ones. */
export function transformColumns({ node, config, input }: OutputArgs<TTransformConfig>): OutputResult {
  if (!input) return { columns: null, issues: syntaxIssues(config, node.id, nodeName(node, transformMeta)) };
  const { derived, issues } = deriveColumns(config, input, node.id, nodeName(node, transformMeta));
  // A broken column makes the output unknown, so nodes below do not report
  // follow-on "unknown column" errors for it.
  if (derived.length < config.columns.length) return { columns: null, issues };
  return { columns: [...input.map((c) => ({ ...c })), ...derived.map((d) => ({ name: d.name, type: d.expr.type }))], issues };
}
