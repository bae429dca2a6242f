/**
 * DuckDB. Notes: `/` on integers returns a double, so integer division uses
 * `//` (truncates toward zero); a double → DECIMAL cast goes through text,
 * because the direct cast multiplies in floating point and drifts in the last
 * digits; TRY_CAST gives NULL for impossible dates.
 */
import type { FieldType } from '../../../connectors/sdk/types';
import type { DateUnit } from '../expr/ast';
import { TEXT_PATTERNS } from '../expr/patterns';
import { assertIdentifier, Dialect, quoteStandard } from './dialect';

const INTERVAL_FN: Record<DateUnit, [fn: string, factor: number]> = {
  year: ['TO_MONTHS', 12],
  quarter: ['TO_MONTHS', 3],
  month: ['TO_MONTHS', 1],
  week: ['TO_DAYS', 7],
  day: ['TO_DAYS', 1],
  hour: ['TO_HOURS', 1],
  minute: ['TO_MINUTES', 1],
  second: ['TO_SECONDS', 1],
};

export class DuckDbDialect extends Dialect {
  readonly name = 'duckdb' as const;

  quoteIdent(name: string): string {
    assertIdentifier(name);
    return `"${name.replace(/"/g, '""')}"`;
  }
  string(value: string): string {
    if (value.includes('\u0000')) throw new Error('text literals cannot contain NUL characters');
    return quoteStandard(value);
  }
  number(n: number): string {
    return `CAST(${quoteStandard(String(n))} AS DOUBLE)`;
  }
  json(text: string): string {
    return `CAST(${this.string(text)} AS JSON)`;
  }
  stringArray(values: string[]): string {
    return `CAST([${values.map((v) => this.string(v)).join(', ')}] AS VARCHAR[])`;
  }
  sqlType(t: FieldType): string {
    const types: Record<FieldType, string> = {
      string: 'VARCHAR',
      integer: 'BIGINT',
      number: 'DOUBLE',
      boolean: 'BOOLEAN',
      date: 'DATE',
      timestamp: 'TIMESTAMP',
      json: 'JSON',
      string_array: 'VARCHAR[]',
    };
    return types[t];
  }

  intDiv(a: string, b: string): string {
    return `(${a} // NULLIF(${b}, 0))`;
  }
  truncToInteger(x: string): string {
    return `CAST(TRUNC(${x}) AS BIGINT)`;
  }

  override trimSpaces(x: string): string {
    return `TRIM(${x}, ' ')`;
  }
  sha256(x: string): string {
    return `SHA256(${x})`;
  }
  contains(x: string, needle: string): string {
    return `CONTAINS(${x}, ${needle})`;
  }
  startsWith(x: string, prefix: string): string {
    return `STARTS_WITH(${x}, ${prefix})`;
  }
  matches(x: string, pattern: string): string {
    return `REGEXP_FULL_MATCH(${x}, ${this.string(pattern)})`;
  }

  private decimal(x: string): string {
    return `CAST(CAST(${x} AS VARCHAR) AS DECIMAL(38, 18))`;
  }
  roundNumber(x: string, digits: number): string {
    return `CAST(CAST(ROUND(${this.decimal(x)}, ${digits}) AS VARCHAR) AS DOUBLE)`;
  }
  numberToString(x: string): string {
    return `RTRIM(RTRIM(CAST(ROUND(${this.decimal(x)}, 10) AS VARCHAR), '0'), '.')`;
  }

  currentTimestamp(): string {
    return `CAST(TIMEZONE('UTC', GET_CURRENT_TIMESTAMP()) AS TIMESTAMP)`;
  }
  formatDate(x: string): string {
    return `STRFTIME(${x}, '%Y-%m-%d')`;
  }
  formatTimestamp(x: string): string {
    return `STRFTIME(${x}, '%Y-%m-%d %H:%M:%S')`;
  }
  dateTrunc(unit: DateUnit, x: string, type: 'date' | 'timestamp'): string {
    // The CASE hides date_trunc from DuckDB 1.5's optimizer, which folds
    // "date_trunc(…) <> unaligned constant" to TRUE even when the value is NULL.
    return `(CASE WHEN ${x} IS NULL THEN NULL ELSE CAST(DATE_TRUNC('${unit}', ${x}) AS ${type === 'date' ? 'DATE' : 'TIMESTAMP'}) END)`;
  }
  dateAdd(x: string, amount: string, unit: DateUnit, type: 'date' | 'timestamp'): string {
    const [fn, factor] = INTERVAL_FN[unit];
    const n = `CAST(${factor === 1 ? amount : `(${amount} * ${factor})`} AS ${fn === 'TO_SECONDS' ? 'DOUBLE' : 'INTEGER'})`;
    return `CAST((${x} + ${fn}(${n})) AS ${type === 'date' ? 'DATE' : 'TIMESTAMP'})`;
  }
  diffMicros(a: string, b: string): string {
    return `(EPOCH_US(${b}) - EPOCH_US(${a}))`;
  }
  year(x: string): string {
    return `YEAR(${x})`;
  }
  month(x: string): string {
    return `MONTH(${x})`;
  }
  positionInMonth(x: string): string {
    return `(CAST(DAY(${x}) AS BIGINT) * 86400000000 + (EPOCH_US(${x}) - EPOCH_US(DATE_TRUNC('day', ${x}))))`;
  }
  textToDate(x: string): string {
    return `(CASE WHEN ${this.matches(x, TEXT_PATTERNS.date)} AND SUBSTR(${x}, 1, 4) <> '0000' THEN TRY_CAST(${x} AS DATE) END)`;
  }
  textToTimestamp(x: string): string {
    return `(CASE WHEN ${this.matches(x, TEXT_PATTERNS.timestamp)} AND SUBSTR(${x}, 1, 4) <> '0000' AND ${this.timeFieldsInRange(x)} THEN TRY_CAST(REPLACE(${x}, 'T', ' ') AS TIMESTAMP) END)`;
  }

  override normalizeColumn(x: string, type: FieldType, nativeType: string | undefined): string {
    if (type === 'timestamp') {
      if (nativeType && /WITH TIME ZONE|TIMESTAMPTZ/i.test(nativeType)) return `CAST(TIMEZONE('UTC', ${x}) AS TIMESTAMP)`;
      if (nativeType && /^TIMESTAMP$/i.test(nativeType)) return x;
      return `CAST(${x} AS TIMESTAMP)`;
    }
    if (type === 'number' && nativeType && /^DOUBLE$/i.test(nativeType)) return x;
    return super.normalizeColumn(x, type, nativeType);
  }
}
