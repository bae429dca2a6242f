/**
 * The Overview's day-by-day view of recent runs: runs per status per day and
 * rows synced per day, in the viewer's local time zone (a "day" is what the
 * person reading the chart calls a day).
 */
import { sumCounts, type TTargetCounts } from './counts';
import { RUN_STATUSES, ZRunStatus, type TRunStatus } from './status';

export type TDayBucket = { key: string; label: string; total: number; rowsSynced: number; rowsFailed: number } & Record<TRunStatus, number>;

export type TRunForDay = { createdAt: Date | string; status: string; targets: readonly TTargetCounts[] };

/** Local calendar day as YYYY-MM-DD. */
export function dayKey(date: Date | string): string {
  const d = new Date(date);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Midnight (local) `days - 1` days before `now`: the first instant the chart covers. */
export function windowStart(now: Date, days: number): Date {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() - (days - 1));
}

function emptyBucket(day: Date): TDayBucket {
  const statuses: Record<TRunStatus, number> = {
    queued: 0, running: 0, paused: 0, needs_confirmation: 0, succeeded: 0, partial: 0, failed: 0, cancelled: 0,
  };
  return {
    key: dayKey(day),
    label: `${day.toLocaleDateString('en-US', { weekday: 'short' })} ${day.getDate()}`,
    total: 0,
    rowsSynced: 0,
    rowsFailed: 0,
    ...statuses,
  };
}

/**
 * One bucket per day of the window, oldest first, empty days included (a gap
 * in a bar chart reads as "nothing ran", which is the truth). Runs outside the
 * window are ignored; a status the client does not know is counted in `total` only.
 */
export function bucketRunsByDay(runs: readonly TRunForDay[], now: Date, days = 7): TDayBucket[] {
  const start = windowStart(now, days);
  const buckets = Array.from({ length: days }, (_, i) => emptyBucket(new Date(start.getFullYear(), start.getMonth(), start.getDate() + i)));
  const byKey = new Map(buckets.map((b) => [b.key, b]));
  for (const run of runs) {
    const bucket = byKey.get(dayKey(run.createdAt));
    if (!bucket) continue;
    bucket.total += 1;
    const status = ZRunStatus.safeParse(run.status);
    if (status.success) bucket[status.data] += 1;
    const c = sumCounts(run.targets);
    bucket.rowsSynced += c.accepted;
    bucket.rowsFailed += c.rejected + c.exhausted;
  }
  return buckets;
}

/** Statuses that appear at least once in the buckets, in the enum's order (the chart's legend). */
export function statusesPresent(buckets: readonly TDayBucket[]): TRunStatus[] {
  return RUN_STATUSES.filter((s) => buckets.some((b) => b[s] > 0));
}
