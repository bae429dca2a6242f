/**
 * MySQL 8 and MariaDB 10.2+ (both have CTEs). Notes: there is no boolean type,
 * so booleans come back as 1/0; `DIV` truncates toward zero; text comparisons
 * cast to BINARY so they are case- and trailing-space-sensitive like the other
 * dialects; numeric literals carry an exponent so they are doubles, not
 * DECIMAL. Backslashes in literals are escape characters unless the server runs
 * with NO_BACKSLASH_ESCAPES, so text with a backslash is sent as a hex literal,
 * which means the same in both modes.
 */
import type { FieldType } from '../../../connectors/sdk/types';
import type { DateUnit } from '../expr/ast';
import { TEXT_PATTERNS } from '../expr/patterns';
import { assertIdentifier, Dialect, quoteStandard } from './dialect';

const TRUNC_FORMAT: Partial<Record<DateUnit, string>> = {
  hour: '%Y-%m-%d %H:00:00',
  minute: '%Y-%m-%d %H:%i:00',
  second: '%Y-%m-%d %H:%i:%s',
};

export class MySqlDialect extends Dialect {
  readonly name = 'mysql' as const;

  quoteIdent(name: string): string {
    assertIdentifier(name);
    return `\`${name.replace(/`/g, '``')}\``;
  }
  string(value: string): string {
    if (/[\\\u0000-\u001f]/.test(value)) return `_utf8mb4 X'${hex(value)}'`;
    return quoteStandard(value);
  }
  number(n: number): string {
    const s = String(n);
    return /e/i.test(s) ? s : `${s}e0`;
  }
  override boolean(b: boolean): string {
    return b ? 'TRUE' : 'FALSE';
  }
  json(text: string): string {
    return this.string(text);
  }
  stringArray(values: string[]): string {
    return `JSON_ARRAY(${values.map((v) => this.string(v)).join(', ')})`;
  }
  override typedNull(t: FieldType): string {
    return t === 'boolean' || t === 'json' || t === 'string_array' ? 'NULL' : `CAST(NULL AS ${this.sqlType(t)})`;
  }
  sqlType(t: FieldType): string {
    const types: Record<FieldType, string> = {
      string: 'CHAR',
      integer: 'SIGNED',
      number: 'DOUBLE',
      boolean: 'SIGNED',
      date: 'DATE',
      timestamp: 'DATETIME(6)',
      json: 'CHAR',
      string_array: 'CHAR',
    };
    return types[t];
  }
  override castTo(x: string, t: Parameters<Dialect['castTo']>[1]): string {
    return t === 'boolean' ? `(${x} <> 0)` : super.castTo(x, t);
  }

  intDiv(a: string, b: string): string {
    return `(${a} DIV NULLIF(${b}, 0))`;
  }
  truncToInteger(x: string): string {
    return `CAST(TRUNCATE(${x}, 0) AS SIGNED)`;
  }

  override orderable(x: string): string {
    return `CAST(${x} AS BINARY)`;
  }
  override equatable(x: string): string {
    return `CAST(${x} AS BINARY)`;
  }
  override concat(parts: string[]): string {
    return parts.length === 1 ? parts[0]! : `CONCAT(${parts.join(', ')})`;
  }
  override charLength(x: string): string {
    return `CHAR_LENGTH(${x})`;
  }
  sha256(x: string): string {
    return `SHA2(CONVERT(${x} USING utf8mb4), 256)`;
  }
  contains(x: string, needle: string): string {
    return `(LOCATE(CAST(${needle} AS BINARY), CAST(${x} AS BINARY)) > 0)`;
  }
  startsWith(x: string, prefix: string): string {
    return `(LEFT(CAST(${x} AS BINARY), LENGTH(CAST(${prefix} AS BINARY))) = CAST(${prefix} AS BINARY))`;
  }
  matches(x: string, pattern: string): string {
    // (?-i): REGEXP follows the column's collation, which is usually case-insensitive.
    return `(${x} REGEXP ${this.string(`(?-i)${pattern}`)})`;
  }

  private decimal(x: string): string {
    return `CAST(CAST(${x} AS CHAR) AS DECIMAL(65, 30))`;
  }
  roundNumber(x: string, digits: number): string {
    return `CAST(ROUND(${this.decimal(x)}, ${digits}) AS DOUBLE)`;
  }
  numberToString(x: string): string {
    return `TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM CAST(ROUND(${this.decimal(x)}, 10) AS CHAR)))`;
  }

  currentTimestamp(): string {
    return 'UTC_TIMESTAMP(6)';
  }
  formatDate(x: string): string {
    return `DATE_FORMAT(${x}, '%Y-%m-%d')`;
  }
  formatTimestamp(x: string): string {
    return `DATE_FORMAT(${x}, '%Y-%m-%d %H:%i:%s')`;
  }
  dateTrunc(unit: DateUnit, x: string, type: 'date' | 'timestamp'): string {
    const fmt = TRUNC_FORMAT[unit];
    if (fmt) return `CAST(DATE_FORMAT(${x}, '${fmt}') AS DATETIME(6))`;
    let day: string;
    switch (unit) {
      case 'year':
        day = `MAKEDATE(YEAR(${x}), 1)`;
        break;
      case 'quarter':
        day = `DATE_ADD(MAKEDATE(YEAR(${x}), 1), INTERVAL (QUARTER(${x}) - 1) QUARTER)`;
        break;
      case 'month':
        day = `DATE_SUB(DATE(${x}), INTERVAL (DAYOFMONTH(${x}) - 1) DAY)`;
        break;
      case 'week':
        day = `DATE_SUB(DATE(${x}), INTERVAL WEEKDAY(${x}) DAY)`;
        break;
      default:
        day = `DATE(${x})`;
    }
    return type === 'date' ? day : `CAST(${day} AS DATETIME(6))`;
  }
  dateAdd(x: string, amount: string, unit: DateUnit, type: 'date' | 'timestamp'): string {
    const sum = `DATE_ADD(${x}, INTERVAL (${amount}) ${unit.toUpperCase()})`;
    return type === 'date' ? `CAST(${sum} AS DATE)` : `CAST(${sum} AS DATETIME(6))`;
  }
  diffMicros(a: string, b: string): string {
    return `TIMESTAMPDIFF(MICROSECOND, ${a}, ${b})`;
  }
  year(x: string): string {
    return `YEAR(${x})`;
  }
  month(x: string): string {
    return `MONTH(${x})`;
  }
  positionInMonth(x: string): string {
    return `(DAY(${x}) * 86400000000 + (HOUR(${x}) * 3600 + MINUTE(${x}) * 60 + SECOND(${x})) * 1000000 + MICROSECOND(${x}))`;
  }
  textToDate(x: string): string {
    return `(CASE WHEN ${this.matches(x, TEXT_PATTERNS.date)} THEN (CASE WHEN ${this.validCalendarText(x, false)} THEN CAST(${x} AS DATE) END) END)`;
  }
  textToTimestamp(x: string): string {
    return `(CASE WHEN ${this.matches(x, TEXT_PATTERNS.timestamp)} THEN (CASE WHEN ${this.validCalendarText(x, true)} THEN CAST(REPLACE(${x}, 'T', ' ') AS DATETIME(6)) END) END)`;
  }

  override normalizeColumn(x: string, type: FieldType, nativeType: string | undefined): string {
    // MySQL TIMESTAMP columns are read in the session time zone: the source
    // connection must run with time_zone = '+00:00' for UTC (see README).
    if (type === 'timestamp') return `CAST(${x} AS DATETIME(6))`;
    if (type === 'number' && nativeType && /^(double|double precision|real)$/i.test(nativeType)) return x;
    return super.normalizeColumn(x, type, nativeType);
  }
}

function hex(value: string): string {
  return Array.from(new TextEncoder().encode(value), (b) => b.toString(16).padStart(2, '0')).join('');
}
