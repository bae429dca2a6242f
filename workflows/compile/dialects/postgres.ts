/**
 * PostgreSQL (and Redshift, which shares its quoting and most functions).
 * Notes: `/` on bigints truncates toward zero; ROUND(numeric) is half away from
 * zero while ROUND(double) is not, so rounding goes through numeric; text order
 * uses COLLATE "C" (code points) whatever the database locale.
 */
import type { FieldType } from '../../../connectors/sdk/types';
import type { DateUnit } from '../expr/ast';
import { TEXT_PATTERNS } from '../expr/patterns';
import { assertIdentifier, Dialect, quoteStandard } from './dialect';

const INTERVAL_FIELD: Record<DateUnit, [field: string, factor: number]> = {
  year: ['years', 1],
  quarter: ['months', 3],
  month: ['months', 1],
  week: ['weeks', 1],
  day: ['days', 1],
  hour: ['hours', 1],
  minute: ['mins', 1],
  second: ['secs', 1],
};

export class PostgresDialect extends Dialect {
  readonly name: 'postgres' | 'redshift' = 'postgres';

  quoteIdent(name: string): string {
    assertIdentifier(name);
    return `"${name.replace(/"/g, '""')}"`;
  }
  string(value: string): string {
    if (value.includes('\u0000')) throw new Error('text literals cannot contain NUL characters');
    // E'' strings escape backslashes too, so the literal means the same whatever
    // standard_conforming_strings is set to.
    return value.includes('\\') ? `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'` : quoteStandard(value);
  }
  number(n: number): string {
    return `CAST(${quoteStandard(String(n))} AS DOUBLE PRECISION)`;
  }
  json(text: string): string {
    return `CAST(${this.string(text)} AS JSONB)`;
  }
  stringArray(values: string[]): string {
    return `CAST(ARRAY[${values.map((v) => this.string(v)).join(', ')}] AS TEXT[])`;
  }
  sqlType(t: FieldType): string {
    const types: Record<FieldType, string> = {
      string: 'TEXT',
      integer: 'BIGINT',
      number: 'DOUBLE PRECISION',
      boolean: 'BOOLEAN',
      date: 'DATE',
      timestamp: 'TIMESTAMP',
      json: 'JSONB',
      string_array: 'TEXT[]',
    };
    return types[t];
  }

  intDiv(a: string, b: string): string {
    return `(${a} / NULLIF(${b}, 0))`;
  }
  truncToInteger(x: string): string {
    return `CAST(TRUNC(${x}) AS BIGINT)`;
  }

  override orderable(x: string): string {
    return `(${x} COLLATE "C")`;
  }
  override trimSpaces(x: string): string {
    return `BTRIM(${x}, ' ')`;
  }
  sha256(x: string): string {
    return `ENCODE(SHA256(CONVERT_TO(${x}, 'UTF8')), 'hex')`;
  }
  contains(x: string, needle: string): string {
    return `(STRPOS(${x}, ${needle}) > 0)`;
  }
  startsWith(x: string, prefix: string): string {
    return `STARTS_WITH(${x}, ${prefix})`;
  }
  matches(x: string, pattern: string): string {
    return `(${x} ~ ${this.string(pattern)})`;
  }

  private decimal(x: string): string {
    return `CAST(CAST(${x} AS TEXT) AS NUMERIC)`;
  }
  roundNumber(x: string, digits: number): string {
    return `CAST(ROUND(${this.decimal(x)}, ${digits}) AS DOUBLE PRECISION)`;
  }
  numberToString(x: string): string {
    return `RTRIM(RTRIM(CAST(ROUND(${this.decimal(x)}, 10) AS TEXT), '0'), '.')`;
  }

  currentTimestamp(): string {
    return `CAST((NOW() AT TIME ZONE 'UTC') AS TIMESTAMP)`;
  }
  formatDate(x: string): string {
    return `TO_CHAR(${x}, 'YYYY-MM-DD')`;
  }
  formatTimestamp(x: string): string {
    return `TO_CHAR(${x}, 'YYYY-MM-DD HH24:MI:SS')`;
  }
  dateTrunc(unit: DateUnit, x: string, type: 'date' | 'timestamp'): string {
    if (type === 'date') return `CAST(DATE_TRUNC('${unit}', CAST(${x} AS TIMESTAMP)) AS DATE)`;
    return `DATE_TRUNC('${unit}', ${x})`;
  }
  dateAdd(x: string, amount: string, unit: DateUnit, type: 'date' | 'timestamp'): string {
    const [field, factor] = INTERVAL_FIELD[unit];
    const n = `CAST(${factor === 1 ? amount : `(${amount} * ${factor})`} AS INTEGER)`;
    const sum = `(${x} + MAKE_INTERVAL(${field} => ${n}))`;
    return type === 'date' ? `CAST(${sum} AS DATE)` : sum;
  }
  diffMicros(a: string, b: string): string {
    return `CAST(EXTRACT(EPOCH FROM (${b} - ${a})) * 1000000 AS BIGINT)`;
  }
  year(x: string): string {
    return `CAST(EXTRACT(YEAR FROM ${x}) AS BIGINT)`;
  }
  month(x: string): string {
    return `CAST(EXTRACT(MONTH FROM ${x}) AS BIGINT)`;
  }
  positionInMonth(x: string): string {
    return `(CAST(EXTRACT(DAY FROM ${x}) AS BIGINT) * 86400000000 + CAST(EXTRACT(EPOCH FROM (${x} - DATE_TRUNC('day', ${x}))) * 1000000 AS BIGINT))`;
  }
  // The inner CAST AS TEXT matters: PostgreSQL converts a quoted literal cast
  // straight to DATE while parsing, before CASE could skip it.
  textToDate(x: string): string {
    return `(CASE WHEN ${this.matches(x, TEXT_PATTERNS.date)} THEN (CASE WHEN ${this.validCalendarText(x, false)} THEN CAST(CAST(${x} AS TEXT) AS DATE) END) END)`;
  }
  textToTimestamp(x: string): string {
    return `(CASE WHEN ${this.matches(x, TEXT_PATTERNS.timestamp)} THEN (CASE WHEN ${this.validCalendarText(x, true)} THEN CAST(CAST(${x} AS TEXT) AS TIMESTAMP) END) END)`;
  }

  override normalizeColumn(x: string, type: FieldType, nativeType: string | undefined): string {
    if (type === 'timestamp' && nativeType && /with time zone|timestamptz/i.test(nativeType)) {
      return `CAST((${x} AT TIME ZONE 'UTC') AS TIMESTAMP)`;
    }
    if (type === 'number' && nativeType && /^(double precision|float8)$/i.test(nativeType)) return x;
    return super.normalizeColumn(x, type, nativeType);
  }
}
