/**
 * Graph validation: every problem, addressed to its node, with a message that
 * says what is wrong and how to fix it. Structure first (format, types, edges,
 * cycles, inputs, paths), then schema propagation (columns, types,
 * expressions), then what needs knowledge of connections (kinds, modes,
 * options, cached destination fields). Browser-safe: the server passes the
 * connection facts in `env`; without them those checks are skipped.
 */
import type { z } from 'zod';
import type { SyncMode } from '../../connectors/sdk/types';
import { ZDestinationConfig } from '../nodes/destination/schema';
import { ZMapConfig } from '../nodes/map/schema';
import { ZQueryConfig } from '../nodes/query/schema';
import { findNodeType } from '../nodes/registry';
import { nodeName, type SchemaEnv } from '../nodes/types';
import type { TColumn } from './columns';
import { issue, type TIssue } from './issues';
import { propagateSchema, type Propagation } from './propagate';
import { ZGraph, type TGraph } from './schema';
import { findCycle, reachingNodes } from './topology';

export type ConnectionFacts = { name: string; kind: 'source' | 'destination'; connector: string };

export type DestinationFacts = {
  displayName: string;
  modes: SyncMode[];
  setOnlyIfEmpty: boolean;
  optionsSchema?: z.ZodType<unknown>;
};

export type ValidationEnv = SchemaEnv & {
  /** Connections of the workspace by id (server); absent → connection checks are skipped. */
  connections?: ReadonlyMap<string, ConnectionFacts>;
  /** Capabilities of a destination connector by slug. */
  destination?(connector: string): DestinationFacts | undefined;
};

export type Validation = {
  graph: TGraph | null;
  issues: TIssue[];
  /** Output columns per node id (null when unknown). */
  columns: Record<string, TColumn[] | null>;
  propagation: Propagation | null;
};

export function validateGraph(raw: unknown, env: ValidationEnv = {}): Validation {
  const parsed = ZGraph.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((zi) =>
      issue('malformed_graph', `the pipeline graph is not in the Backflow format: ${zi.path.map(String).join('.') || 'graph'}: ${zi.message} — fix: export a pipeline to see the expected JSON`, {
        path: zi.path.map((p) => (typeof p === 'number' ? p : String(p))),
      }),
    );
    return { graph: null, issues, columns: {}, propagation: null };
  }
  const graph = parsed.data;
  const issues: TIssue[] = [];
  const byId = new Map<string, (typeof graph.nodes)[number]>();
  for (const n of graph.nodes) {
    if (byId.has(n.id)) issues.push(issue('duplicate_node_id', `two nodes share the id "${n.id}" — fix: give each node its own id`, { nodeId: n.id }));
    else byId.set(n.id, n);
  }
  const metaOf = (id: string) => findNodeType(byId.get(id)?.type ?? '')?.meta;
  const label = (id: string) => {
    const n = byId.get(id);
    return n ? nodeName(n, metaOf(id)) : id;
  };

  // Edges
  const edgeKeys = new Set<string>();
  for (const e of graph.edges) {
    if (!byId.has(e.source) || !byId.has(e.target)) {
      const missing = byId.has(e.source) ? e.target : e.source;
      issues.push(issue('dangling_edge', `edge ${e.id} points to node "${missing}", which does not exist — fix: delete the edge`, { edgeId: e.id }));
      continue;
    }
    if (e.source === e.target) {
      issues.push(issue('cycle', `${label(e.source)} is connected to itself — fix: delete the edge`, { nodeId: e.source, edgeId: e.id }));
      continue;
    }
    const key = `${e.source}→${e.target}`;
    if (edgeKeys.has(key)) issues.push(issue('invalid_edge', `${label(e.source)} is connected to ${label(e.target)} twice — fix: delete one edge`, { edgeId: e.id, nodeId: e.target, severity: 'warning' }));
    edgeKeys.add(key);
    const sm = metaOf(e.source);
    const tm = metaOf(e.target);
    if (sm && sm.outputs === 0) issues.push(issue('invalid_edge', `${label(e.source)} is a destination and has no output — fix: delete the edge to ${label(e.target)}`, { edgeId: e.id, nodeId: e.source }));
    if (tm && tm.inputs === 0) issues.push(issue('invalid_edge', `${label(e.target)} is a source and takes no input — fix: delete the edge from ${label(e.source)}`, { edgeId: e.id, nodeId: e.target }));
  }

  const propagation = propagateSchema(graph, env);
  const { index, nodes } = propagation;

  const cycle = findCycle(index);
  if (cycle) {
    issues.push(issue('cycle', `the graph has a cycle: ${[...cycle, cycle[0]!].map(label).join(' → ')} — fix: remove one of these edges; data flows one way, from queries to destinations`, { nodeId: cycle[0]! }));
  }

  const isDestination = (id: string) => byId.get(id)?.type === 'destination';
  const reaching = reachingNodes(index, isDestination);
  for (const id of index.ids) {
    const meta = metaOf(id);
    if (!meta) continue;
    const parents = index.parents.get(id)!;
    if (meta.inputs === 1 && parents.length === 0) {
      issues.push(issue('no_input', `${label(id)} has no input — fix: connect a query (or the node before it) to it`, { nodeId: id }));
    }
    if (meta.inputs === 1 && parents.length > 1) {
      issues.push(issue('too_many_inputs', `${label(id)} has ${parents.length} inputs (${parents.map(label).join(', ')}); a node reads exactly one — fix: keep one edge, or add a node per input`, { nodeId: id }));
    }
    if (meta.outputs > 0 && !reaching.has(id)) {
      issues.push(issue('reaches_no_destination', `${label(id)} does not lead to any destination, so its work is never used — fix: connect it through a map to a destination, or delete it`, { nodeId: id }));
    }
    const type = byId.get(id)!.type;
    if (type === 'destination' && parents.length === 1 && byId.get(parents[0]!)?.type !== 'map') {
      issues.push(issue('destination_without_map', `${label(id)} is fed by ${label(parents[0]!)}, not by a map — fix: put a map node before it to choose the fields and the match key`, { nodeId: id }));
    }
    if (type === 'map') {
      const kids = index.children.get(id)!;
      const notDest = kids.filter((k) => !isDestination(k));
      if (notDest.length) {
        issues.push(issue('map_not_before_destination', `${label(id)} feeds ${notDest.map(label).join(', ')}; a map's output is destination fields and can only feed a destination — fix: move the map right before the destination`, { nodeId: id }));
      } else if (kids.length > 1) {
        issues.push(issue('map_not_before_destination', `${label(id)} feeds ${kids.length} destinations; a map belongs to one destination's fields — fix: give each destination its own map`, { nodeId: id }));
      }
    }
  }

  issues.push(...propagation.issues);

  // Connection facts (server-side env)
  for (const state of nodes.values()) {
    if (!state.configOk) continue;
    const n = state.node;
    if (n.type === 'query') {
      const cfg = ZQueryConfig.safeParse(n.config);
      if (cfg.success) checkConnection(cfg.data.connectionId, 'source', n.id, label(n.id), env, issues);
    }
    if (n.type === 'destination') checkDestination(n.id, label, propagation, env, issues);
  }

  const columns: Record<string, TColumn[] | null> = {};
  for (const [id, s] of nodes) columns[id] = s.columns;
  return { graph, issues: dedupe(issues), columns, propagation };
}

