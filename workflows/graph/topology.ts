/**
 * The graph as adjacency lists, plus the structural questions validation and
 * compiling ask: cycles, order, the chain of nodes above a node, and which
 * nodes reach a destination. Browser-safe.
 */
import type { TGraph } from './schema';

export type GraphIndex = {
  ids: string[];
  parents: Map<string, string[]>;
  children: Map<string, string[]>;
};

/** Indexes the edges whose ends exist (dangling edges are reported by validation). */
export function indexGraph(graph: TGraph): GraphIndex {
  const ids = [...new Set(graph.nodes.map((n) => n.id))];
  const known = new Set(ids);
  const parents = new Map<string, string[]>(ids.map((id) => [id, []]));
  const children = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of graph.edges) {
    if (!known.has(e.source) || !known.has(e.target) || e.source === e.target) continue;
    const p = parents.get(e.target)!;
    if (!p.includes(e.source)) p.push(e.source);
    const c = children.get(e.source)!;
    if (!c.includes(e.target)) c.push(e.target);
  }
  return { ids, parents, children };
}

/** The nodes of one cycle, in order, or null when the graph is acyclic. */
export function findCycle(index: GraphIndex): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    state.set(id, 'open');
    stack.push(id);
    for (const next of index.children.get(id) ?? []) {
      if (state.get(next) === 'open') return stack.slice(stack.indexOf(next));
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 'done');
    return null;
  };
  for (const id of index.ids) {
    if (!state.has(id)) {
      const found = visit(id);
      if (found) return found;
    }
  }
  return null;
}

/** Kahn's order; nodes on cycles are left out. */
export function topoOrder(index: GraphIndex): string[] {
  const indegree = new Map(index.ids.map((id) => [id, index.parents.get(id)!.length]));
  const queue = index.ids.filter((id) => indegree.get(id) === 0);
  const out: string[] = [];
  while (queue.length) {
    const id = queue.shift()!;
    out.push(id);
    for (const c of index.children.get(id) ?? []) {
      indegree.set(c, indegree.get(c)! - 1);
      if (indegree.get(c) === 0) queue.push(c);
    }
  }
  return out;
}

/** Root → … → nodeId following each node's (single) input; stops at a cycle or a fork. */
export function upstreamChain(index: GraphIndex, nodeId: string): string[] {
  const chain = [nodeId];
  const seen = new Set(chain);
  let cur = nodeId;
  for (;;) {
    const parents = index.parents.get(cur) ?? [];
    if (parents.length !== 1) break;
    cur = parents[0]!;
    if (seen.has(cur)) break;
    seen.add(cur);
    chain.unshift(cur);
  }
  return chain;
}

/** Nodes from which some node matching `isTarget` can be reached (targets included). */
export function reachingNodes(index: GraphIndex, isTarget: (id: string) => boolean): Set<string> {
  const out = new Set<string>();
  const queue = index.ids.filter(isTarget);
  for (const id of queue) out.add(id);
  while (queue.length) {
    const id = queue.shift()!;
    for (const p of index.parents.get(id) ?? []) {
      if (!out.has(p)) {
        out.add(p);
        queue.push(p);
      }
    }
  }
  return out;
}
