/**
 * Shapes a run's per-destination counts for the screens: totals across
 * destinations, the outcome bar, the funnel chart and the phase stepper.
 *
 * Counts come from two places. The RunTarget row holds what the activities
 * recorded (exact once the target is finalized); while a run is active the
 * workflow's progress query can be ahead of it (phase, batches, outcomes).
 * `liveTarget` merges both, never letting a number go backwards.
 */

/** The counts of one destination path, as stored on RunTarget. */
export type TTargetCounts = {
  queried: number;
  invalid: number;
  unchanged: number;
  added: number;
  changed: number;
  removed: number;
  accepted: number;
  rejected: number;
  exhausted: number;
  skipped: number;
};

export const COUNT_KEYS = ['queried', 'invalid', 'unchanged', 'added', 'changed', 'removed', 'accepted', 'rejected', 'exhausted', 'skipped'] as const;

export function emptyCounts(): TTargetCounts {
  return { queried: 0, invalid: 0, unchanged: 0, added: 0, changed: 0, removed: 0, accepted: 0, rejected: 0, exhausted: 0, skipped: 0 };
}

export function sumCounts(targets: readonly TTargetCounts[]): TTargetCounts {
  const total = emptyCounts();
  for (const t of targets) for (const k of COUNT_KEYS) total[k] += t[k];
  return total;
}

/** Rows a retry would send again: rejected by the destination or out of retries. */
export function failedRows(c: Pick<TTargetCounts, 'rejected' | 'exhausted'>): number {
  return c.rejected + c.exhausted;
}

export type TOutcomeKey = 'accepted' | 'rejected' | 'exhausted' | 'skipped';

export const OUTCOME_LABELS: Record<TOutcomeKey, string> = {
  accepted: 'Accepted',
  rejected: 'Rejected',
  exhausted: 'Retries exhausted',
  skipped: 'Skipped',
};

/**
 * Segments of the thin stacked bar: the outcome of every row that needed
 * delivering. Zero segments are dropped; percentages add up to 100.
 */
export function outcomeSegments(c: Pick<TTargetCounts, TOutcomeKey>): { key: TOutcomeKey; label: string; value: number; percent: number }[] {
  const keys: TOutcomeKey[] = ['accepted', 'rejected', 'exhausted', 'skipped'];
  const total = keys.reduce((n, k) => n + c[k], 0);
  if (total === 0) return [];
  return keys.filter((k) => c[k] > 0).map((k) => ({ key: k, label: OUTCOME_LABELS[k], value: c[k], percent: (c[k] / total) * 100 }));
}

/** Plain-text summary of the outcome bar, for screen readers and tooltips. */
export function outcomeSummary(c: Pick<TTargetCounts, TOutcomeKey>): string {
  const parts = outcomeSegments(c).map((s) => `${s.value.toLocaleString('en-US')} ${s.label.toLowerCase()}`);
  return parts.length ? parts.join(', ') : 'nothing delivered';
}

export type TFunnelStage = 'query' | 'diff' | 'deliver';

export type TFunnelRow = { key: (typeof COUNT_KEYS)[number]; label: string; short: string; stage: TFunnelStage; value: number };

const FUNNEL: { key: (typeof COUNT_KEYS)[number]; label: string; short: string; stage: TFunnelStage }[] = [
  { key: 'queried', label: 'Queried', short: 'Queried', stage: 'query' },
  { key: 'invalid', label: 'Invalid', short: 'Invalid', stage: 'diff' },
  { key: 'unchanged', label: 'Unchanged', short: 'Unchanged', stage: 'diff' },
  { key: 'added', label: 'Added', short: 'Added', stage: 'diff' },
  { key: 'changed', label: 'Changed', short: 'Changed', stage: 'diff' },
  { key: 'removed', label: 'Removed', short: 'Removed', stage: 'diff' },
  { key: 'accepted', label: 'Accepted', short: 'Accepted', stage: 'deliver' },
  { key: 'rejected', label: 'Rejected', short: 'Rejected', stage: 'deliver' },
  { key: 'exhausted', label: 'Retries exhausted', short: 'Exhausted', stage: 'deliver' },
  { key: 'skipped', label: 'Skipped', short: 'Skipped', stage: 'deliver' },
];

/**
 * queried → invalid/unchanged/added/changed/removed → accepted/rejected/exhausted/skipped,
 * one bar per count in that order. Every row is kept (zeros included) so the
 * chart's shape is stable while a run fills it in.
 */
export function funnelRows(c: TTargetCounts): TFunnelRow[] {
  return FUNNEL.map((f) => ({ ...f, value: c[f.key] }));
}

