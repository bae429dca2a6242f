/**
 * Snowflake types → Backflow FieldType, and values → the JSON-safe forms every
 * warehouse source yields (see ../postgres/types.ts): NUMBER with scale 0 as a
 * number when exact (else a decimal string), other NUMBERs as exact decimal
 * strings, timestamps as ISO 8601 UTC with microseconds (TIMESTAMP_NTZ taken
 * to be UTC), dates as YYYY-MM-DD, VARIANT/OBJECT/ARRAY parsed, BINARY as
 * "\x…" hex.
 *
 * The driver is asked for numbers as strings (fetchAsString: ['Number']) so
 * that no digit is lost on the way.
 */
import type { FieldType } from '../../sdk/types';

/** From a result column (driver type names, lower case) or information_schema (DATA_TYPE, upper case). */
export function snowflakeFieldType(type: string, scale: number | null | undefined): FieldType {
  const t = type.toLowerCase();
  if (t === 'fixed' || t === 'number' || t === 'decimal' || t === 'numeric') return scale ? 'number' : 'integer';
  if (t === 'real' || t === 'float' || t === 'double') return 'number';
  if (t === 'boolean') return 'boolean';
  if (t === 'date') return 'date';
  if (t.startsWith('timestamp')) return 'timestamp';
  if (t === 'variant' || t === 'object' || t === 'array' || t === 'map') return 'json';
  return 'string';
}

/** What the driver hands back for DATE/TIMESTAMP_*: a Date carrying epoch seconds and nanoseconds. */
type SfDate = Date & { getEpochSeconds?: () => number; getNanoSeconds?: () => number };

function isSfDate(v: unknown): v is SfDate {
  return v instanceof Date;
}

export function isoFromEpoch(epochSeconds: number, nanoSeconds: number): string {
  const base = new Date(epochSeconds * 1000).toISOString().slice(0, 19);
  const micros = Math.floor(nanoSeconds / 1000);
  return `${base}.${String(micros).padStart(6, '0')}Z`;
}

export type ValueConverter = (v: unknown) => unknown;

export function valueConverter(type: string, scale: number | null | undefined): ValueConverter {
  const t = type.toLowerCase();
  if (t === 'fixed') {
    if (scale) return (v) => (v === null ? null : String(v));
    return (v) => {
      if (v === null) return null;
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : String(v);
    };
  }
  if (t === 'real') return (v) => (v === null ? null : typeof v === 'string' && !/^-?[\d.eE+-]+$/.test(v) ? v : Number(v));
  if (t === 'date') return (v) => (isSfDate(v) ? v.toISOString().slice(0, 10) : v);
  if (t.startsWith('timestamp')) {
    return (v) => {
      if (!isSfDate(v)) return v;
      const secs = v.getEpochSeconds?.();
      const nanos = v.getNanoSeconds?.();
      return secs === undefined || nanos === undefined ? v.toISOString() : isoFromEpoch(secs, nanos);
    };
  }
  if (t === 'binary') return (v) => (Buffer.isBuffer(v) ? `\\x${v.toString('hex')}` : v);
  if (t === 'time') return (v) => (v !== null && typeof v === 'object' && 'toJSON' in v && typeof v.toJSON === 'function' ? String(v.toJSON()) : v);
  return (v) => v;
}
