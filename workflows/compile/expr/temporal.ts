/**
 * Calendar arithmetic for the JS side of the expression language (evaluator,
 * literal validation). Pure integer math on the proleptic Gregorian calendar,
 * UTC only, years 0001–9999; no Date object, so no local time zone can leak in.
 *
 * Values: a date is 'YYYY-MM-DD'; a timestamp is 'YYYY-MM-DD HH:MM:SS' with
 * '.ffffff' when it has microseconds.
 */

export const MICROS_PER_DAY = 86_400_000_000;

export function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeap(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/** Days since 1970-01-01 (Howard Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(days: number): { y: number; m: number; d: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

export function isValidDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

export function isValidTimestamp(s: string): boolean {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?$/.exec(s);
  if (!m || !isValidDate(m[1]!)) return false;
  return Number(m[2]) <= 23 && Number(m[3]) <= 59 && Number(m[4]) <= 59;
}

export function dateToDays(s: string): number {
  return daysFromCivil(Number(s.slice(0, 4)), Number(s.slice(5, 7)), Number(s.slice(8, 10)));
}

export function daysToDate(days: number): string {
  const { y, m, d } = civilFromDays(days);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

/** A timestamp as whole days since the epoch plus microseconds into the day. */
export type Instant = { days: number; micros: number };

export function parseTimestamp(s: string): Instant {
  const days = dateToDays(s.slice(0, 10));
  const h = Number(s.slice(11, 13));
  const mi = Number(s.slice(14, 16));
  const sec = Number(s.slice(17, 19));
  const frac = s.length > 19 ? Number(s.slice(20).padEnd(6, '0')) : 0;
  return { days, micros: ((h * 60 + mi) * 60 + sec) * 1_000_000 + frac };
}

export function formatTimestamp(t: Instant): string {
  const n = normalize(t);
  const secs = Math.floor(n.micros / 1_000_000);
  const frac = n.micros % 1_000_000;
  const base = `${daysToDate(n.days)} ${pad(Math.floor(secs / 3600), 2)}:${pad(Math.floor(secs / 60) % 60, 2)}:${pad(secs % 60, 2)}`;
  return frac === 0 ? base : `${base}.${pad(frac, 6)}`;
}

function normalize(t: Instant): Instant {
  const carry = Math.floor(t.micros / MICROS_PER_DAY);
  return { days: t.days + carry, micros: t.micros - carry * MICROS_PER_DAY };
}

/** Exact microseconds from a to b, as a bigint (spans beyond 2^53 µs). */
export function diffMicros(a: Instant, b: Instant): bigint {
  return BigInt(b.days - a.days) * BigInt(MICROS_PER_DAY) + BigInt(b.micros - a.micros);
}

export function addMicros(t: Instant, micros: number): Instant {
  return normalize({ days: t.days, micros: t.micros + micros });
}

/** Adds calendar months, clamping the day to the end of the target month (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(days: number, months: number): number {
  const { y, m, d } = civilFromDays(days);
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = total - ny * 12 + 1;
  return daysFromCivil(ny, nm, Math.min(d, daysInMonth(ny, nm)));
}

/** Complete calendar months from a to b, truncated toward zero. */
export function monthsBetween(a: Instant, b: Instant): number {
  const ca = civilFromDays(a.days);
  const cb = civilFromDays(b.days);
  let months = cb.y * 12 + cb.m - (ca.y * 12 + ca.m);
  // Position within the month: day, then time of day.
  const ra = ca.d * MICROS_PER_DAY + a.micros;
  const rb = cb.d * MICROS_PER_DAY + b.micros;
  if (months > 0 && rb < ra) months -= 1;
  else if (months < 0 && rb > ra) months += 1;
  return months;
}
