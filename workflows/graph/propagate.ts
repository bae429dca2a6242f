/**
 * Schema propagation: every node's output columns, computed in graph order
 * from its input's columns and its config by its node type's outputColumns().
 * The canvas, the validator and the compiler all call this one function.
 * Browser-safe.
 */
import { findNodeType, nodeTypeNames, type AnyNodeType } from '../nodes/registry';
import { nodeName, type SchemaEnv } from '../nodes/types';
import type { TColumn } from './columns';
import { issue, type TIssue } from './issues';
import type { TGraph, TGraphNode } from './schema';
import { indexGraph, topoOrder, type GraphIndex } from './topology';

export type NodeState = {
  node: TGraphNode;
  def: AnyNodeType | null;
  /** The parsed config (null when the node type is unknown or the config is invalid). */
  config: unknown;
  configOk: boolean;
  /** Output columns; null when unknown. */
  columns: TColumn[] | null;
};

export type Propagation = { index: GraphIndex; nodes: Map<string, NodeState>; issues: TIssue[] };

export function propagateSchema(graph: TGraph, env: SchemaEnv = {}): Propagation {
  const index = indexGraph(graph);
  const issues: TIssue[] = [];
  const nodes = new Map<string, NodeState>();

  for (const node of graph.nodes) {
    if (nodes.has(node.id)) continue;
    const def = findNodeType(node.type) ?? null;
    if (!def) {
      issues.push(issue('unknown_node_type', `node ${node.id} has type "${node.type}", which this Backflow does not know — fix: use one of ${nodeTypeNames()}, or remove the node`, { nodeId: node.id }));
      nodes.set(node.id, { node, def: null, config: null, configOk: false, columns: null });
      continue;
    }
    const parsed = def.configSchema.safeParse(node.config);
    if (!parsed.success) {
      for (const zi of parsed.error.issues) {
        const where = zi.path.length ? `${zi.path.map(String).join('.')}: ` : '';
        issues.push(issue('invalid_config', `${nodeName(node, def.meta)}: ${where}${zi.message}`, { nodeId: node.id, path: zi.path.map((p) => (typeof p === 'number' ? p : String(p))) }));
      }
    }
    nodes.set(node.id, { node, def, config: parsed.success ? parsed.data : null, configOk: parsed.success, columns: null });
  }

  for (const id of topoOrder(index)) {
    const state = nodes.get(id);
    if (!state?.def || !state.configOk) continue;
    const parents = index.parents.get(id) ?? [];
    let input: TColumn[] | null = null;
    if (state.def.meta.inputs === 1) {
      if (parents.length !== 1) continue;
      input = nodes.get(parents[0]!)?.columns ?? null;
    }
    const out = state.def.outputColumns({ node: state.node, config: state.config, input, env });
    state.columns = out.columns;
    issues.push(...out.issues);
  }
  return { index, nodes, issues };
}
