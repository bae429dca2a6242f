/**
 * Graph editing for the canvas: pure functions from one TGraph to the next, so
 * undo/redo is a stack of graphs and every rule here is unit-tested
 * (test/app/pipelines/graph-edit.test.ts). Connection rules mirror the
 * validator's structural checks (workflows/graph/validate.ts), so the canvas
 * refuses at drop time what publish would refuse later.
 */
import { z } from 'zod';
import { ZGraphEdge, ZGraphNode, type TGraph, type TGraphEdge, type TGraphNode, type TPosition } from '../../../workflows/graph/schema';
import { findNodeType } from '../../../workflows/nodes/registry';

/** Node card size on the canvas; layout and placement use it. */
export const NODE_WIDTH = 248;
export const NODE_HEIGHT = 104;
const GAP_X = 96;
const GAP_Y = 40;

const ID_PREFIX: Record<string, string> = { query: 'q', filter: 'f', transform: 't', map: 'm', destination: 'd' };

/** The smallest free id of the form <prefix><n> (q1, f2…), like the fixtures and docs use. */
export function newNodeId(type: string, taken: ReadonlySet<string>): string {
  const prefix = ID_PREFIX[type] ?? 'n';
  for (let n = 1; ; n++) {
    const id = `${prefix}${n}`;
    if (!taken.has(id)) return id;
  }
}

function edgeId(source: string, target: string, taken: ReadonlySet<string>): string {
  const base = `${source}-${target}`;
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

export function nodeLabel(node: TGraphNode): string {
  return node.label?.trim() || findNodeType(node.type)?.meta.label || node.type;
}

function overlaps(graph: TGraph, p: TPosition, except?: string): boolean {
  return graph.nodes.some((n) => n.id !== except && Math.abs(n.position.x - p.x) < NODE_WIDTH * 0.6 && Math.abs(n.position.y - p.y) < NODE_HEIGHT * 0.8);
}

/** Moves a proposed position down until it no longer covers another node. */
export function freePosition(graph: TGraph, p: TPosition): TPosition {
  let out = { ...p };
  for (let i = 0; i < 50 && overlaps(graph, out); i++) out = { x: out.x, y: out.y + NODE_HEIGHT + GAP_Y };
  return out;
}

export function createNode(graph: TGraph, type: string, position: TPosition): TGraphNode {
  const def = findNodeType(type);
  if (!def) throw new Error(`unknown node type "${type}"`);
  return { id: newNodeId(type, new Set(graph.nodes.map((n) => n.id))), type, position: freePosition(graph, position), config: def.defaultConfig() };
}

export function addNode(graph: TGraph, type: string, position: TPosition): { graph: TGraph; id: string } {
  const node = createNode(graph, type, position);
  return { graph: { ...graph, nodes: [...graph.nodes, node] }, id: node.id };
}

export type ConnectionCheck = { ok: true } | { ok: false; reason: string };

/**
 * Whether an edge source → target may be drawn. The reasons are toasts: they
 * say what is wrong and what to do instead.
 */
export function checkConnection(graph: TGraph, source: string, target: string): ConnectionCheck {
  const s = graph.nodes.find((n) => n.id === source);
  const t = graph.nodes.find((n) => n.id === target);
  if (!s || !t) return { ok: false, reason: 'One end of the connection no longer exists.' };
  if (source === target) return { ok: false, reason: 'A node cannot feed itself.' };
  const sm = findNodeType(s.type)?.meta;
  const tm = findNodeType(t.type)?.meta;
  if (sm?.outputs === 0) return { ok: false, reason: `${nodeLabel(s)} is a destination: nothing flows out of it.` };
  if (tm?.inputs === 0) return { ok: false, reason: `${nodeLabel(t)} is a query: it reads the warehouse, not another node. Connect it to the node after it instead.` };
  if (graph.edges.some((e) => e.source === source && e.target === target)) return { ok: false, reason: `${nodeLabel(s)} already feeds ${nodeLabel(t)}.` };
  if (s.type === 'map' && t.type !== 'destination') return { ok: false, reason: `A map's output is destination fields, so it can only feed a destination.` };
  if (t.type === 'destination' && s.type !== 'map') return { ok: false, reason: `A destination reads from a map. Add a Map node between ${nodeLabel(s)} and ${nodeLabel(t)} to choose the fields and the match key.` };
  const existing = graph.edges.find((e) => e.target === target);
  if (existing) {
    const from = graph.nodes.find((n) => n.id === existing.source);
    return { ok: false, reason: `${nodeLabel(t)} already reads from ${from ? nodeLabel(from) : existing.source}; a node reads exactly one input. Delete that edge first.` };
  }
  if (s.type === 'map' && graph.edges.some((e) => e.source === source)) return { ok: false, reason: `${nodeLabel(s)} already feeds a destination; give each destination its own map.` };
  if (reaches(graph, target, source)) return { ok: false, reason: `That would make a loop: data flows one way, from queries to destinations.` };
  return { ok: true };
}

function reaches(graph: TGraph, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === to) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const e of graph.edges) if (e.source === id) stack.push(e.target);
  }
  return false;
}

