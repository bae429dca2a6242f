/**
 * Snowflake. Covered by golden-text tests only (no Snowflake in CI). Notes:
 * timestamps are TIMESTAMP_NTZ in UTC; TRY_CAST and TRY_TO_DATE give NULL
 * for impossible dates; backslashes in '…' are escapes, so they are doubled.
 */
import type { FieldType } from '../../../connectors/sdk/types';
import type { DateUnit } from '../expr/ast';
import { TEXT_PATTERNS } from '../expr/patterns';
import { assertIdentifier, Dialect } from './dialect';

export class SnowflakeDialect extends Dialect {
  readonly name = 'snowflake' as const;

  quoteIdent(name: string): string {
    assertIdentifier(name);
    return `"${name.replace(/"/g, '""')}"`;
  }
  string(value: string): string {
    if (value.includes('\u0000')) throw new Error('text literals cannot contain NUL characters');
    return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  }
  number(n: number): string {
    return `CAST('${String(n)}' AS DOUBLE)`;
  }
  override timestamp(s: string): string {
    return `CAST(${this.string(s)} AS TIMESTAMP_NTZ)`;
  }
  json(text: string): string {
    return `PARSE_JSON(${this.string(text)})`;
  }
  stringArray(values: string[]): string {
    return `ARRAY_CONSTRUCT(${values.map((v) => this.string(v)).join(', ')})`;
  }
  sqlType(t: FieldType): string {
    const types: Record<FieldType, string> = {
      string: 'VARCHAR',
      integer: 'NUMBER(38, 0)',
      number: 'DOUBLE',
      boolean: 'BOOLEAN',
      date: 'DATE',
      timestamp: 'TIMESTAMP_NTZ',
      json: 'VARIANT',
      string_array: 'ARRAY',
    };
    return types[t];
  }

  intDiv(a: string, b: string): string {
    return `TRUNC(${a} / NULLIF(${b}, 0))`;
  }
  truncToInteger(x: string): string {
    return `CAST(TRUNC(${x}) AS NUMBER(38, 0))`;
  }
  override mod(a: string, b: string): string {
    return `MOD(${a}, NULLIF(${b}, 0))`;
  }

  override trimSpaces(x: string): string {
    return `TRIM(${x}, ' ')`;
  }
  sha256(x: string): string {
    return `SHA2(${x}, 256)`;
  }
  contains(x: string, needle: string): string {
    return `CONTAINS(${x}, ${needle})`;
  }
  startsWith(x: string, prefix: string): string {
    return `STARTSWITH(${x}, ${prefix})`;
  }
  matches(x: string, pattern: string): string {
    // REGEXP_LIKE matches the whole string; the anchors are harmless.
    return `REGEXP_LIKE(${x}, ${this.string(pattern)})`;
  }

  private decimal(x: string): string {
    return `CAST(CAST(${x} AS VARCHAR) AS NUMBER(38, 18))`;
  }
  roundNumber(x: string, digits: number): string {
    return `CAST(ROUND(${this.decimal(x)}, ${digits}) AS DOUBLE)`;
  }
  numberToString(x: string): string {
    return `RTRIM(RTRIM(CAST(ROUND(${this.decimal(x)}, 10) AS VARCHAR), '0'), '.')`;
  }

  currentTimestamp(): string {
    return `CAST(CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP()) AS TIMESTAMP_NTZ)`;
  }
  formatDate(x: string): string {
    return `TO_CHAR(${x}, 'YYYY-MM-DD')`;
  }
  formatTimestamp(x: string): string {
    return `TO_CHAR(${x}, 'YYYY-MM-DD HH24:MI:SS')`;
  }
  dateTrunc(unit: DateUnit, x: string, type: 'date' | 'timestamp'): string {
    // WEEK_START = 0 (the default) makes weeks start on Monday (ISO).
    return `CAST(DATE_TRUNC('${unit}', ${x}) AS ${type === 'date' ? 'DATE' : 'TIMESTAMP_NTZ'})`;
  }
  dateAdd(x: string, amount: string, unit: DateUnit, type: 'date' | 'timestamp'): string {
    return `CAST(DATEADD('${unit}', ${amount}, ${x}) AS ${type === 'date' ? 'DATE' : 'TIMESTAMP_NTZ'})`;
  }
  diffMicros(a: string, b: string): string {
    return `DATEDIFF('microsecond', ${a}, ${b})`;
  }
  year(x: string): string {
    return `YEAR(${x})`;
  }
  month(x: string): string {
    return `MONTH(${x})`;
  }
  positionInMonth(x: string): string {
    return `(DAY(${x}) * 86400000000 + DATEDIFF('microsecond', DATE_TRUNC('day', ${x}), ${x}))`;
  }
  textToDate(x: string): string {
    return `(CASE WHEN ${this.matches(x, TEXT_PATTERNS.date)} AND SUBSTR(${x}, 1, 4) <> '0000' THEN TRY_TO_DATE(${x}, 'YYYY-MM-DD') END)`;
  }
  textToTimestamp(x: string): string {
    return `(CASE WHEN ${this.matches(x, TEXT_PATTERNS.timestamp)} AND SUBSTR(${x}, 1, 4) <> '0000' AND ${this.timeFieldsInRange(x)} THEN TRY_TO_TIMESTAMP_NTZ(REPLACE(${x}, 'T', ' ')) END)`;
  }

  override normalizeColumn(x: string, type: FieldType, nativeType: string | undefined): string {
    if (type === 'timestamp' && nativeType && /TIMESTAMP_(TZ|LTZ)/i.test(nativeType)) {
      return `CAST(CONVERT_TIMEZONE('UTC', ${x}) AS TIMESTAMP_NTZ)`;
    }
    return super.normalizeColumn(x, type, nativeType);
  }
}
