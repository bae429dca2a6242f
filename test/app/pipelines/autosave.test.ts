/** Autosave (app/pipelines/_lib/autosave.ts): debounce, one save at a time, revisions, conflicts. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAutosaver, type SaveState } from '../../../app/pipelines/_lib/autosave';

class Conflict extends Error {}

function setup(save: (g: string, rev: number) => Promise<number>) {
  const states: SaveState['status'][] = [];
  const saver = createAutosaver<string>({ delayMs: 1000, revision: 3, save, isConflict: (e) => e instanceof Conflict, onState: (s) => states.push(s.status) });
  return { saver, states };
}

describe('autosave', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('saves once after a quiet second, with the latest graph and the current revision', async () => {
    const save = vi.fn(async (_g: string, rev: number) => rev + 1);
    const { saver, states } = setup(save);
    saver.change('a');
    await vi.advanceTimersByTimeAsync(500);
    saver.change('ab');
    await vi.advanceTimersByTimeAsync(999);
    expect(save).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(save).toHaveBeenCalledTimes(1);
    expect(save).toHaveBeenCalledWith('ab', 3);
    expect(saver.revision()).toBe(4);
    expect(states.at(-1)).toBe('saved');
  });

  it('never runs two saves at once; an edit made while saving goes out next, on the new revision', async () => {
    let release: (() => void) | null = null;
    let running = 0;
    let maxRunning = 0;
    const save = vi.fn(async (_g: string, rev: number) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((r) => (release = r));
      running--;
      return rev + 1;
    });
    const { saver } = setup(save);
    saver.change('a');
    await vi.advanceTimersByTimeAsync(1000);
    saver.change('b');
    const flushed = saver.flush();
    await vi.advanceTimersByTimeAsync(0);
    release!();
    await vi.advanceTimersByTimeAsync(0);
    release!();
    expect(await flushed).toBe(true);
    expect(save.mock.calls).toEqual([['a', 3], ['b', 4]]);
    expect(maxRunning).toBe(1);
  });

  it('stops on a conflict and keeps the edit until reset', async () => {
    const save = vi.fn(async () => {
      throw new Conflict('changed elsewhere');
    });
    const { saver, states } = setup(save);
    saver.change('a');
    await vi.advanceTimersByTimeAsync(1000);
    expect(states.at(-1)).toBe('conflict');
    saver.change('b');
    await vi.advanceTimersByTimeAsync(5000);
    expect(save).toHaveBeenCalledTimes(1);
    expect(await saver.flush()).toBe(false);
    saver.reset(9);
    expect(saver.revision()).toBe(9);
    expect(states.at(-1)).toBe('saved');
  });

  it('reports other errors and retries on the next flush', async () => {
    let fail = true;
    const save = vi.fn(async (_g: string, rev: number) => {
      if (fail) throw new Error('network down');
      return rev + 1;
    });
    const { saver, states } = setup(save);
    saver.change('a');
    await vi.advanceTimersByTimeAsync(1000);
    expect(states.at(-1)).toBe('error');
    fail = false;
    expect(await saver.flush()).toBe(true);
    expect(save).toHaveBeenLastCalledWith('a', 3);
    expect(states.at(-1)).toBe('saved');
  });
});
