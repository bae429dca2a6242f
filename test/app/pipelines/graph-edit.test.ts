/** Canvas graph editing (app/pipelines/_lib/graph-edit.ts): ids, connection rules, add-after, delete with healing, copy/paste. */
import { describe, expect, it } from 'vitest';
import {
  addNode,
  addNodeAfter,
  checkConnection,
  connect,
  copyNodes,
  newNodeId,
  parseClipboard,
  pasteNodes,
  removeEdges,
  removeNodes,
  renameNode,
} from '../../../app/pipelines/_lib/graph-edit';
import { validateGraph } from '../../../workflows/graph/validate';
import { customersPipeline, graphOf, node } from '../../workflows/helpers/graphs';

const chain = () => customersPipeline(); // q1 → f1 → t1 → m1 → d1

describe('newNodeId', () => {
  it('takes the smallest free number per type prefix', () => {
    expect(newNodeId('filter', new Set(['f1', 'f3']))).toBe('f2');
    expect(newNodeId('query', new Set())).toBe('q1');
    expect(newNodeId('mystery', new Set(['n1']))).toBe('n2');
  });
});

describe('checkConnection', () => {
  const g = graphOf([node('q1', 'query', {}), node('q2', 'query', {}), node('f1', 'filter', {}), node('f2', 'filter', {}), node('m1', 'map', {}), node('d1', 'destination', {}), node('d2', 'destination', {})], [['q1', 'f1'], ['m1', 'd1']]);
  it.each([
    ['f1', 'f1', /feed itself/],
    ['d1', 'f1', /destination: nothing flows out/],
    ['f1', 'q2', /is a query/],
    ['q1', 'f1', /already feeds/],
    ['q2', 'f1', /already reads from Query/],
    ['m1', 'f2', /can only feed a destination/],
    ['f1', 'd2', /reads from a map/],
    ['m1', 'd2', /own map/],
  ])('refuses %s → %s', (s, t, reason) => {
    const r = checkConnection(g, s, t);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('refuses a loop and allows a valid edge', () => {
    const loop = graphOf([node('q1', 'query', {}), node('f1', 'filter', {}), node('f2', 'filter', {}), node('f3', 'filter', {})], [['f1', 'f2'], ['f2', 'f3']]);
    const r = checkConnection(loop, 'f3', 'f1');
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/loop/) });
    expect(checkConnection(loop, 'q1', 'f1')).toEqual({ ok: true });
    const added = connect(loop, 'q1', 'f1');
    expect('graph' in added && added.graph.edges.map((e) => e.id)).toContain('q1-f1');
  });

  it('agrees with the validator: every edge it accepts leaves no structural edge issue', () => {
    let g2 = graphOf([node('q1', 'query', {}), node('f1', 'filter', {}), node('m1', 'map', {}), node('d1', 'destination', {})], []);
    for (const [s, t] of [['q1', 'f1'], ['f1', 'm1'], ['m1', 'd1']] as const) {
      const r = connect(g2, s, t);
      if ('error' in r) throw new Error(r.error);
      g2 = r.graph;
    }
    const codes = validateGraph(g2).issues.map((i) => i.code);
    for (const c of ['invalid_edge', 'cycle', 'too_many_inputs', 'destination_without_map', 'map_not_before_destination', 'no_input'] as const) expect(codes).not.toContain(c);
  });
});

