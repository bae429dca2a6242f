/** Chart and progress shaping of the runs screens (app/runs/_lib/counts.ts, controls.ts, daily.ts). */
import { describe, expect, it } from 'vitest';
import { availableControls } from '../../../app/runs/_lib/controls';
import {
  batchPercent,
  emptyCounts,
  funnelRows,
  liveTarget,
  outcomeSegments,
  outcomeSummary,
  stepStates,
  sumCounts,
  type TLiveProgress,
  type TStoredTarget,
  type TTargetCounts,
} from '../../../app/runs/_lib/counts';
import { bucketRunsByDay, dayKey, statusesPresent, windowStart } from '../../../app/runs/_lib/daily';

const counts = (c: Partial<TTargetCounts>): TTargetCounts => ({ ...emptyCounts(), ...c });

const stored = (c: Partial<TStoredTarget>): TStoredTarget => ({
  ...emptyCounts(),
  nodeId: 'crm',
  phase: 'extract',
  status: 'running',
  batchesTotal: 0,
  batchesDone: 0,
  heldDeletes: 0,
  error: null,
  ...c,
});

const progress = (c: Partial<TLiveProgress>): TLiveProgress => ({
  nodeId: 'crm',
  phase: 'extract',
  extracted: 0,
  batches: 0,
  batchesDone: 0,
  accepted: 0,
  rejected: 0,
  exhausted: 0,
  held: 0,
  heldReason: null,
  fatal: null,
  status: null,
  ...c,
});

describe('sums and outcome bar', () => {
  it('adds the counts of every destination', () => {
    const total = sumCounts([counts({ queried: 10, added: 4, accepted: 3, rejected: 1 }), counts({ queried: 5, removed: 2, accepted: 2 })]);
    expect(total).toMatchObject({ queried: 15, added: 4, removed: 2, accepted: 5, rejected: 1 });
  });

  it('drops empty outcome segments and makes the rest add up to 100 %', () => {
    const segs = outcomeSegments({ accepted: 6, rejected: 3, exhausted: 0, skipped: 1 });
    expect(segs.map((s) => s.key)).toEqual(['accepted', 'rejected', 'skipped']);
    expect(segs.map((s) => s.percent)).toEqual([60, 30, 10]);
    expect(outcomeSegments({ accepted: 0, rejected: 0, exhausted: 0, skipped: 0 })).toEqual([]);
  });

  it('says the same in words', () => {
    expect(outcomeSummary({ accepted: 1200, rejected: 3, exhausted: 0, skipped: 0 })).toBe('1,200 accepted, 3 rejected');
    expect(outcomeSummary({ accepted: 0, rejected: 0, exhausted: 0, skipped: 0 })).toBe('nothing delivered');
  });
});

describe('funnelRows', () => {
  it('orders query → diff → deliver and keeps zero rows for a stable chart', () => {
    const rows = funnelRows(counts({ queried: 100, invalid: 10, added: 90, accepted: 88, rejected: 2 }));
    expect(rows.map((r) => r.key)).toEqual(['queried', 'invalid', 'unchanged', 'added', 'changed', 'removed', 'accepted', 'rejected', 'exhausted', 'skipped']);
    expect(rows.map((r) => r.stage)).toEqual(['query', 'diff', 'diff', 'diff', 'diff', 'diff', 'deliver', 'deliver', 'deliver', 'deliver']);
    expect(rows.find((r) => r.key === 'rejected')?.value).toBe(2);
    expect(rows.find((r) => r.key === 'changed')?.value).toBe(0);
  });
});

describe('liveTarget', () => {
  it('takes the live progress where it is ahead of the stored row', () => {
    const t = liveTarget(
      stored({ phase: 'diff', queried: 0, batchesTotal: 0, accepted: 0 }),
      progress({ phase: 'deliver', extracted: 500, batches: 5, batchesDone: 2, accepted: 200, rejected: 1 }),
    );
    expect(t).toMatchObject({ phase: 'deliver', queried: 500, batchesTotal: 5, batchesDone: 2, accepted: 200, rejected: 1 });
  });

  it('never moves a number or the phase backwards when the stored row is ahead', () => {
    const t = liveTarget(
      stored({ phase: 'done', status: 'succeeded', queried: 500, batchesTotal: 5, batchesDone: 5, accepted: 500 }),
      progress({ phase: 'deliver', extracted: 500, batches: 5, batchesDone: 4, accepted: 400 }),
    );
    expect(t).toMatchObject({ phase: 'done', batchesDone: 5, accepted: 500 });
  });

  it('reports held deletions with their reason from the workflow, and a fatal error', () => {
    const t = liveTarget(stored({ phase: 'deliver', heldDeletes: 0 }), progress({ phase: 'confirm', held: 40, heldReason: 'fewer than half', fatal: 'boom' }));
    expect(t).toMatchObject({ phase: 'confirm', held: 40, heldReason: 'fewer than half', error: 'boom' });
    expect(liveTarget(stored({ heldDeletes: 7 }), undefined)).toMatchObject({ held: 7, heldReason: null });
  });
});

