/**
 * One-line summaries of a node's config for its canvas card ("customers ·
 * key customer_id", "3 conditions, all must match"…). Reads the config
 * leniently, so a half-finished node still gets a useful line.
 */
import { OPERATOR_LABELS, type TCondition } from '../../../workflows/nodes/filter/schema';
import type { TGraphNode } from '../../../workflows/graph/schema';
import { readDestinationConfig, readFilterConfig, readMapConfig, readQueryConfig, readTransformConfig } from './config-draft';

export type SummaryContext = { connectionName(id: string): string | undefined };

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function clip(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function conditionText(c: TCondition): string {
  if ('expression' in c) return c.expression.trim() || '(empty expression)';
  const col = c.column || '?';
  const op = OPERATOR_LABELS[c.operator];
  const show = (v: unknown) => (v && typeof v === 'object' ? Object.values(v).map(String).join('') : JSON.stringify(v));
  if (c.operator === 'is_null' || c.operator === 'is_not_null') return `${col} ${op}`;
  if (c.operator === 'in_last_days') return `${col} in the last ${c.days ?? 'N'} days`;
  if (c.operator === 'between') return `${col} between ${show(c.values?.[0])} and ${show(c.values?.[1])}`;
  if (c.operator === 'in' || c.operator === 'not_in') return `${col} ${op} (${(c.values ?? []).map(show).join(', ')})`;
  return `${col} ${op} ${c.value === undefined ? '?' : show(c.value)}`;
}

export function nodeSummary(node: TGraphNode, ctx: SummaryContext): string {
  switch (node.type) {
    case 'query': {
      const c = readQueryConfig(node.config);
      if (!c.connectionId) return 'Pick a source connection';
      const conn = ctx.connectionName(c.connectionId) ?? 'unknown connection';
      const what =
        c.source.kind === 'sql' ? (c.source.sql.trim() ? clip(c.source.sql, 44) : 'no SQL yet') : c.source.kind === 'table' ? [c.source.schema, c.source.table].filter(Boolean).join('.') || 'no table yet' : `dbt ${c.source.model.name}`;
      const key = c.primaryKey.length ? ` · key ${c.primaryKey.join(', ')}` : ' · no key';
      return `${conn}: ${what}${key}`;
    }
    case 'filter': {
      const c = readFilterConfig(node.config);
      const conds = c.groups.flatMap((g) => g.conditions);
      if (conds.length === 0) return 'No conditions yet';
      if (conds.length === 1) return clip(conditionText(conds[0]!));
      const groups = c.groups.filter((g) => g.conditions.length > 0).length;
      return `${plural(conds.length, 'condition')}${groups > 1 ? ` in ${groups} groups` : ''}, ${c.match === 'all' && c.groups.every((g) => g.match === 'all') ? 'all must match' : 'any/all mixed'}`;
    }
    case 'transform': {
      const c = readTransformConfig(node.config);
      if (c.columns.length === 0) return 'No derived columns yet';
      return clip(`+ ${c.columns.map((x) => x.name || '?').join(', ')}`);
    }
    case 'map': {
      const c = readMapConfig(node.config);
      if (c.mappings.length === 0) return 'No fields mapped yet';
      return `${plural(c.mappings.length, 'field')} · match on ${c.matchField ?? '?'}`;
    }
    case 'destination': {
      const c = readDestinationConfig(node.config);
      if (!c.connectionId) return 'Pick a destination connection';
      return `${ctx.connectionName(c.connectionId) ?? 'unknown connection'} · ${c.object || 'no object'} · ${c.mode}`;
    }
    default:
      return `Unknown node type "${node.type}"`;
  }
}
