/**
 * Amazon Redshift: PostgreSQL's grammar with its own functions. Redshift
 * sources declare the `postgres` dialect (the plan records that), but the SQL
 * is generated with these overrides. Covered by golden-text tests only.
 * Notes: backslash is an escape character in Redshift string literals (and E''
 * does not exist), so it is doubled; text compares by byte with the default
 * collation, so no COLLATE; no MAKE_INTERVAL, STARTS_WITH or SHA256().
 */
import type { FieldType } from '../../../connectors/sdk/types';
import type { DateUnit } from '../expr/ast';
import { assertIdentifier } from './dialect';
import { PostgresDialect } from './postgres';

export class RedshiftDialect extends PostgresDialect {
  override readonly name = 'redshift' as const;

  override quoteIdent(name: string): string {
    assertIdentifier(name);
    return `"${name.replace(/"/g, '""')}"`;
  }
  override string(value: string): string {
    if (value.includes('\u0000')) throw new Error('text literals cannot contain NUL characters');
    return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  }
  override json(text: string): string {
    return `JSON_PARSE(${this.string(text)})`;
  }
  override stringArray(values: string[]): string {
    return `JSON_PARSE(${this.string(JSON.stringify(values))})`;
  }
  override sqlType(t: FieldType): string {
    return t === 'json' || t === 'string_array' ? 'SUPER' : super.sqlType(t);
  }
  override orderable(x: string): string {
    return x;
  }
  override sha256(x: string): string {
    return `SHA2(${x}, 256)`;
  }
  override startsWith(x: string, prefix: string): string {
    return `(LEFT(${x}, LENGTH(${prefix})) = ${prefix})`;
  }
  override currentTimestamp(): string {
    return 'GETDATE()';
  }
  override dateAdd(x: string, amount: string, unit: DateUnit, type: 'date' | 'timestamp'): string {
    const sum = `DATEADD(${unit}, CAST(${amount} AS INTEGER), ${x})`;
    return type === 'date' ? `CAST(${sum} AS DATE)` : sum;
  }
  override diffMicros(a: string, b: string): string {
    return `DATEDIFF(microsecond, ${a}, ${b})`;
  }
  override positionInMonth(x: string): string {
    return `(CAST(EXTRACT(DAY FROM ${x}) AS BIGINT) * 86400000000 + DATEDIFF(microsecond, DATE_TRUNC('day', ${x}), ${x}))`;
  }
  override normalizeColumn(x: string, type: FieldType, nativeType: string | undefined): string {
    if (type === 'timestamp' && nativeType && /with time zone|timestamptz/i.test(nativeType)) return `CAST(CONVERT_TIMEZONE('UTC', ${x}) AS TIMESTAMP)`;
    return super.normalizeColumn(x, type, nativeType);
  }
}
