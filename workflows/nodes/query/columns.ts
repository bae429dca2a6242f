import { RESERVED_PREFIX, unknownColumnHelp, type TColumn } from '../../graph/columns';
import { issue, type TIssue } from '../../graph/issues';
import type { OutputArgs, OutputResult } from '../types';
import { nodeName } from '../types';
import { queryMeta } from './meta';
import { readOnlyProblem } from './read-only';
import type { TQueryConfig } from './schema';

export function queryColumns({ node, config, env }: OutputArgs<TQueryConfig>): OutputResult {
  const name = nodeName(node, queryMeta);
  const issues: TIssue[] = [];
  if (config.source.kind === 'sql') {
    const problem = readOnlyProblem(config.source.sql);
    if (problem) {
      issues.push(issue('sql_writes', `${name}: ${problem}`, { nodeId: node.id, path: ['source', 'sql'] }));
      if (config.primaryKey.length === 0) issues.push(missingKey(name, node.id));
      return { columns: null, issues };
    }
  }
  const live = env.sourceColumns?.get(node.id);
  if (live && 'error' in live) return { columns: null, issues: [live.error] };
  const columns: TColumn[] | undefined = live?.columns ?? config.columns;
  if (!columns) {
    return {
      columns: null,
      issues: [issue('columns_unknown', `${name}: its columns are not known yet — fix: run the query (preview) so Backflow can read its columns`, { nodeId: node.id, severity: 'warning' })],
    };
  }

  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name)) {
      issues.push(issue('duplicate_output', `${name}: the query returns two columns named "${c.name}" — fix: give one of them another name with AS`, { nodeId: node.id, path: ['source'] }));
    }
    seen.add(c.name);
    if (c.name.startsWith(RESERVED_PREFIX)) {
      issues.push(issue('invalid_column_name', `${name}: column "${c.name}" uses the prefix ${RESERVED_PREFIX}, which Backflow reserves — fix: rename it with AS`, { nodeId: node.id, path: ['source'] }));
    }
  }

  if (config.primaryKey.length === 0) issues.push(missingKey(name, node.id));
  for (const [i, key] of config.primaryKey.entries()) {
    const col = columns.find((c) => c.name === key);
    if (!col) {
      issues.push(issue('missing_primary_key', `${name}: primary key column "${key}" is not in the query's output — ${unknownColumnHelp(columns, key)}`, { nodeId: node.id, path: ['primaryKey', i] }));
    } else if (col.type === 'json' || col.type === 'string_array') {
      issues.push(issue('type_mismatch', `${name}: primary key column "${key}" is a ${col.type}; a key must be a single value — fix: pick a text or number column`, { nodeId: node.id, path: ['primaryKey', i] }));
    }
  }
  return { columns: columns.map((c) => ({ ...c })), issues };
}

function missingKey(name: string, nodeId: string): TIssue {
  return issue('missing_primary_key', `${name}: no primary key — fix: pick the column(s) that identify a row (e.g. customer_id), so changes and deletes can be tracked`, { nodeId, path: ['primaryKey'] });
}
