/**
 * The delivery budget (workflows/temporal/budget.ts): every execution of a run
 * schedules the same number of deliver activities whatever the row count, and
 * when an execution's deliveries were fast the next one's activities grow, so
 * that no execution ends within Temporal's continue-as-new interval.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { activityBatches, deliveryBudget, MIN_EXECUTION_MS, nextScale, type DeliveryBudget } from '../../../workflows/temporal/budget';

/** The activities an execution schedules for `batches` batches, as activityBatches sizes them. */
function split(budget: DeliveryBudget, batches: number): number[] {
  const sizes: number[] = [];
  let left = Math.min(batches, budget.perExecution);
  while (left > 0) {
    const n = activityBatches(budget, left, sizes.length);
    expect(n).toBeGreaterThan(0);
    sizes.push(n);
    left -= n;
  }
  return sizes;
}

describe('deliveryBudget', () => {
  it('gives 100,000 rows per execution in activities of about 40,000 rows', () => {
    // The benchmark's sink: batches of 10,000 rows.
    expect(deliveryBudget(10_000, 1)).toEqual({ perActivity: 4, perExecution: 10, activities: 3, minPerActivity: 4 });
    expect(split(deliveryBudget(10_000, 1), 100)).toEqual([4, 4, 2]);
    // A small-batch API: at most 8 batches per activity.
    expect(deliveryBudget(100, 1)).toMatchObject({ perActivity: 8, perExecution: 1000, activities: 125 });
  });

  it('grows into the same number of bigger activities, up to 250,000 rows each', () => {
    const grown = deliveryBudget(10_000, 3);
    expect(grown).toMatchObject({ perActivity: 10, perExecution: 30, activities: 3 });
    expect(split(grown, 100)).toEqual([10, 10, 10]);
    // What is left for the last execution is shared out, not handed to one activity.
    expect(split(grown, 14)).toEqual([5, 5, 4]);
    expect(deliveryBudget(10_000, 1000)).toMatchObject({ perActivity: 20, perExecution: 60 });
  });

  it('takes explicit settings as given', () => {
    expect(deliveryBudget(10_000, 50, { batchesPerExecution: 3 })).toMatchObject({ perActivity: 4, perExecution: 3 });
    expect(deliveryBudget(250, 50, { batchesPerActivity: 2 })).toMatchObject({ perActivity: 2, perExecution: 400 });
    expect(nextScale(10_000, { batches: 10, ms: 10 }, { batchesPerExecution: 3 })).toBe(1);
  });
});

describe('nextScale', () => {
  it('grows the budget until an execution takes at least MIN_EXECUTION_MS at the pace of the last one', () => {
    // 10 batches of 10,000 rows in 0.8 s: 30 batches take 2.4 s.
    expect(nextScale(10_000, { batches: 10, ms: 800 })).toBe(3);
    expect(MIN_EXECUTION_MS).toBe(2_000);
    // Slow enough already: no growth.
    expect(nextScale(10_000, { batches: 10, ms: 2_500 })).toBe(1);
    expect(nextScale(100, { batches: 1000, ms: 100_000 })).toBe(1);
    // Very fast: capped at 250,000 rows per activity.
    expect(nextScale(10_000, { batches: 10, ms: 1 })).toBe(6);
    expect(nextScale(10_000, { batches: 0, ms: 0 })).toBe(1);
    expect(nextScale(50, { batches: 10, ms: 100 }, { rowsPerExecution: 500, minExecutionMs: 600_000 })).toBe(625);
  });

  it('keeps the activities per execution and bounds the rows per activity, for any batch size, pace and row count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50_000 }), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 1_000_000 }), (batchSize, batches, ms, total) => {
        const base = deliveryBudget(batchSize, 1);
        const b = deliveryBudget(batchSize, nextScale(batchSize, { batches, ms }));
        expect(b.activities).toBe(base.activities);
        expect(split(b, total).length).toBeLessThanOrEqual(base.activities);
        expect(b.perExecution % base.perExecution).toBe(0);
        expect(b.perActivity * batchSize).toBeLessThanOrEqual(Math.max(250_000, base.perActivity * batchSize));
      }),
      { numRuns: 1000 },
    );
  });
});
