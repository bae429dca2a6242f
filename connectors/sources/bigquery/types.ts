/**
 * BigQuery types → Backflow FieldType, and REST values (the raw f/v rows of
 * jobs.getQueryResults) → the JSON-safe forms every warehouse source yields
 * (see ../postgres/types.ts): INT64 as a number when exact (else a decimal
 * string), NUMERIC/BIGNUMERIC as exact decimal strings, TIMESTAMP as ISO 8601
 * UTC with microseconds (requested as int64 microseconds), DATETIME taken to
 * be UTC, DATE as YYYY-MM-DD, JSON parsed, STRUCT as objects, REPEATED as
 * arrays, BYTES as "\x…" hex.
 */
import { z } from 'zod';
import type { FieldType } from '../../sdk/types';

export type TableFieldSchema = { name: string; type: string; mode?: string | undefined; fields?: TableFieldSchema[] | undefined };

export const ZTableFieldSchema: z.ZodType<TableFieldSchema> = z.lazy(() =>
  z.object({ name: z.string(), type: z.string(), mode: z.string().optional(), fields: z.array(ZTableFieldSchema).optional() }),
);

const INTEGER = new Set(['INTEGER', 'INT64']);
const NUMBER = new Set(['FLOAT', 'FLOAT64', 'NUMERIC', 'BIGNUMERIC']);

function scalarFieldType(type: string): FieldType {
  const t = type.toUpperCase();
  if (INTEGER.has(t)) return 'integer';
  if (NUMBER.has(t)) return 'number';
  if (t === 'BOOLEAN' || t === 'BOOL') return 'boolean';
  if (t === 'DATE') return 'date';
  if (t === 'TIMESTAMP' || t === 'DATETIME') return 'timestamp';
  if (t === 'RECORD' || t === 'STRUCT' || t === 'JSON') return 'json';
  return 'string';
}

/** From a result schema field (type + mode). */
export function bigQueryFieldType(f: Pick<TableFieldSchema, 'type' | 'mode'>): FieldType {
  if (f.mode === 'REPEATED') return f.type.toUpperCase() === 'STRING' ? 'string_array' : 'json';
  return scalarFieldType(f.type);
}

export function nativeTypeOf(f: Pick<TableFieldSchema, 'type' | 'mode'>): string {
  return f.mode === 'REPEATED' ? `ARRAY<${f.type}>` : f.type;
}

/** From INFORMATION_SCHEMA.COLUMNS.data_type: "INT64", "NUMERIC(10, 2)", "ARRAY<STRING>", "STRUCT<a INT64>". */
export function bigQueryTypeName(dataType: string): FieldType {
  const t = dataType.trim().toUpperCase();
  if (t.startsWith('ARRAY<')) return t === 'ARRAY<STRING>' ? 'string_array' : 'json';
  if (t.startsWith('STRUCT<')) return 'json';
  return scalarFieldType(t.replace(/\(.*\)$/, ''));
}

/** int64 microseconds since the epoch → "YYYY-MM-DDTHH:MM:SS.ffffffZ". */
export function isoFromMicros(micros: string): string {
  const big = BigInt(micros);
  let ms = big / 1000n;
  let rest = big % 1000n;
  if (rest < 0n) {
    rest += 1000n;
    ms -= 1n;
  }
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 23)}${String(rest).padStart(3, '0')}Z`;
}

function cellValue(c: unknown): unknown {
  return typeof c === 'object' && c !== null && 'v' in c ? c.v : null;
}

function scalar(type: string, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  const s = String(v);
  switch (type.toUpperCase()) {
    case 'INTEGER':
    case 'INT64': {
      const n = Number(s);
      return Number.isSafeInteger(n) ? n : s;
    }
    case 'FLOAT':
    case 'FLOAT64': {
      const n = Number(s);
      return Number.isFinite(n) ? n : s;
    }
    case 'BOOLEAN':
    case 'BOOL':
      return s === 'true';
    case 'TIMESTAMP':
      // int64 microseconds (formatOptions.useInt64Timestamp), or the older float seconds.
      return /^-?\d+$/.test(s) ? isoFromMicros(s) : new Date(Number(s) * 1000).toISOString();
    case 'DATETIME':
      return `${s}Z`;
    case 'JSON':
      try {
        return JSON.parse(s);
      } catch {
        return s;
      }
    case 'BYTES':
      return `\\x${Buffer.from(s, 'base64').toString('hex')}`;
    default:
      return s;
  }
}

/** One value of a raw f/v row, following its schema field (nested records and arrays included). */
export function decodeValue(field: TableFieldSchema, v: unknown): unknown {
  if (v === null || v === undefined) return field.mode === 'REPEATED' ? [] : null;
  if (field.mode === 'REPEATED') {
    const items = Array.isArray(v) ? v : [];
    return items.map((item) => decodeValue({ ...field, mode: 'NULLABLE' }, cellValue(item)));
  }
  const t = field.type.toUpperCase();
  if (t === 'RECORD' || t === 'STRUCT') {
    const cells = typeof v === 'object' && v !== null && 'f' in v && Array.isArray(v.f) ? v.f : [];
    const out: Record<string, unknown> = {};
    (field.fields ?? []).forEach((sub, i) => {
      out[sub.name] = decodeValue(sub, cellValue(cells[i]));
    });
    return out;
  }
  return scalar(t, v);
}
