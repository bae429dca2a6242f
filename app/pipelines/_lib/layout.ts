/**
 * Auto-layout: dagre places the graph left to right (queries on the left,
 * destinations on the right), one rank per step of the pipeline. Disconnected
 * nodes are laid out too, below the connected ones.
 */
import { Graph, layout } from '@dagrejs/dagre';
import type { TGraph, TPosition } from '../../../workflows/graph/schema';
import { NODE_HEIGHT, NODE_WIDTH } from './graph-edit';

export function layoutPositions(graph: TGraph, sizes: ReadonlyMap<string, { width: number; height: number }> = new Map()): Map<string, TPosition> {
  const g = new Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 36, ranksep: 64, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) {
    const size = sizes.get(n.id);
    g.setNode(n.id, { width: size?.width ?? NODE_WIDTH, height: size?.height ?? NODE_HEIGHT });
  }
  const ids = new Set(graph.nodes.map((n) => n.id));
  for (const e of graph.edges) if (ids.has(e.source) && ids.has(e.target) && e.source !== e.target) g.setEdge(e.source, e.target);
  layout(g);
  const out = new Map<string, TPosition>();
  for (const n of graph.nodes) {
    const placed = g.node(n.id);
    const size = sizes.get(n.id);
    // dagre gives centres; React Flow positions are top-left corners.
    out.set(n.id, { x: Math.round(placed.x - (size?.width ?? NODE_WIDTH) / 2), y: Math.round(placed.y - (size?.height ?? NODE_HEIGHT) / 2) });
  }
  return out;
}

export function autoLayout(graph: TGraph, sizes?: ReadonlyMap<string, { width: number; height: number }>): TGraph {
  const positions = layoutPositions(graph, sizes);
  return { ...graph, nodes: graph.nodes.map((n) => ({ ...n, position: positions.get(n.id) ?? n.position })) };
}