describe('stepStates', () => {
  const states = (t: Partial<TStoredTarget>, waiting = false) => stepStates({ ...stored(t) }, waiting).map((s) => s.state);

  it('marks the current step while running', () => {
    expect(states({ phase: 'extract' })).toEqual(['current', 'todo', 'todo', 'todo']);
    expect(states({ phase: 'deliver' })).toEqual(['done', 'done', 'current', 'todo']);
    expect(states({ phase: 'finalize' })).toEqual(['done', 'done', 'done', 'current']);
  });

  it('shows a deliver step waiting for confirmation', () => {
    expect(states({ phase: 'confirm' })).toEqual(['done', 'done', 'waiting', 'todo']);
    expect(states({ phase: 'deliver' }, true)).toEqual(['done', 'done', 'waiting', 'todo']);
  });

  it('ticks every step of a target that finished well', () => {
    expect(states({ phase: 'done', status: 'succeeded' })).toEqual(['done', 'done', 'done', 'done']);
    expect(states({ phase: 'done', status: 'partial', queried: 5, added: 5, batchesTotal: 1, batchesDone: 1 })).toEqual(['done', 'done', 'done', 'done']);
  });

  it('marks the step a failed or cancelled target stopped at, from what its counts prove', () => {
    expect(states({ phase: 'done', status: 'failed' })).toEqual(['failed', 'todo', 'todo', 'todo']);
    expect(states({ phase: 'done', status: 'failed', queried: 100 })).toEqual(['done', 'failed', 'todo', 'todo']);
    expect(states({ phase: 'done', status: 'cancelled', queried: 100, added: 100, batchesTotal: 4, batchesDone: 2 })).toEqual(['done', 'done', 'stopped', 'todo']);
    expect(states({ phase: 'done', status: 'failed', queried: 100, added: 100, batchesTotal: 4, batchesDone: 4 })).toEqual(['done', 'done', 'done', 'failed']);
  });
});

describe('batchPercent', () => {
  it('is unknown until batches are planned, then capped at 100', () => {
    expect(batchPercent(0, 0)).toBeNull();
    expect(batchPercent(1, 3)).toBe(33);
    expect(batchPercent(5, 4)).toBe(100);
  });
});

describe('availableControls', () => {
  it('offers pause and cancel on a running run to operators, nothing to viewers', () => {
    expect(availableControls({ status: 'running', role: 'operator', failedRows: 0 })).toEqual(['pause', 'cancel']);
    expect(availableControls({ status: 'running', role: 'viewer', failedRows: 0 })).toEqual([]);
    expect(availableControls({ status: 'running', role: null, failedRows: 0 })).toEqual([]);
  });

  it('offers resume once a pause was requested, even before the status changes', () => {
    expect(availableControls({ status: 'running', role: 'operator', failedRows: 0, pauseRequested: true })).toEqual(['resume', 'cancel']);
    expect(availableControls({ status: 'paused', role: 'operator', failedRows: 0 })).toEqual(['resume', 'cancel']);
  });

  it('lets editors confirm deletions and operators only skip them', () => {
    expect(availableControls({ status: 'needs_confirmation', role: 'editor', failedRows: 0 })).toEqual(['confirmDeletes', 'skipDeletes', 'cancel']);
    expect(availableControls({ status: 'needs_confirmation', role: 'operator', failedRows: 0 })).toEqual(['skipDeletes', 'cancel']);
  });

  it('offers retry only when rows failed, and reset only to editors', () => {
    expect(availableControls({ status: 'partial', role: 'editor', failedRows: 3 })).toEqual(['retryFailed', 'runAgain', 'resetState']);
    expect(availableControls({ status: 'succeeded', role: 'editor', failedRows: 0 })).toEqual(['runAgain', 'resetState']);
    expect(availableControls({ status: 'failed', role: 'operator', failedRows: 2 })).toEqual(['retryFailed', 'runAgain']);
    expect(availableControls({ status: 'succeeded', role: 'viewer', failedRows: 0 })).toEqual([]);
  });
});

describe('bucketRunsByDay', () => {
  // Local-time constructors: the buckets are local days, whatever the machine's zone.
  const now = new Date(2026, 2, 10, 15, 30);
  const run = (d: Date, status: string, c: Partial<TTargetCounts> = {}) => ({ createdAt: d, status, targets: [counts(c)] });

  it('has one bucket per day, oldest first, empty days included', () => {
    const b = bucketRunsByDay([], now, 7);
    expect(b.map((x) => x.key)).toEqual(['2026-03-04', '2026-03-05', '2026-03-06', '2026-03-07', '2026-03-08', '2026-03-09', '2026-03-10']);
    expect(b.every((x) => x.total === 0 && x.rowsSynced === 0)).toBe(true);
    expect(b[6]?.label).toBe('Tue 10');
  });

  it('counts runs per status and rows per day, and ignores runs outside the window', () => {
    const b = bucketRunsByDay(
      [
        run(new Date(2026, 2, 10, 0, 5), 'succeeded', { accepted: 100 }),
        run(new Date(2026, 2, 10, 9, 0), 'partial', { accepted: 40, rejected: 3, exhausted: 2 }),
        run(new Date(2026, 2, 4, 0, 0), 'failed'),
        run(new Date(2026, 2, 3, 23, 59), 'succeeded', { accepted: 999 }),
        run(new Date(2026, 2, 9, 12, 0), 'mystery'),
      ],
      now,
      7,
    );
    const today = b[6];
    expect(today).toMatchObject({ total: 2, succeeded: 1, partial: 1, rowsSynced: 140, rowsFailed: 5 });
    expect(b[0]).toMatchObject({ key: '2026-03-04', total: 1, failed: 1 });
    expect(b[5]).toMatchObject({ total: 1, succeeded: 0, failed: 0 });
    expect(b.reduce((n, x) => n + x.rowsSynced, 0)).toBe(140);
    expect(statusesPresent(b)).toEqual(['succeeded', 'partial', 'failed']);
  });

  it('starts the window at local midnight', () => {
    expect(windowStart(now, 7)).toEqual(new Date(2026, 2, 4));
    expect(dayKey(new Date(2026, 0, 5, 23, 59))).toBe('2026-01-05');
  });
});