function checkConnection(id: string, kind: 'source' | 'destination', nodeId: string, name: string, env: ValidationEnv, issues: TIssue[]): ConnectionFacts | undefined {
  if (!env.connections) return undefined;
  const c = env.connections.get(id);
  if (!c) {
    issues.push(issue('unknown_connection', `${name}: connection ${id} does not exist in this workspace — fix: pick one of the workspace's ${kind} connections`, { nodeId, path: ['connectionId'] }));
    return undefined;
  }
  if (c.kind !== kind) {
    issues.push(issue('unknown_connection', `${name}: "${c.name}" is a ${c.kind} connection, not a ${kind} — fix: pick a ${kind} connection`, { nodeId, path: ['connectionId'] }));
    return undefined;
  }
  return c;
}

function checkDestination(id: string, label: (id: string) => string, p: Propagation, env: ValidationEnv, issues: TIssue[]): void {
  const state = p.nodes.get(id)!;
  const parsed = ZDestinationConfig.safeParse(state.node.config);
  if (!parsed.success) return;
  const config = parsed.data;
  const name = label(id);
  const conn = checkConnection(config.connectionId, 'destination', id, name, env, issues);
  const slug = conn?.connector ?? config.connector;
  if (conn && config.connector && config.connector !== conn.connector) {
    issues.push(issue('unknown_connection', `${name}: the node was set up for connector "${config.connector}" but the connection uses "${conn.connector}" — fix: pick the connection again`, { nodeId: id, path: ['connectionId'] }));
  }
  const facts = slug ? env.destination?.(slug) : undefined;
  if (env.destination && slug && !facts) {
    issues.push(issue('unknown_connection', `${name}: connector "${slug}" is not installed in this Backflow — fix: pick another connection`, { nodeId: id, path: ['connectionId'] }));
  }
  if (facts && !facts.modes.includes(config.mode)) {
    issues.push(issue('unsupported_mode', `${name}: ${facts.displayName} cannot sync in "${config.mode}" mode — fix: choose one of ${facts.modes.join(', ')}`, { nodeId: id, path: ['mode'] }));
  }
  if (facts?.optionsSchema) {
    const o = facts.optionsSchema.safeParse(config.options);
    if (!o.success) {
      for (const zi of o.error.issues) {
        issues.push(issue('unsupported_option', `${name}: option ${zi.path.map(String).join('.') || '(options)'}: ${zi.message}`, { nodeId: id, path: ['options', ...zi.path.map((x) => (typeof x === 'number' ? x : String(x)))] }));
      }
    }
  }

  const mapId = p.index.parents.get(id)?.[0];
  const map = mapId ? p.nodes.get(mapId) : undefined;
  if (!map || map.node.type !== 'map' || !map.configOk) return;
  const mapParsed = ZMapConfig.safeParse(map.node.config);
  if (!mapParsed.success) return;
  const mapConfig = mapParsed.data;
  const snap = mapConfig.destinationFields;
  if (snap && (snap.connectionId !== config.connectionId || snap.object !== config.object)) {
    issues.push(
      issue('stale_destination_fields', `${label(map.node.id)}: its field list is for ${snap.object} on another connection or object, but the destination is now ${config.object} — fix: refresh the destination fields and check the mappings`, {
        nodeId: map.node.id,
        path: ['destinationFields'],
      }),
    );
  }
  if (facts && !facts.setOnlyIfEmpty) {
    for (const [i, m] of mapConfig.mappings.entries()) {
      if (m.onlyIfEmpty) {
        issues.push(issue('unsupported_option', `${label(map.node.id)}, field "${m.field}": ${facts.displayName} cannot "only set if empty" — fix: turn the option off for this field`, { nodeId: map.node.id, path: ['mappings', i, 'onlyIfEmpty'] }));
      }
    }
  }
}

function dedupe(issues: TIssue[]): TIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.code}|${i.nodeId ?? ''}|${i.edgeId ?? ''}|${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