/** What the workflow's progress query reports per target (SyncProgress['targets'][number]). */
export type TLiveProgress = {
  nodeId: string;
  phase: string;
  extracted: number;
  batches: number;
  batchesDone: number;
  accepted: number;
  rejected: number;
  exhausted: number;
  held: number;
  heldReason: string | null;
  fatal: string | null;
  status: string | null;
};

export type TStoredTarget = TTargetCounts & {
  nodeId: string;
  phase: string;
  status: string;
  batchesTotal: number;
  batchesDone: number;
  heldDeletes: number;
  error: string | null;
};

export type TLiveTarget = TTargetCounts & {
  nodeId: string;
  phase: string;
  status: string;
  batchesTotal: number;
  batchesDone: number;
  held: number;
  heldReason: string | null;
  error: string | null;
};

const PHASE_ORDER = ['extract', 'diff', 'deliver', 'confirm', 'commit', 'finalize', 'done'];

/** The further of two phases: the stored row may lag the workflow, or (after it finished) lead it. */
function furtherPhase(a: string, b: string): string {
  return PHASE_ORDER.indexOf(b) > PHASE_ORDER.indexOf(a) ? b : a;
}

export function liveTarget(stored: TStoredTarget, live: TLiveProgress | undefined): TLiveTarget {
  const base: TLiveTarget = {
    ...stored,
    held: stored.heldDeletes,
    heldReason: null,
  };
  if (!live) return base;
  return {
    ...base,
    phase: stored.phase === 'done' ? 'done' : furtherPhase(stored.phase, live.phase),
    queried: Math.max(stored.queried, live.extracted),
    batchesTotal: Math.max(stored.batchesTotal, live.batches),
    batchesDone: Math.max(stored.batchesDone, live.batchesDone),
    accepted: Math.max(stored.accepted, live.accepted),
    rejected: Math.max(stored.rejected, live.rejected),
    exhausted: Math.max(stored.exhausted, live.exhausted),
    held: live.held,
    heldReason: live.heldReason,
    error: stored.error ?? live.fatal,
  };
}

export type TStepState = 'done' | 'current' | 'waiting' | 'todo' | 'failed' | 'stopped';

export const STEPS = [
  { key: 'extract', label: 'Extract', hint: 'Read rows from the warehouse' },
  { key: 'diff', label: 'Diff', hint: 'Compare with what the destination holds' },
  { key: 'deliver', label: 'Deliver', hint: 'Send changed rows in batches' },
  { key: 'done', label: 'Done', hint: 'Counts recorded' },
] as const;

type TStepInput = Pick<TLiveTarget, 'phase' | 'status' | 'queried' | 'invalid' | 'unchanged' | 'added' | 'changed' | 'removed' | 'batchesTotal' | 'batchesDone'>;

/**
 * How far a finished target got, from what its counts prove: 0 extract, 1 diff,
 * 2 deliver, 3 all done. An extract that read nothing and then failed looks
 * like a failed extract; that is the likelier story and the error says more.
 */
function stepsProven(t: TStepInput): number {
  const diffed = t.batchesTotal > 0 || t.invalid + t.unchanged + t.added + t.changed + t.removed > 0;
  const extracted = diffed || t.queried > 0;
  const delivered = diffed && t.batchesDone >= t.batchesTotal;
  return !extracted ? 0 : !diffed ? 1 : !delivered ? 2 : 3;
}

/**
 * The stepper's state per step. The engine's finer phases fold into four
 * steps: confirm is a waiting deliver step, commit/finalize are the last step
 * in progress. A target that failed or was cancelled marks the step it stopped
 * at (failed / stopped) and leaves the later ones open, so the outcome does
 * not rest on colour and the reader sees where it broke.
 */
export function stepStates(t: TStepInput, waitingForConfirmation = false): { key: string; label: string; hint: string; state: TStepState }[] {
  const finished = t.phase === 'done';
  const stoppedEarly = finished && (t.status === 'failed' || t.status === 'cancelled');
  const index = stoppedEarly
    ? stepsProven(t)
    : t.phase === 'extract' ? 0 : t.phase === 'diff' ? 1 : t.phase === 'deliver' || t.phase === 'confirm' ? 2 : 3;
  return STEPS.map((s, i) => {
    let state: TStepState;
    if (finished && !stoppedEarly) state = 'done';
    else if (i < index) state = 'done';
    else if (i > index) state = 'todo';
    else if (stoppedEarly) state = t.status === 'failed' ? 'failed' : 'stopped';
    else state = t.phase === 'confirm' || waitingForConfirmation ? 'waiting' : 'current';
    return { key: s.key, label: s.label, hint: s.hint, state };
  });
}

/** Batch progress as a 0–100 percentage, or null when the number of batches is not known yet. */
export function batchPercent(done: number, total: number): number | null {
  if (total <= 0) return null;
  return Math.min(100, Math.round((done / total) * 100));
}
