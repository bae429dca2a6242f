/**
 * Autosave: saves the draft a moment after the last edit, one save at a time,
 * with the draft revision as the optimistic-concurrency token. A conflict (the
 * draft was saved elsewhere) stops saving until the user reloads or
 * overwrites; other errors are retried on the next edit or on "save now".
 */
export type SaveState =
  | { status: 'saved'; savedAt: number | null }
  | { status: 'dirty' }
  | { status: 'saving' }
  | { status: 'conflict'; message: string }
  | { status: 'error'; message: string };

export type AutosaverOptions<G> = {
  delayMs: number;
  revision: number;
  /** Saves `graph` on top of `baseRevision`; resolves with the new revision. */
  save(graph: G, baseRevision: number): Promise<number>;
  isConflict(err: unknown): boolean;
  onState(state: SaveState): void;
  now?: () => number;
};

export type Autosaver<G> = {
  /** An edit: saved after `delayMs` of quiet. */
  change(graph: G): void;
  /** Saves now (Ctrl+S, before publish); resolves true when nothing is left unsaved. */
  flush(): Promise<boolean>;
  /** After a reload or an overwrite: a clean slate at `revision`. */
  reset(revision: number): void;
  revision(): number;
  dispose(): void;
};

export function createAutosaver<G>(opts: AutosaverOptions<G>): Autosaver<G> {
  let revision = opts.revision;
  let pending: { graph: G } | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inFlight: Promise<void> | null = null;
  let blocked = false;
  let disposed = false;
  const now = opts.now ?? Date.now;

  const clear = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };

  const run = async (): Promise<void> => {
    clear();
    if (inFlight) {
      await inFlight.catch(() => undefined);
      return pending && !blocked ? run() : undefined;
    }
    if (!pending || blocked || disposed) return;
    const { graph } = pending;
    pending = null;
    opts.onState({ status: 'saving' });
    inFlight = (async () => {
      try {
        revision = await opts.save(graph, revision);
        if (!pending) opts.onState({ status: 'saved', savedAt: now() });
      } catch (err) {
        // Keep the unsaved graph unless a newer edit replaced it meanwhile.
        pending ??= { graph };
        const message = err instanceof Error ? err.message : String(err);
        if (opts.isConflict(err)) {
          blocked = true;
          opts.onState({ status: 'conflict', message });
        } else {
          opts.onState({ status: 'error', message });
        }
        throw err;
      }
    })();
    try {
      await inFlight;
    } catch {
      return;
    } finally {
      inFlight = null;
    }
    // Edits made while saving go out right after.
    if (pending && !blocked) return run();
  };

  return {
    change(graph) {
      if (disposed) return;
      pending = { graph };
      if (blocked) return;
      opts.onState({ status: 'dirty' });
      clear();
      timer = setTimeout(() => void run(), opts.delayMs);
    },
    async flush() {
      await run();
      return !pending && !blocked;
    },
    reset(rev) {
      clear();
      revision = rev;
      pending = null;
      blocked = false;
      opts.onState({ status: 'saved', savedAt: now() });
    },
    revision: () => revision,
    dispose() {
      disposed = true;
      clear();
    },
  };
}
