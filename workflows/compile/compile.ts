/**
 * Graph → plan. A valid graph compiles, for each path from a query to a
 * destination, into ONE SQL statement in the source's dialect with one CTE per
 * node, so filters and transforms run in the warehouse. The plan also carries
 * the mapped fields, keys, sync mode and destination config (see plan.ts for
 * the SQL contract the engine relies on).
 *
 * The same machinery compiles "the SQL up to a node" for previews.
 */
import { RECORD_KEY_COLUMN, ZPlan, type TPlan, type TPlanField, type TPlanPath } from './plan';
import { dialectFor, planDialect, type Dialect, type TSourceDialectName } from './dialects';
import type { TColumn } from '../graph/columns';
import { hasErrors, issue, type TIssue } from '../graph/issues';
import type { Propagation } from '../graph/propagate';
import { upstreamChain } from '../graph/topology';
import { validateGraph, type ValidationEnv } from '../graph/validate';
import { ZDestinationConfig } from '../nodes/destination/schema';
import { ZMapConfig } from '../nodes/map/schema';
import { resolveMap } from '../nodes/map/resolve';
import { ZQueryConfig } from '../nodes/query/schema';
import { nodeName } from '../nodes/types';

export type CompileEnv = ValidationEnv & {
  /** SQL dialect of a source connection (from its connector's capabilities). */
  dialectOf(connectionId: string): TSourceDialectName | undefined;
  /** Frozen now() for tests ('YYYY-MM-DD HH:MM:SS'); otherwise the warehouse's clock in UTC. */
  now?: string;
};

export type CompileResult = { ok: true; plan: TPlan; warnings: TIssue[] } | { ok: false; issues: TIssue[] };

export function compileGraph(raw: unknown, pipelineId: string, env: CompileEnv): CompileResult {
  const v = validateGraph(raw, env);
  if (!v.graph || !v.propagation || hasErrors(v.issues)) return { ok: false, issues: v.issues };
  const p = v.propagation;
  const paths: TPlanPath[] = [];
  const issues: TIssue[] = [];
  for (const node of v.graph.nodes) {
    if (node.type !== 'destination') continue;
    const chain = upstreamChain(p.index, node.id);
    const built = buildPathSql(chain, p, env, issues);
    if (!built) continue;
    const mapState = p.nodes.get(chain[chain.length - 2]!)!;
    const map = ZMapConfig.parse(mapState.node.config);
    const dest = ZDestinationConfig.parse(node.config);
    const { fields } = resolveMap(map, p.nodes.get(chain[chain.length - 3]!)!.columns ?? [], mapState.node.id, mapState.node.id);
    const connector = env.connections?.get(dest.connectionId)?.connector ?? dest.connector;
    if (!connector) {
      issues.push(issue('unknown_connection', `${nodeName(node)}: the destination's connector is unknown — fix: pick the connection again`, { nodeId: node.id, path: ['connectionId'] }));
      continue;
    }
    paths.push({
      id: node.id,
      nodeIds: chain,
      source: { connectionId: built.connectionId, dialect: planDialect(built.dialect.name) },
      sql: built.sql,
      primaryKey: built.primaryKey,
      fields: fields.map((f) => ({ name: f.name, type: f.type, whenNull: f.whenNull, onlyIfEmpty: f.onlyIfEmpty })),
      matchField: map.matchField!,
      destination: { connectionId: dest.connectionId, connector, object: dest.object, mode: dest.mode, options: dest.options },
    });
  }
  if (paths.length === 0 && issues.length === 0) {
    issues.push(issue('reaches_no_destination', 'the pipeline has no destination — fix: add a query, a map and a destination', {}));
  }
  if (issues.length) return { ok: false, issues: [...v.issues, ...issues] };
  return { ok: true, plan: ZPlan.parse({ version: 1, pipelineId, paths }), warnings: v.issues };
}

export type NodeSql = {
  ok: true;
  /** 'rows' for a node's output rows; 'destination' for a destination's full path (record key + fields). */
  kind: 'rows' | 'destination';
  sql: string;
  columns: TColumn[];
  dialect: TSourceDialectName;
  connectionId: string;
  nodeIds: string[];
  primaryKey: string[];
  /** Destinations only: the plan path's fields, match key and mode. */
  destination?: { fields: TPlanField[]; matchField: string; mode: TPlanPath['destination']['mode']; object: string };
};

/** Issues that do not stop a node from being previewed (work in progress downstream). */
const PREVIEW_TOLERATED = new Set(['reaches_no_destination', 'columns_unknown']);

