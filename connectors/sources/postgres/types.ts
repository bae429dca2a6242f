/**
 * PostgreSQL/Redshift types: native type names → Backflow FieldType, and the
 * value parsers that turn the server's text format into JSON-safe values.
 *
 * Values a source yields (the same rules in every warehouse source):
 *   integers   number when exactly representable, else a decimal string (int8 > 2^53)
 *   numeric    decimal string, exact (never a float)
 *   timestamps ISO 8601 in UTC with "Z", keeping the server's precision
 *              (timestamps without a zone are taken to be UTC)
 *   dates      "YYYY-MM-DD"
 *   json       parsed value;  arrays: JS arrays;  bytea: "\x…" hex text;  others: text
 */
import pg from 'pg';
import type { CustomTypesConfig } from 'pg';
import type { FieldType } from '../../sdk/types';

const STRING_ELEMENTS = new Set(['text', 'character varying', 'varchar', 'character', 'char', 'bpchar', 'name', 'citext', 'uuid']);

/**
 * Maps a type name as information_schema (`character varying`, `ARRAY` + udt
 * `_text`), format_type() (`numeric(10,2)`, `text[]`) or Redshift's svv_columns
 * spell it.
 */
export function pgFieldType(nativeType: string): FieldType {
  const s = nativeType.trim().toLowerCase().replace(/\(.*?\)/g, '').replace(/\s+/g, ' ').trim();
  if (s.endsWith('[]') || s.startsWith('_')) {
    const element = s.startsWith('_') ? s.slice(1) : s.slice(0, s.indexOf('['));
    return STRING_ELEMENTS.has(element.trim()) ? 'string_array' : 'json';
  }
  if (/^(smallint|integer|bigint|int|int2|int4|int8|smallserial|serial|bigserial|serial2|serial4|serial8)$/.test(s)) return 'integer';
  if (/^(real|double precision|float|float4|float8|numeric|decimal)$/.test(s)) return 'number';
  if (s === 'boolean' || s === 'bool') return 'boolean';
  if (s === 'date') return 'date';
  if (s.startsWith('timestamp')) return 'timestamp';
  if (s === 'json' || s === 'jsonb') return 'json';
  return 'string';
}

/** information_schema says `ARRAY` / `USER-DEFINED` and puts the real name in udt_name. */
export function informationSchemaTypeName(dataType: string, udtName: string): string {
  if (dataType === 'ARRAY') return `${udtName.replace(/^_/, '')}[]`;
  if (dataType === 'USER-DEFINED') return udtName;
  return dataType;
}

// ───────────────────────────── values ─────────────────────────────

const OID = {
  bytea: 17,
  int8: 20,
  int8Array: 1016,
  textArray: 1009,
  date: 1082,
  dateArray: 1182,
  timestamp: 1114,
  timestampArray: 1115,
  timestamptz: 1184,
  timestamptzArray: 1185,
  interval: 1186,
  intervalArray: 1187,
  numeric: 1700,
  numericArray: 1231,
  money: 790,
} as const;

export function parseInt8(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/**
 * "2024-02-29 13:45:56.789123+00" (the session runs in UTC) or a zone-less
 * "2024-02-29 13:45:56.789123" → "2024-02-29T13:45:56.789123Z". Anything else
 * (infinity, BC dates, another offset) is converted through Date when possible.
 */
export function isoTimestamp(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?:\+00(?::00)?)?$/.exec(text);
  if (m) return `${m[1]}T${m[2]}Z`;
  const d = new Date(text.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'));
  return Number.isNaN(d.getTime()) ? text : d.toISOString();
}

type Nested<T> = T | null | Nested<T>[];

function mapNested<T>(value: unknown, fn: (s: string) => T): Nested<T> {
  if (value === null) return null;
  if (Array.isArray(value)) return value.map((v) => mapNested(v, fn));
  return fn(String(value));
}

const identity = (s: string) => s;

/** A plain number: pg-types' TypeId enum lists scalar types only. */
const TEXT_ARRAY_OID: number = OID.textArray;

/** Type parsers for one client/cursor; the process-wide pg defaults stay untouched. */
export const sourceTypes: CustomTypesConfig = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    if (format === 'binary') return pg.types.getTypeParser(oid, format);
    const textArray = pg.types.getTypeParser(TEXT_ARRAY_OID, 'text');
    const arrayOf = (fn: (s: string) => unknown) => (text: string) => mapNested(textArray(text), fn);
    switch (oid) {
      case OID.int8:
        return parseInt8;
      case OID.int8Array:
        return arrayOf(parseInt8);
      case OID.numeric:
      case OID.date:
      case OID.interval:
      case OID.bytea:
      case OID.money:
        return identity;
      case OID.numericArray:
      case OID.dateArray:
      case OID.intervalArray:
        return arrayOf(identity);
      case OID.timestamp:
      case OID.timestamptz:
        return isoTimestamp;
      case OID.timestampArray:
      case OID.timestamptzArray:
        return arrayOf(isoTimestamp);
      default:
        return pg.types.getTypeParser(oid, 'text');
    }
  },
};
