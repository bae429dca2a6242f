/**
 * BigQuery (GoogleSQL). Covered by golden-text tests only. Notes: the
 * language's timestamp is a DATETIME (civil time, UTC); TIMESTAMP columns are
 * converted with DATETIME(x, 'UTC'); SAFE_CAST gives NULL for impossible dates;
 * identifiers are quoted with backticks.
 */
import type { FieldType } from '../../../connectors/sdk/types';
import type { DateUnit } from '../expr/ast';
import { TEXT_PATTERNS } from '../expr/patterns';
import { assertIdentifier, Dialect } from './dialect';

const PART: Record<DateUnit, string> = {
  year: 'YEAR',
  quarter: 'QUARTER',
  month: 'MONTH',
  week: 'WEEK(MONDAY)',
  day: 'DAY',
  hour: 'HOUR',
  minute: 'MINUTE',
  second: 'SECOND',
};

export class BigQueryDialect extends Dialect {
  readonly name = 'bigquery' as const;

  quoteIdent(name: string): string {
    assertIdentifier(name);
    return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
  }
  string(value: string): string {
    if (value.includes('\u0000')) throw new Error('text literals cannot contain NUL characters');
    const escaped = value
      .replace(/\\/g, '\\\\')
      .replace(/'/g, "\\'")
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r');
    return `'${escaped}'`;
  }
  number(n: number): string {
    return `CAST('${String(n)}' AS FLOAT64)`;
  }
  override timestamp(s: string): string {
    return `DATETIME ${this.string(s)}`;
  }
  json(text: string): string {
    return `PARSE_JSON(${this.string(text)})`;
  }
  stringArray(values: string[]): string {
    return `ARRAY<STRING>[${values.map((v) => this.string(v)).join(', ')}]`;
  }
  sqlType(t: FieldType): string {
    const types: Record<FieldType, string> = {
      string: 'STRING',
      integer: 'INT64',
      number: 'FLOAT64',
      boolean: 'BOOL',
      date: 'DATE',
      timestamp: 'DATETIME',
      json: 'JSON',
      string_array: 'ARRAY<STRING>',
    };
    return types[t];
  }

  intDiv(a: string, b: string): string {
    // DIV truncates toward zero; SAFE_DIVIDE-style NULL on zero via NULLIF.
    return `DIV(${a}, NULLIF(${b}, 0))`;
  }
  override numDiv(a: string, b: string): string {
    return `(${a} / NULLIF(${b}, 0))`;
  }
  override mod(a: string, b: string): string {
    return `MOD(${a}, NULLIF(${b}, 0))`;
  }
  truncToInteger(x: string): string {
    return `CAST(TRUNC(${x}) AS INT64)`;
  }

  override concat(parts: string[]): string {
    return parts.length === 1 ? parts[0]! : `CONCAT(${parts.join(', ')})`;
  }
  override trimSpaces(x: string): string {
    return `TRIM(${x}, ' ')`;
  }
  sha256(x: string): string {
    return `TO_HEX(SHA256(${x}))`;
  }
  contains(x: string, needle: string): string {
    return `(STRPOS(${x}, ${needle}) > 0)`;
  }
  startsWith(x: string, prefix: string): string {
    return `STARTS_WITH(${x}, ${prefix})`;
  }
  matches(x: string, pattern: string): string {
    return `REGEXP_CONTAINS(${x}, ${this.string(pattern)})`;
  }

  private decimal(x: string): string {
    return `CAST(CAST(${x} AS STRING) AS BIGNUMERIC)`;
  }
  roundNumber(x: string, digits: number): string {
    return `CAST(ROUND(${this.decimal(x)}, ${digits}, 'ROUND_HALF_AWAY_FROM_ZERO') AS FLOAT64)`;
  }
  numberToString(x: string): string {
    return `RTRIM(RTRIM(FORMAT('%.10f', ROUND(${this.decimal(x)}, 10, 'ROUND_HALF_AWAY_FROM_ZERO')), '0'), '.')`;
  }

  currentTimestamp(): string {
    return `CURRENT_DATETIME('UTC')`;
  }
  formatDate(x: string): string {
    return `FORMAT_DATE('%Y-%m-%d', ${x})`;
  }
  formatTimestamp(x: string): string {
    return `FORMAT_DATETIME('%Y-%m-%d %H:%M:%S', ${x})`;
  }
  dateTrunc(unit: DateUnit, x: string, type: 'date' | 'timestamp'): string {
    return type === 'date' ? `DATE_TRUNC(${x}, ${PART[unit]})` : `DATETIME_TRUNC(${x}, ${PART[unit]})`;
  }
  dateAdd(x: string, amount: string, unit: DateUnit, type: 'date' | 'timestamp'): string {
    const part = unit === 'week' ? 'WEEK' : PART[unit];
    return type === 'date' ? `DATE_ADD(${x}, INTERVAL (${amount}) ${part})` : `DATETIME_ADD(${x}, INTERVAL (${amount}) ${part})`;
  }
  diffMicros(a: string, b: string): string {
    return `DATETIME_DIFF(${b}, ${a}, MICROSECOND)`;
  }
  year(x: string): string {
    return `EXTRACT(YEAR FROM ${x})`;
  }
  month(x: string): string {
    return `EXTRACT(MONTH FROM ${x})`;
  }
  positionInMonth(x: string): string {
    return `(EXTRACT(DAY FROM ${x}) * 86400000000 + DATETIME_DIFF(${x}, DATETIME_TRUNC(${x}, DAY), MICROSECOND))`;
  }
  textToDate(x: string): string {
    return `(CASE WHEN ${this.matches(x, TEXT_PATTERNS.date)} AND SUBSTR(${x}, 1, 4) <> '0000' THEN SAFE_CAST(${x} AS DATE) END)`;
  }
  textToTimestamp(x: string): string {
    return `(CASE WHEN ${this.matches(x, TEXT_PATTERNS.timestamp)} AND SUBSTR(${x}, 1, 4) <> '0000' AND ${this.timeFieldsInRange(x)} THEN SAFE_CAST(REPLACE(${x}, 'T', ' ') AS DATETIME) END)`;
  }

  override normalizeColumn(x: string, type: FieldType, nativeType: string | undefined): string {
    if (type === 'timestamp' && nativeType && /^TIMESTAMP$/i.test(nativeType)) return `DATETIME(${x}, 'UTC')`;
    return super.normalizeColumn(x, type, nativeType);
  }
}
