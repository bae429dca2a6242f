import { issue } from '../../graph/issues';
import type { OutputArgs, OutputResult } from '../types';
import { nodeName } from '../types';
import { buildFilter, filterSyntaxIssues } from './condition';
import { filterMeta } from './meta';
import type { TFilterConfig } from './schema';

/** A filter keeps its input's columns; only the rows change. */
export function filterColumns({ node, config, input }: OutputArgs<TFilterConfig>): OutputResult {
  const name = nodeName(node, filterMeta);
  if (!input) return { columns: null, issues: filterSyntaxIssues(config, node.id, name) };
  const { expr, issues } = buildFilter(config, input, node.id, name);
  if (!expr && issues.length === 0) {
    issues.push(issue('invalid_config', `${name}: no conditions, so every row passes — fix: add a condition, or remove the filter`, { nodeId: node.id, path: ['groups'], severity: 'warning' }));
  }
  return { columns: input.map((c) => ({ ...c })), issues };
}
