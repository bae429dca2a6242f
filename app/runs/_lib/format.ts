/** Number, duration and time formatting for the runs screens. Pure; unit-tested. */

const integer = new Intl.NumberFormat('en-US');
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** 1234 → "1,234"; large values stay exact so counts can be compared digit by digit. */
export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : integer.format(n);
}

/** For chart axes and tight cells: 1234 → "1.2K". */
export function formatCompact(n: number): string {
  return compact.format(n);
}

/** 0.4 s → "400 ms", 65 s → "1m 05s", 2 h 3 min → "2h 03m", 2 days → "2d 4h". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds}s`;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes < 60) return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** ETA from the workflow's progress query; null means "not known yet" (no batch finished). */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return 'estimating…';
  if (seconds <= 0) return 'almost done';
  return `about ${formatDuration(seconds * 1000)} left`;
}

export function formatRate(rowsPerSecond: number | null | undefined): string {
  if (rowsPerSecond === null || rowsPerSecond === undefined) return '—';
  return `${formatCount(Math.round(rowsPerSecond))} rows/s`;
}

type Timed = { createdAt: Date | string; startedAt?: Date | string | null; finishedAt?: Date | string | null };

const ms = (d: Date | string) => new Date(d).getTime();

/**
 * Wall time of a run: from start (or creation, while queued) to finish, or to
 * `now` while it is still going. Null when it never started and is over.
 */
export function runDurationMs(run: Timed, now: number): number | null {
  const start = run.startedAt ? ms(run.startedAt) : null;
  if (run.finishedAt) return start === null ? null : Math.max(0, ms(run.finishedAt) - start);
  return Math.max(0, now - (start ?? ms(run.createdAt)));
}

/** "just now", "5 min ago", "3 h ago", "2 d ago", then the date. */
export function timeAgo(date: Date | string | null | undefined, now: number): string {
  if (!date) return 'never';
  const s = Math.round((now - ms(date)) / 1000);
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  return d < 30 ? `${d} d ago` : new Date(date).toLocaleDateString();
}

/** Absolute local time for titles and detail headers. */
export function formatDateTime(date: Date | string | null | undefined): string {
  if (!date) return '—';
  return new Date(date).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/**
 * A row error's payload excerpt, pretty-printed when it is whole JSON. The
 * engine cuts excerpts at 500 characters (ending in "…"), which is no longer
 * valid JSON: that text is shown as it is.
 */
export function prettyExcerpt(excerpt: string | null | undefined): { text: string; truncated: boolean } | null {
  if (excerpt === null || excerpt === undefined || excerpt === '') return null;
  const truncated = excerpt.endsWith('…');
  if (!truncated) {
    try {
      return { text: JSON.stringify(JSON.parse(excerpt), null, 2), truncated: false };
    } catch {
      // not JSON (a plain string payload): shown as it is
    }
  }
  return { text: excerpt, truncated };
}

/** Flattens a record's last payload into key/value rows; nested values print as JSON. */
export function payloadEntries(payload: unknown): { key: string; value: string; isNull: boolean }[] {
  if (payload === null || payload === undefined || typeof payload !== 'object' || Array.isArray(payload)) return [];
  return Object.entries(payload).map(([key, v]: [string, unknown]) => ({
    key,
    value: v === null ? 'null' : typeof v === 'string' ? v : JSON.stringify(v),
    isNull: v === null,
  }));
}
