/** Undo stack (history.ts) and auto-layout (layout.ts). */
import { describe, expect, it } from 'vitest';
import { canRedo, canUndo, createHistory, HISTORY_LIMIT, pushHistory, redo, undo } from '../../../app/pipelines/_lib/history';
import { autoLayout } from '../../../app/pipelines/_lib/layout';
import { customersPipeline, graphOf, node } from '../../workflows/helpers/graphs';

describe('history', () => {
  it('undoes and redoes, and a new edit drops the redo branch', () => {
    let h = createHistory('a');
    h = pushHistory(h, 'b', { at: 0 });
    h = pushHistory(h, 'c', { at: 5000 });
    h = undo(h);
    expect(h.present).toBe('b');
    expect(canRedo(h)).toBe(true);
    h = redo(h);
    expect(h.present).toBe('c');
    h = undo(undo(h));
    expect(h.present).toBe('a');
    expect(canUndo(h)).toBe(false);
    h = pushHistory(h, 'x', { at: 9000 });
    expect(canRedo(h)).toBe(false);
    expect(h.past).toEqual(['a']);
  });

  it('coalesces a burst of edits under one key into one step, but not after a pause or another key', () => {
    let h = createHistory('');
    h = pushHistory(h, 'h', { key: 'name', at: 0 });
    h = pushHistory(h, 'he', { key: 'name', at: 300 });
    h = pushHistory(h, 'hel', { key: 'name', at: 600 });
    expect(h.past).toEqual(['']);
    h = pushHistory(h, 'hel!', { key: 'name', at: 5000 });
    expect(h.past).toEqual(['', 'hel']);
    h = pushHistory(h, 'moved', { key: 'drag', at: 5100 });
    expect(h.past).toEqual(['', 'hel', 'hel!']);
    expect(undo(h).present).toBe('hel!');
  });

  it('keeps at most HISTORY_LIMIT steps', () => {
    let h = createHistory(0);
    for (let i = 1; i <= HISTORY_LIMIT + 20; i++) h = pushHistory(h, i, { at: i * 10_000 });
    expect(h.past).toHaveLength(HISTORY_LIMIT);
    expect(h.past[0]).toBe(20);
  });
});

describe('autoLayout', () => {
  it('lays a chain out left to right and keeps every node apart', () => {
    const g = autoLayout(customersPipeline());
    const xs = ['q1', 'f1', 't1', 'm1', 'd1'].map((id) => g.nodes.find((n) => n.id === id)!.position.x);
    for (let i = 1; i < xs.length; i++) expect(xs[i]!).toBeGreaterThan(xs[i - 1]!);
  });
  it('puts fan-out branches on separate rows', () => {
    const g = autoLayout(graphOf([node('q1', 'query', {}), node('f1', 'filter', {}), node('f2', 'filter', {})], [['q1', 'f1'], ['q1', 'f2']]));
    const [f1, f2] = ['f1', 'f2'].map((id) => g.nodes.find((n) => n.id === id)!.position);
    expect(f1!.x).toBe(f2!.x);
    expect(Math.abs(f1!.y - f2!.y)).toBeGreaterThanOrEqual(100);
  });
});