export function connect(graph: TGraph, source: string, target: string): { graph: TGraph } | { error: string } {
  const check = checkConnection(graph, source, target);
  if (!check.ok) return { error: check.reason };
  const id = edgeId(source, target, new Set(graph.edges.map((e) => e.id)));
  return { graph: { ...graph, edges: [...graph.edges, { id, source, target }] } };
}

/**
 * Adds a node after `afterId` (the palette's click-to-add). When the selected
 * node has exactly one child and the new node can sit between them (filter or
 * transform before a map, map before a destination), it is spliced in;
 * otherwise it becomes a new branch. Without a selection it lands at `fallback`.
 */
export function addNodeAfter(graph: TGraph, type: string, afterId: string | null, fallback: TPosition): { graph: TGraph; id: string; note?: string } {
  const after = afterId ? graph.nodes.find((n) => n.id === afterId) : undefined;
  if (!after) return addNode(graph, type, fallback);
  const node = createNode(graph, type, { x: after.position.x + NODE_WIDTH + GAP_X, y: after.position.y });
  let next: TGraph = { ...graph, nodes: [...graph.nodes, node] };
  const children = graph.edges.filter((e) => e.source === after.id);
  if (children.length === 1) {
    const child = children[0]!;
    const without: TGraph = { ...next, edges: next.edges.filter((e) => e.id !== child.id) };
    const a = connect(without, after.id, node.id);
    if ('graph' in a) {
      const b = connect(a.graph, node.id, child.target);
      if ('graph' in b) return { graph: shiftRight(b.graph, child.target, node.id), id: node.id };
    }
  }
  const linked = connect(next, after.id, node.id);
  if ('graph' in linked) next = linked.graph;
  return { graph: next, id: node.id, ...('error' in linked ? { note: linked.error } : {}) };
}

/** Makes room after a splice: the child and everything below it move right by one column. */
function shiftRight(graph: TGraph, from: string, inserted: string): TGraph {
  const move = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const id = stack.pop()!;
    if (move.has(id)) continue;
    move.add(id);
    for (const e of graph.edges) if (e.source === id) stack.push(e.target);
  }
  move.delete(inserted);
  const dx = NODE_WIDTH + GAP_X;
  return { ...graph, nodes: graph.nodes.map((n) => (move.has(n.id) ? { ...n, position: { x: n.position.x + dx, y: n.position.y } } : n)) };
}

/**
 * Removes nodes and their edges. A removed node that sat in the middle of a
 * chain (one input, outputs) is healed over: its parent is connected to its
 * children when that connection is allowed, as n8n does.
 */
export function removeNodes(graph: TGraph, ids: Iterable<string>): TGraph {
  const gone = new Set(ids);
  const bridges: [string, string][] = [];
  for (const id of gone) {
    const parents = graph.edges.filter((e) => e.target === id).map((e) => e.source);
    if (parents.length !== 1 || gone.has(parents[0]!)) continue;
    for (const e of graph.edges) if (e.source === id && !gone.has(e.target)) bridges.push([parents[0]!, e.target]);
  }
  let next: TGraph = { ...graph, nodes: graph.nodes.filter((n) => !gone.has(n.id)), edges: graph.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target)) };
  for (const [s, t] of bridges) {
    const r = connect(next, s, t);
    if ('graph' in r) next = r.graph;
  }
  return next;
}

