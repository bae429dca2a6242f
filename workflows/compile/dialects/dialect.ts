/**
 * A SQL dialect: quoting, literals, and the primitives the expression emitter
 * (workflows/compile/expr/sql.ts) builds on. Each dialect implements the
 * language's one semantics (workflows/compile/README.md) with explicit casts;
 * the shared parts live here.
 *
 * Every method returns a self-contained SQL fragment (parenthesised where an
 * operator is involved), so fragments compose without precedence surprises.
 */
import type { FieldType } from '../../../connectors/sdk/types';
import type { CastTarget, DateUnit } from '../expr/ast';
import type { TSourceDialectName } from './names';

export type { TSourceDialectName } from './names';

export abstract class Dialect {
  abstract readonly name: TSourceDialectName;

  // ── quoting and literals ──
  abstract quoteIdent(name: string): string;
  abstract string(value: string): string;
  integer(n: number): string {
    if (!Number.isSafeInteger(n)) throw new Error(`integer literal ${n} is outside ±2^53`);
    return n < 0 ? `(${n})` : String(n);
  }
  abstract number(n: number): string;
  boolean(b: boolean): string {
    return b ? 'TRUE' : 'FALSE';
  }
  date(s: string): string {
    return `DATE ${this.string(s)}`;
  }
  timestamp(s: string): string {
    return `TIMESTAMP ${this.string(s)}`;
  }
  abstract json(text: string): string;
  abstract stringArray(values: string[]): string;
  typedNull(t: FieldType): string {
    return `CAST(NULL AS ${this.sqlType(t)})`;
  }
  /** The SQL type a CAST targets for each Backflow type. */
  abstract sqlType(t: FieldType): string;
  castTo(x: string, t: CastTarget): string {
    return `CAST(${x} AS ${this.sqlType(t)})`;
  }

  // ── arithmetic (NULL on a zero divisor in every dialect) ──
  abstract intDiv(a: string, b: string): string;
  numDiv(a: string, b: string): string {
    return `(${a} / NULLIF(${b}, 0))`;
  }
  mod(a: string, b: string): string {
    return `(${a} % NULLIF(${b}, 0))`;
  }
  /** number → integer, truncating toward zero. */
  abstract truncToInteger(x: string): string;

  // ── text ──
  /** Wraps a text operand of <, <=, >, >=, BETWEEN so order is by code point, not by a locale. */
  orderable(x: string): string {
    return x;
  }
  /** Wraps a text operand of =, <>, IN so equality is exact (case and trailing spaces count). */
  equatable(x: string): string {
    return x;
  }
  concat(parts: string[]): string {
    return parts.length === 1 ? parts[0]! : `(${parts.join(' || ')})`;
  }
  lower(x: string): string {
    return `LOWER(${x})`;
  }
  upper(x: string): string {
    return `UPPER(${x})`;
  }
  trimSpaces(x: string): string {
    return `TRIM(${x})`;
  }
  charLength(x: string): string {
    return `LENGTH(${x})`;
  }
  substring(x: string, start: number, length: number | null): string {
    return length === null ? `SUBSTR(${x}, ${start})` : `SUBSTR(${x}, ${start}, ${length})`;
  }
  abstract sha256(x: string): string;
  abstract contains(x: string, needle: string): string;
  abstract startsWith(x: string, prefix: string): string;
  /** Full-string match of a POSIX-style pattern (anchors included in the pattern). */
  abstract matches(x: string, pattern: string): string;

  // ── numbers ↔ decimals ──
  /** round(x, d) on the shortest decimal form of a double, half away from zero, back to a double. */
  abstract roundNumber(x: string, digits: number): string;
  /** number → text: rounded to 10 decimals, no exponent, trailing zeros removed. */
  abstract numberToString(x: string): string;

  // ── time (UTC, no time zones) ──
  abstract currentTimestamp(): string;
  abstract formatDate(x: string): string;
  /** 'YYYY-MM-DD HH:MM:SS' (fractions of a second dropped). */
  abstract formatTimestamp(x: string): string;
  abstract dateTrunc(unit: DateUnit, x: string, type: 'date' | 'timestamp'): string;
  abstract dateAdd(x: string, amount: string, unit: DateUnit, type: 'date' | 'timestamp'): string;
  /** Microseconds from a to b (timestamps), as an integer. */
  abstract diffMicros(a: string, b: string): string;
  abstract year(x: string): string;
  abstract month(x: string): string;
  /** Day of month and time of day as microseconds: orders instants within a month. */
  abstract positionInMonth(x: string): string;
  /** text → date/timestamp for text that already has the right shape; invalid dates give NULL. */
  abstract textToDate(x: string): string;
  abstract textToTimestamp(x: string): string;

  // ── source columns ──
  /** Normalises a source column to the language's representation of `type` (UTC timestamps, doubles). */
  normalizeColumn(x: string, type: FieldType, nativeType: string | undefined): string {
    void nativeType;
    if (type === 'number') return this.castTo(x, 'number');
    return x;
  }

  /** Wraps a final SELECT with a row limit (previews). */
  limit(sql: string, n: number): string {
    return `${sql}\nLIMIT ${Math.max(0, Math.floor(n))}`;
  }

  /**
   * For dialects whose TRY_CAST accepts 24:00:00 as the next midnight: the
   * time fields of shaped text must be in range (text comparison of digits).
   */
  protected timeFieldsInRange(x: string): string {
    return `(${this.charLength(x)} = 10 OR (SUBSTR(${x}, 12, 2) <= '23' AND SUBSTR(${x}, 15, 2) <= '59' AND SUBSTR(${x}, 18, 2) <= '59'))`;
  }

  // ── shared helpers for dialects without a safe date parser ──
  /**
   * True when text shaped YYYY-MM-DD[ HH:MM:SS] holds a real calendar date
   * (and time). Only called inside CASE after the shape matched, so the
   * integer casts of substrings cannot fail.
   */
  protected validCalendarText(x: string, withTime: boolean): string {
    const part = (start: number, len: number) => this.castTo(`SUBSTR(${x}, ${start}, ${len})`, 'integer');
    const y = part(1, 4);
    const m = part(6, 2);
    const d = part(9, 2);
    const leap = `((${this.mod(y, '4')} = 0 AND ${this.mod(y, '100')} <> 0) OR ${this.mod(y, '400')} = 0)`;
    const dim = `(CASE WHEN ${m} = 2 THEN (CASE WHEN ${leap} THEN 29 ELSE 28 END) WHEN ${m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END)`;
    const conds = [`${y} >= 1`, `${m} BETWEEN 1 AND 12`, `${d} BETWEEN 1 AND ${dim}`];
    if (withTime) {
      conds.push(`(${this.charLength(x)} = 10 OR (${part(12, 2)} <= 23 AND ${part(15, 2)} <= 59 AND ${part(18, 2)} <= 59))`);
    }
    return `(${conds.join(' AND ')})`;
  }
}

export const UNIT_MICROS: Record<'week' | 'day' | 'hour' | 'minute' | 'second', number> = {
  week: 7 * 86_400_000_000,
  day: 86_400_000_000,
  hour: 3_600_000_000,
  minute: 60_000_000,
  second: 1_000_000,
};

/** Standard quoting of a '…' literal: the quote doubled. */
export function quoteStandard(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function assertIdentifier(name: string): void {
  if (name.length === 0) throw new Error('empty identifier');
  if (name.includes('\u0000')) throw new Error('identifier contains a NUL character');
}