/** The SQL that returns `nodeId`'s rows (a destination: its path's plan SQL). Only the chain above the node must be valid. */
export function compileNodeSql(raw: unknown, nodeId: string, env: CompileEnv): NodeSql | { ok: false; issues: TIssue[] } {
  const v = validateGraph(raw, env);
  if (!v.graph || !v.propagation) return { ok: false, issues: v.issues };
  const p = v.propagation;
  if (!p.nodes.has(nodeId)) return { ok: false, issues: [issue('invalid_config', `there is no node "${nodeId}" in this pipeline — fix: pick a node on the canvas`, { nodeId })] };
  const chain = upstreamChain(p.index, nodeId);
  const inChain = new Set(chain);
  const blocking = v.issues.filter((i) => i.severity === 'error' && !PREVIEW_TOLERATED.has(i.code) && (i.nodeId === undefined || inChain.has(i.nodeId)));
  if (blocking.length) return { ok: false, issues: blocking };
  const issues: TIssue[] = [];
  const isDestination = p.nodes.get(nodeId)!.node.type === 'destination';
  const built = buildPathSql(chain, p, env, issues);
  if (!built) return { ok: false, issues };
  const last = p.nodes.get(isDestination ? chain[chain.length - 2]! : nodeId)!;
  // After a map (and for a destination) the SQL starts with the record key.
  const keyed = isDestination || last.node.type === 'map';
  const columns = keyed ? [{ name: RECORD_KEY_COLUMN, type: 'string' as const }, ...(last.columns ?? [])] : (last.columns ?? []);
  const out: NodeSql = { ok: true, kind: isDestination ? 'destination' : 'rows', sql: built.sql, columns, dialect: built.dialect.name, connectionId: built.connectionId, nodeIds: chain, primaryKey: built.primaryKey };
  if (isDestination) {
    const map = ZMapConfig.parse(last.node.config);
    const dest = ZDestinationConfig.parse(p.nodes.get(nodeId)!.node.config);
    const { fields } = resolveMap(map, p.nodes.get(chain[chain.length - 3]!)?.columns ?? [], last.node.id, last.node.id);
    out.destination = {
      fields: fields.map((f) => ({ name: f.name, type: f.type, whenNull: f.whenNull, onlyIfEmpty: f.onlyIfEmpty })),
      matchField: map.matchField ?? '',
      mode: dest.mode,
      object: dest.object,
    };
  }
  return out;
}

type BuiltPath = { sql: string; dialect: Dialect; connectionId: string; primaryKey: string[] };

/**
 * One statement for the chain root → … → last (a destination is skipped: it
 * has no SQL). The final SELECT lists the last node's columns; after a map
 * that is the record key followed by the fields, per the plan's contract.
 */
function buildPathSql(chain: string[], p: Propagation, env: CompileEnv, issues: TIssue[]): BuiltPath | null {
  const root = p.nodes.get(chain[0]!)!;
  if (root.node.type !== 'query') {
    issues.push(issue('no_input', `${nodeName(root.node)} is not fed by a query — fix: connect a query at the start of this path`, { nodeId: root.node.id }));
    return null;
  }
  const query = ZQueryConfig.parse(root.node.config);
  const dialectName = env.dialectOf(query.connectionId);
  if (!dialectName) {
    issues.push(issue('unknown_connection', `${nodeName(root.node)}: the SQL dialect of connection ${query.connectionId} is unknown — fix: pick a source connection`, { nodeId: root.node.id, path: ['connectionId'] }));
    return null;
  }
  const d = dialectFor(dialectName);
  const ctes: string[] = [];
  let prev: { cte: string; columns: TColumn[] } | null = null;
  let lastNode = root;
  for (const [i, id] of chain.entries()) {
    const state = p.nodes.get(id)!;
    if (!state.def || !state.configOk || (state.columns === null && state.node.type !== 'destination')) {
      issues.push(issue('columns_unknown', `${nodeName(state.node)}: its columns are unknown, so its SQL cannot be built — fix: resolve the problems above it`, { nodeId: id }));
      return null;
    }
    const body = state.def.compile({
      node: state.node,
      config: state.config,
      dialect: d,
      input: prev,
      columns: state.columns ?? [],
      primaryKey: query.primaryKey,
      ...(env.now ? { now: env.now } : {}),
    });
    if (body === null) continue;
    const name = d.quoteIdent(`__bf_${i + 1}_${state.node.type}`);
    ctes.push(`${name} AS (\n  ${body}\n)`);
    prev = { cte: name, columns: state.columns ?? [] };
    lastNode = state;
  }
  if (!prev) return null;
  const finalColumns = lastNode.node.type === 'map' ? [RECORD_KEY_COLUMN, ...prev.columns.map((c) => c.name)] : prev.columns.map((c) => c.name);
  const sql = `WITH\n${ctes.join(',\n')}\nSELECT ${finalColumns.map((c) => d.quoteIdent(c)).join(', ')}\nFROM ${prev.cte}`;
  return { sql, dialect: d, connectionId: query.connectionId, primaryKey: query.primaryKey };
}
