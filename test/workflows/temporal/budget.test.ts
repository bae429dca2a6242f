/**
 * The delivery budget (workflows/temporal/budget.ts): every execution of a run
 * schedules the same number of deliver activities whatever the row count, and
 * long runs make those activities bigger instead of continuing as new more
 * often.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deliveryBudget } from '../../../workflows/temporal/budget';

const activitiesPerExecution = (b: { perActivity: number; perExecution: number }) => Math.ceil(b.perExecution / b.perActivity);

describe('deliveryBudget', () => {
  it('gives a short run 100,000 rows per execution in activities of about 40,000 rows', () => {
    // The benchmark's sink: batches of 10,000 rows.
    expect(deliveryBudget(10_000, 10)).toEqual({ perActivity: 4, perExecution: 10 });
    expect(deliveryBudget(10_000, 30)).toEqual({ perActivity: 4, perExecution: 10 });
    // A small-batch API: at most 8 batches per activity.
    expect(deliveryBudget(100, 50)).toEqual({ perActivity: 8, perExecution: 1000 });
  });

  it('grows a long run into about three executions of the same number of activities', () => {
    // 1M rows of 10,000: 3 activities per execution, as at 100k rows, but of 14 batches each.
    const million = deliveryBudget(10_000, 100);
    expect(million).toEqual({ perActivity: 14, perExecution: 40 });
    expect(activitiesPerExecution(million)).toBe(activitiesPerExecution(deliveryBudget(10_000, 10)));
    expect(Math.ceil(100 / million.perExecution)).toBe(3);
  });

  it('stops growing at 250,000 rows per activity', () => {
    const fiveMillion = deliveryBudget(10_000, 500);
    expect(fiveMillion).toEqual({ perActivity: 20, perExecution: 60 });
    expect(fiveMillion.perActivity * 10_000).toBeLessThanOrEqual(250_000);
  });

  it('takes explicit settings as given', () => {
    expect(deliveryBudget(10_000, 1000, { batchesPerExecution: 3 })).toEqual({ perActivity: 4, perExecution: 3 });
    expect(deliveryBudget(250, 1000, { batchesPerActivity: 2 })).toEqual({ perActivity: 2, perExecution: 400 });
  });

  it('grows a budget set in rows like the default one', () => {
    expect(deliveryBudget(10_000, 6, { rowsPerExecution: 20_000 })).toEqual({ perActivity: 4, perExecution: 2 });
    expect(deliveryBudget(10_000, 12, { rowsPerExecution: 20_000 })).toEqual({ perActivity: 4, perExecution: 4 });
  });

  it('keeps the activities per execution, and bounds the rows per activity, for any batch size and row count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50_000 }), fc.integer({ min: 0, max: 1_000_000 }), (batchSize, batches) => {
        const base = deliveryBudget(batchSize, 0);
        const b = deliveryBudget(batchSize, batches);
        expect(activitiesPerExecution(b)).toBe(activitiesPerExecution(base));
        expect(b.perExecution % base.perExecution).toBe(0);
        expect(b.perActivity).toBeGreaterThanOrEqual(base.perActivity);
        expect(b.perActivity * batchSize).toBeLessThanOrEqual(Math.max(250_000, base.perActivity * batchSize));
      }),
      { numRuns: 2000 },
    );
  });
});
