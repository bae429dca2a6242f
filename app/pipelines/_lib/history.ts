/**
 * Undo/redo as a stack of immutable snapshots. Edits that arrive in a burst
 * under the same key (typing in one field, dragging the same nodes) coalesce
 * into one undo step, so Ctrl+Z undoes a word or a drag, not a keystroke.
 */
export type History<T> = {
  past: T[];
  present: T;
  future: T[];
  /** Key and time of the last pushed edit, for coalescing. */
  lastKey: string | null;
  lastAt: number;
};

export const HISTORY_LIMIT = 100;
export const COALESCE_MS = 1000;

export function createHistory<T>(present: T): History<T> {
  return { past: [], present, future: [], lastKey: null, lastAt: 0 };
}

/**
 * Records `next` as the new present. With a `key` equal to the previous
 * edit's and within COALESCE_MS of it, the edit merges into that step.
 */
export function pushHistory<T>(h: History<T>, next: T, opts: { key?: string; at?: number } = {}): History<T> {
  if (Object.is(next, h.present)) return h;
  const at = opts.at ?? Date.now();
  const key = opts.key ?? null;
  if (key !== null && key === h.lastKey && at - h.lastAt < COALESCE_MS) {
    return { ...h, present: next, future: [], lastAt: at };
  }
  const past = [...h.past, h.present];
  if (past.length > HISTORY_LIMIT) past.splice(0, past.length - HISTORY_LIMIT);
  return { past, present: next, future: [], lastKey: key, lastAt: at };
}

export function undo<T>(h: History<T>): History<T> {
  if (h.past.length === 0) return h;
  const previous = h.past[h.past.length - 1]!;
  return { past: h.past.slice(0, -1), present: previous, future: [h.present, ...h.future], lastKey: null, lastAt: 0 };
}

export function redo<T>(h: History<T>): History<T> {
  if (h.future.length === 0) return h;
  const [next, ...rest] = h.future;
  return { past: [...h.past, h.present], present: next!, future: rest, lastKey: null, lastAt: 0 };
}

/** Replaces the present without an undo step (a reload, or the server's copy). */
export function resetHistory<T>(present: T): History<T> {
  return createHistory(present);
}

export const canUndo = <T>(h: History<T>) => h.past.length > 0;
export const canRedo = <T>(h: History<T>) => h.future.length > 0;