describe('addNodeAfter', () => {
  it('splices a filter between a node and its only child, shifting the rest right', () => {
    const g = chain();
    const before = g.nodes.find((n) => n.id === 't1')!.position.x;
    const r = addNodeAfter(g, 'filter', 'f1', { x: 0, y: 0 });
    expect(r.id).toBe('f2');
    const pairs = r.graph.edges.map((e) => `${e.source}>${e.target}`);
    expect(pairs).toContain('f1>f2');
    expect(pairs).toContain('f2>t1');
    expect(pairs).not.toContain('f1>t1');
    expect(r.graph.nodes.find((n) => n.id === 't1')!.position.x).toBeGreaterThan(before);
  });

  it('starts a branch when splicing is not allowed, and reports a refused link', () => {
    const g = chain();
    // A destination after the query cannot be spliced (it needs a map) nor linked directly.
    const r = addNodeAfter(g, 'destination', 'q1', { x: 0, y: 0 });
    expect(r.graph.nodes).toHaveLength(6);
    expect(r.graph.edges.some((e) => e.target === r.id)).toBe(false);
    expect(r.note).toMatch(/reads from a map/);
    // A filter after the query is spliced in before its old child.
    const b = addNodeAfter(chain(), 'filter', 'q1', { x: 0, y: 0 });
    expect(b.graph.edges.map((e) => `${e.source}>${e.target}`)).toEqual(expect.arrayContaining(['q1>f2', 'f2>f1']));
  });

  it('without a selection, places the node at the fallback position, off other nodes', () => {
    const g = graphOf([node('q1', 'query', {})], []);
    const r = addNodeAfter(g, 'filter', null, { x: 0, y: 0 });
    const placed = r.graph.nodes.find((n) => n.id === r.id)!;
    expect(placed.position.y).toBeGreaterThan(0);
    expect(r.graph.edges).toHaveLength(0);
  });
});

describe('removeNodes', () => {
  it('heals over a removed middle node', () => {
    const g = removeNodes(chain(), ['f1']);
    expect(g.nodes.map((n) => n.id)).toEqual(['q1', 't1', 'm1', 'd1']);
    expect(g.edges.map((e) => `${e.source}>${e.target}`)).toEqual(['t1>m1', 'm1>d1', 'q1>t1']);
  });
  it('does not heal into an invalid edge (removing the map leaves the destination unfed)', () => {
    const g = removeNodes(chain(), ['m1']);
    expect(g.edges.some((e) => e.target === 'd1')).toBe(false);
  });
  it('removes a whole selection and edges by id', () => {
    const g = removeNodes(chain(), ['q1', 'f1']);
    expect(g.edges.map((e) => e.id)).toEqual(['t1-m1', 'm1-d1']);
    expect(removeEdges(g, ['t1-m1']).edges.map((e) => e.id)).toEqual(['m1-d1']);
  });
});

describe('copy / paste', () => {
  it('pastes with fresh ids, keeps internal edges only, and offsets positions', () => {
    const g = chain();
    const clip = copyNodes(g, ['f1', 't1'])!;
    expect(clip.edges.map((e) => e.id)).toEqual(['f1-t1']);
    const text = JSON.stringify(clip);
    const parsed = parseClipboard(text)!;
    const r = pasteNodes(g, parsed);
    expect(r.ids).toEqual(['f2', 't2']);
    expect(r.graph.nodes).toHaveLength(7);
    expect(r.graph.edges.at(-1)).toMatchObject({ source: 'f2', target: 't2' });
    const orig = g.nodes.find((n) => n.id === 'f1')!;
    const copy = r.graph.nodes.find((n) => n.id === 'f2')!;
    expect(copy.position).toEqual({ x: orig.position.x + 40, y: orig.position.y + 40 });
    expect(copy.config).toEqual(orig.config);
    // A deep copy: editing the paste does not touch the original.
    expect(copy.config).not.toBe(orig.config);
  });
  it('ignores clipboard text that is not a Backflow selection', () => {
    expect(parseClipboard('hello')).toBeNull();
    expect(parseClipboard(JSON.stringify({ format: 'backflow.clipboard', nodes: [], edges: [] }))).toBeNull();
  });
});

describe('addNode / renameNode', () => {
  it('adds with the type default config and renames (blank clears the label)', () => {
    const r = addNode(graphOf([], []), 'transform', { x: 10, y: 20 });
    expect(r.graph.nodes[0]).toMatchObject({ id: 't1', type: 'transform', position: { x: 10, y: 20 }, config: { columns: [] } });
    const named = renameNode(r.graph, 't1', 'Hash emails');
    expect(named.nodes[0]!.label).toBe('Hash emails');
    expect('label' in renameNode(named, 't1', '  ').nodes[0]!).toBe(false);
  });
});
