/**
 * The conformance kit's rate-limit verdict (budgetViolation) on its own: it
 * accepts what the shared limiter's fixed windows allow — including a double
 * burst around a window boundary — and refuses two budgets where one was due,
 * on synthetic timestamps and on the real PostgreSQL limiter.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { RateLimiter } from '../../connectors/sdk/types';
import { createLimiterFactory } from '../../workflows/engine/limiter';
import { testPool } from '../helpers/db';
import { budgetViolation, limiterBudget } from './engine-probe-lib';

/** `perWindow` requests at the start of each window, windows `gapMs` apart. */
function bursts(windows: number, perWindow: number, gapMs: number, spreadMs = 2): number[] {
  return Array.from({ length: windows }, (_, w) => Array.from({ length: perWindow }, (_, i) => w * gapMs + i * spreadMs)).flat();
}

describe('budgetViolation', () => {
  test('mirrors the limiter budget for declared rates', () => {
    expect(limiterBudget(9)).toEqual({ perWindow: 9, windowMs: 1000 });
    expect(limiterBudget(2.5)).toEqual({ perWindow: 2, windowMs: 1000 });
    expect(limiterBudget(0.5)).toEqual({ perWindow: 1, windowMs: 2000 });
  });

  test('accepts one budget per window, even with two bursts back to back at a boundary', () => {
    expect(budgetViolation(bursts(5, 5, 1_003), 5, 1000)).toBeNull();
    // The end of one window and the start of the next: 10 requests within 10 ms is legal.
    const boundary = [...Array.from({ length: 5 }, (_, i) => 995 + i), ...Array.from({ length: 5 }, (_, i) => 1_000 + i)];
    expect(budgetViolation(boundary, 5, 1000)).toBeNull();
  });

  test('refuses two budgets per window, and one request more than two windows can hold at a boundary', () => {
    expect(budgetViolation(bursts(4, 10, 1_003), 5, 1000)).toMatch(/^16 requests arrived within \d+ ms/);
    const boundaryPlusOne = Array.from({ length: 11 }, (_, i) => 995 + i);
    expect(budgetViolation(boundaryPlusOne, 5, 1000)).toMatch(/^11 requests arrived within 10 ms/);
  });

  test('on the real PostgreSQL limiter: two processes sharing an account key pass, two separate keys fail', { timeout: 30_000 }, async () => {
    const RATE = 5;
    const TAKES = 8; // per "process": 16 takes need 4 shared windows, but only 2 separate ones
    const { perWindow, windowMs } = limiterBudget(RATE);
    const pool = testPool();
    async function takeTimes(limiters: RateLimiter[]): Promise<number[]> {
      const times: number[] = [];
      await Promise.all(
        limiters.map(async (l) => {
          for (let i = 0; i < TAKES; i++) {
            await l.take();
            times.push(Date.now());
          }
        }),
      );
      return times;
    }
    // Two factories stand for two worker processes (each has its own stores).
    const shared = `budget-test:${randomUUID()}`;
    const sharedTimes = await takeTimes([createLimiterFactory(pool)(shared, { requestsPerSecond: RATE }), createLimiterFactory(pool)(shared, { requestsPerSecond: RATE })]);
    expect(budgetViolation(sharedTimes, perWindow, windowMs)).toBeNull();

    const separateTimes = await takeTimes([
      createLimiterFactory(pool)(`budget-test:${randomUUID()}`, { requestsPerSecond: RATE }),
      createLimiterFactory(pool)(`budget-test:${randomUUID()}`, { requestsPerSecond: RATE }),
    ]);
    expect(budgetViolation(separateTimes, perWindow, windowMs)).not.toBeNull();
  });
});