export function removeEdges(graph: TGraph, ids: Iterable<string>): TGraph {
  const gone = new Set(ids);
  return { ...graph, edges: graph.edges.filter((e) => !gone.has(e.id)) };
}

export function updateNode(graph: TGraph, id: string, patch: (n: TGraphNode) => TGraphNode): TGraph {
  return { ...graph, nodes: graph.nodes.map((n) => (n.id === id ? patch(n) : n)) };
}

export function setConfig(graph: TGraph, id: string, config: unknown): TGraph {
  return updateNode(graph, id, (n) => ({ ...n, config }));
}

export function renameNode(graph: TGraph, id: string, label: string): TGraph {
  return updateNode(graph, id, (n) => {
    const { label: _old, ...rest } = n;
    return label.trim() ? { ...rest, label } : rest;
  });
}

export function moveNodes(graph: TGraph, positions: ReadonlyMap<string, TPosition>): TGraph {
  if (positions.size === 0) return graph;
  return { ...graph, nodes: graph.nodes.map((n) => (positions.has(n.id) ? { ...n, position: positions.get(n.id)! } : n)) };
}

// ───────────── copy / paste ─────────────

export const CLIPBOARD_FORMAT = 'backflow.clipboard';

export const ZClipboard = z.object({
  format: z.literal(CLIPBOARD_FORMAT),
  nodes: z.array(ZGraphNode).min(1).max(500),
  edges: z.array(ZGraphEdge).max(2000),
});
export type TClipboard = z.infer<typeof ZClipboard>;

/** The selected nodes with the edges between them (edges to unselected nodes stay behind). */
export function copyNodes(graph: TGraph, ids: Iterable<string>): TClipboard | null {
  const set = new Set(ids);
  const nodes = graph.nodes.filter((n) => set.has(n.id));
  if (nodes.length === 0) return null;
  const edges = graph.edges.filter((e) => set.has(e.source) && set.has(e.target));
  return { format: CLIPBOARD_FORMAT, nodes: structuredClone(nodes), edges: structuredClone(edges) };
}

/** Reads clipboard text written by copyNodes (possibly from another tab); null when it is something else. */
export function parseClipboard(text: string): TClipboard | null {
  try {
    const parsed = ZClipboard.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Pastes with fresh ids (so a paste never collides with the nodes it was
 * copied from), edges remapped, positions offset. `at` places the pasted
 * group's top-left corner; otherwise it lands 40 px down-right of the original.
 */
export function pasteNodes(graph: TGraph, clip: TClipboard, at?: TPosition): { graph: TGraph; ids: string[] } {
  const taken = new Set(graph.nodes.map((n) => n.id));
  const idMap = new Map<string, string>();
  const minX = Math.min(...clip.nodes.map((n) => n.position.x));
  const minY = Math.min(...clip.nodes.map((n) => n.position.y));
  const dx = at ? at.x - minX : 40;
  const dy = at ? at.y - minY : 40;
  const nodes: TGraphNode[] = clip.nodes.map((n) => {
    const id = newNodeId(n.type, taken);
    taken.add(id);
    idMap.set(n.id, id);
    return { ...structuredClone(n), id, position: { x: n.position.x + dx, y: n.position.y + dy } };
  });
  const edgeIds = new Set(graph.edges.map((e) => e.id));
  const edges: TGraphEdge[] = [];
  for (const e of clip.edges) {
    const source = idMap.get(e.source);
    const target = idMap.get(e.target);
    if (!source || !target) continue;
    const id = edgeId(source, target, edgeIds);
    edgeIds.add(id);
    edges.push({ id, source, target });
  }
  return { graph: { ...graph, nodes: [...graph.nodes, ...nodes], edges: [...graph.edges, ...edges] }, ids: nodes.map((n) => n.id) };
}
