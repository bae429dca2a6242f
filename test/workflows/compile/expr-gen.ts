/**
 * Random, well-typed expressions (as text) and random rows for the
 * cross-dialect property test. Seeded: the same seed gives the same cases.
 * Values stay in ranges where every engine is exact (no integer overflow,
 * |numbers| < 1e7, years 1700–2300).
 */
import type { Value } from '../../../workflows/compile/expr/evaluate';
import { daysInMonth } from '../../../workflows/compile/expr/temporal';

export type GenType = 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'timestamp';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const TEXT_POOL = [
  '', ' ', ' a ', 'Hello', 'hello', 'HELLO', 'x', "it's", 'é', 'É', 'Été', '€5', '😀b', 'a😀', 'back\\slash', 'a_b', 'a%b',
  '12', ' 42 ', '-7', '+3', '007', '1.5', '.5', '-2.25', '1e3', '3.', 'abc1', '12x',
  '2024-02-29', '2023-02-29', '2024-13-01', '0000-01-01', '1999-12-31', '2024-01-15 10:20:30', '2024-01-15T23:59:59', '2024-01-15 24:00:00',
  'true', 'No', 'yes', 'T', '0', 'maybe',
];

export const COLUMNS: { name: string; type: GenType }[] = [
  { name: 'i1', type: 'integer' },
  { name: 'i2', type: 'integer' },
  { name: 'n1', type: 'number' },
  { name: 'n2', type: 'number' },
  { name: 's1', type: 'string' },
  { name: 's2', type: 'string' },
  { name: 'b1', type: 'boolean' },
  { name: 'd1', type: 'date' },
  { name: 't1', type: 'timestamp' },
];

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export class Gen {
  constructor(readonly rnd: () => number) {}

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)]!;
  }
  chance(p: number): boolean {
    return this.rnd() < p;
  }

  // ── values ──
  numberValue(): number {
    switch (this.int(0, 5)) {
      case 0:
        return this.int(-80, 80) / 8; // exact binary fractions, including .5 ties
      case 1:
        return this.int(-100000, 100000) / 1000; // 3-decimal values (2.675-style ties)
      case 2:
        return (this.rnd() - 0.5) * 2000;
      case 3:
        return this.int(-9999, 9999) * 1e-7;
      case 4:
        return this.int(-50, 50);
      default:
        return this.int(-10000, 10000) / 100 + 0.005 * this.pick([-1, 1]);
    }
  }
  dateValue(): string {
    const y = this.int(1950, 2050);
    const m = this.int(1, 12);
    // Month ends are where calendar arithmetic differs most; favour them.
    const d = this.chance(0.3) ? daysInMonth(y, m) : this.int(1, daysInMonth(y, m));
    return `${y}-${pad(m)}-${pad(d)}`;
  }
  timestampValue(): string {
    return `${this.dateValue()} ${pad(this.int(0, 23))}:${pad(this.int(0, 59))}:${pad(this.int(0, 59))}`;
  }

  row(id: number, nullRate: number): Record<string, Value> & { id: number } {
    const v = <T>(f: () => T): T | null => (this.chance(nullRate) ? null : f());
    return {
      id,
      i1: v(() => this.int(-1000, 1000)),
      i2: v(() => this.pick([0, 1, -1, 2, 3, 7, -7, 10, 100, this.int(-1000, 1000)])),
      n1: v(() => this.numberValue()),
      n2: v(() => this.pick([0, 0.5, -0.5, 2.5, 1e-7, this.numberValue()])),
      s1: v(() => this.pick(TEXT_POOL)),
      s2: v(() => this.pick(TEXT_POOL)),
      b1: v(() => this.chance(0.5)),
      d1: v(() => this.dateValue()),
      t1: v(() => this.timestampValue()),
    };
  }

  // ── literals ──
  private textLit(): string {
    return `'${this.pick(TEXT_POOL).replace(/'/g, "''")}'`;
  }
  private numLit(): string {
    const n = this.pick([0.5, 2.5, -2.5, 0.125, 1.005, 2.675, 3.14159, 10, 0.1, 1e-3, 100.25]);
    return Number.isInteger(n) ? `${n}.0` : String(n);
  }

  // ── expressions ──
  expr(type: GenType, depth: number): string {
    if (depth <= 0 || this.chance(0.22)) return this.leaf(type);
    switch (type) {
      case 'integer':
        return this.intExpr(depth - 1);
      case 'number':
        return this.numExpr(depth - 1);
      case 'string':
        return this.strExpr(depth - 1);
      case 'boolean':
        return this.boolExpr(depth - 1);
      case 'date':
        return this.dateExpr(depth - 1);
      case 'timestamp':
        return this.tsExpr(depth - 1);
    }
  }

  leaf(type: GenType): string {
    if (this.chance(0.06)) return type === 'string' ? 'null' : `cast(null as ${type})`;
    const cols = COLUMNS.filter((c) => c.type === type);
    if (cols.length && this.chance(0.65)) return this.pick(cols).name;
    switch (type) {
      case 'integer':
        return String(this.int(-20, 20));
      case 'number':
        return this.numLit();
      case 'string':
        return this.textLit();
      case 'boolean':
        return this.pick(['true', 'false']);
      case 'date':
        return `date '${this.dateValue()}'`;
      case 'timestamp':
        return this.chance(0.3) ? 'now()' : `timestamp '${this.timestampValue()}'`;
    }
  }

  private small(): string {
    return this.pick([String(this.int(-30, 30)), '(i1 % 40)', '(i2 % 13)', 'length(s1)']);
  }

  private caseOf(type: GenType, d: number): string {
    const n = this.int(1, 2);
    const whens = Array.from({ length: n }, () => `when ${this.expr('boolean', d)} then ${this.expr(type, d)}`).join(' ');
    return `case ${whens}${this.chance(0.7) ? ` else ${this.expr(type, d)}` : ''} end`;
  }

  private intExpr(d: number): string {
    switch (this.int(0, 15)) {
      case 0:
        return `(${this.expr('integer', d)} + ${this.expr('integer', d)})`;
      case 1:
        return `(${this.expr('integer', d)} - ${this.expr('integer', d)})`;
      case 2:
        // One factor is a leaf or a small literal: no overflow at any depth.
        return `(${this.leaf('integer')} * ${this.chance(0.5) ? this.leaf('integer') : String(this.int(-9, 9))})`;
      case 3:
        return `(${this.expr('integer', d)} / ${this.expr('integer', d)})`;
      case 4:
        return `(${this.expr('integer', d)} % ${this.expr('integer', d)})`;
      case 5:
        return `(-${this.expr('integer', d)})`;
      case 6:
        return `abs(${this.expr('integer', d)})`;
      case 7:
        return `length(${this.expr('string', d)})`;
      case 8: {
        const unit = this.pick(['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second']);
        const a = this.chance(0.5) ? this.expr('date', d) : this.expr('timestamp', d);
        const b = this.chance(0.5) ? this.expr('date', d) : this.expr('timestamp', d);
        return `date_diff('${unit}', ${a}, ${b})`;
      }
      case 9:
        return `cast(${this.expr('number', d)} as integer)`;
      case 10:
        return `cast(${this.expr('string', d)} as integer)`;
      case 11:
        return `cast(${this.expr('boolean', d)} as integer)`;
      case 12:
        return this.caseOf('integer', d);
      case 13:
        return `coalesce(${this.expr('integer', d)}, ${this.expr('integer', d)})`;
      case 14:
        return `round(${this.expr('integer', d)})`;
      default:
        return `(${this.expr('integer', d)} + ${this.leaf('integer')})`;
    }
  }

  private numExpr(d: number): string {
    switch (this.int(0, 13)) {
      case 0:
        return `(${this.expr('number', d)} + ${this.expr(this.chance(0.3) ? 'integer' : 'number', d)})`;
      case 1:
        return `(${this.expr('number', d)} - ${this.expr('number', d)})`;
      case 2:
        return `(${this.leaf('number')} * ${this.chance(0.5) ? this.leaf('number') : this.leaf('integer')})`;
      case 3:
        return `(${this.expr('number', d)} / ${this.expr(this.chance(0.3) ? 'integer' : 'number', d)})`;
      case 4:
        return `(-${this.expr('number', d)})`;
      case 5:
      case 6:
        return `round(${this.expr('number', d)}, ${this.int(0, 4)})`;
      case 7:
        return `abs(${this.expr('number', d)})`;
      case 8:
        return `cast(${this.expr('string', d)} as number)`;
      case 9:
        return `cast(${this.expr('integer', d)} as number)`;
      case 10:
        return this.caseOf('number', d);
      case 11:
        return `coalesce(${this.expr('number', d)}, ${this.expr('integer', d)})`;
      case 12:
        return `cast(${this.expr('boolean', d)} as number)`;
      default:
        return `round(${this.expr('number', d)})`;
    }
  }

  private strExpr(d: number): string {
    switch (this.int(0, 15)) {
      case 0:
        return `concat(${this.expr('string', d)}, ${this.expr(this.pick(['string', 'integer', 'number', 'boolean', 'date', 'timestamp'] as const), d)})`;
      case 1:
        return `(${this.expr('string', d)} || ${this.expr('string', d)})`;
      case 2:
        return `lower(${this.expr('string', d)})`;
      case 3:
        return `upper(${this.expr('string', d)})`;
      case 4:
        return `trim(${this.expr('string', d)})`;
      case 5:
        return this.chance(0.5) ? `substring(${this.expr('string', d)}, ${this.int(1, 4)}, ${this.int(0, 3)})` : `substring(${this.expr('string', d)}, ${this.int(1, 3)})`;
      case 6:
        return `sha256(${this.expr('string', Math.min(d, 1))})`;
      case 7:
        return `cast(${this.expr('number', d)} as string)`;
      case 8:
        return `cast(${this.expr('integer', d)} as string)`;
      case 9:
        return `cast(${this.expr('boolean', d)} as string)`;
      case 10:
        return `cast(${this.expr('date', d)} as string)`;
      case 11:
        return `cast(${this.expr('timestamp', d)} as string)`;
      case 12:
        return this.caseOf('string', d);
      case 13:
        return `coalesce(${this.expr('string', d)}, ${this.expr('string', d)})`;
      case 14:
        return `concat(${this.expr('string', d)}, ${this.expr('number', d)}, ${this.expr('string', d)})`;
      default:
        return this.leaf('string');
    }
  }

  private comparison(d: number): string {
    const op = this.pick(['=', '!=', '<', '<=', '>', '>=']);
    const t = this.pick(['integer', 'number', 'string', 'string', 'date', 'timestamp', 'boolean', 'mixnum', 'mixtime'] as const);
    if (t === 'mixnum') return `(${this.expr('integer', d)} ${op} ${this.expr('number', d)})`;
    if (t === 'mixtime') return `(${this.expr('date', d)} ${op} ${this.expr('timestamp', d)})`;
    return `(${this.expr(t, d)} ${op} ${this.expr(t, d)})`;
  }

  private boolExpr(d: number): string {
    switch (this.int(0, 17)) {
      case 0:
      case 1:
      case 2:
        return this.comparison(d);
      case 3:
        return `(${this.expr('boolean', d)} and ${this.expr('boolean', d)})`;
      case 4:
        return `(${this.expr('boolean', d)} or ${this.expr('boolean', d)})`;
      case 5:
        return `(not ${this.expr('boolean', d)})`;
      case 6: {
        const t = this.pick(['integer', 'number', 'string', 'date', 'timestamp', 'boolean'] as const);
        return `(${this.expr(t, d)} is ${this.chance(0.5) ? 'not ' : ''}null)`;
      }
      case 7:
      case 8: {
        const t = this.pick(['integer', 'string', 'number', 'date'] as const);
        const list = Array.from({ length: this.int(1, 4) }, () => this.expr(t, Math.min(d, 1))).join(', ');
        return `(${this.expr(t, d)} ${this.chance(0.4) ? 'not in' : 'in'} (${list}))`;
      }
      case 9:
      case 10: {
        const t = this.pick(['integer', 'number', 'string', 'date', 'timestamp'] as const);
        return `(${this.expr(t, d)} ${this.chance(0.3) ? 'not between' : 'between'} ${this.expr(t, d)} and ${this.expr(t, d)})`;
      }
      case 11:
        return `contains(${this.expr('string', d)}, ${this.expr('string', d)})`;
      case 12:
        return `starts_with(${this.expr('string', d)}, ${this.expr('string', d)})`;
      case 13:
        return `in_last_days(${this.chance(0.5) ? this.expr('date', d) : this.expr('timestamp', d)}, ${this.pick(['7', '30', '365', '3650', 'abs(i1)'])})`;
      case 14:
        return `cast(${this.expr('string', d)} as boolean)`;
      case 15:
        return `cast(${this.expr(this.pick(['integer', 'number'] as const), d)} as boolean)`;
      case 16:
        return this.caseOf('boolean', d);
      default:
        return `coalesce(${this.expr('boolean', d)}, ${this.expr('boolean', d)})`;
    }
  }

  private dateExpr(d: number): string {
    switch (this.int(0, 7)) {
      case 0:
        return `date_trunc('${this.pick(['year', 'quarter', 'month', 'week', 'day'])}', ${this.expr('date', d)})`;
      case 1:
      case 2:
        return `date_add(${this.expr('date', d)}, ${this.small()}, '${this.pick(['year', 'quarter', 'month', 'week', 'day'])}')`;
      case 3:
        return `cast(${this.expr('timestamp', d)} as date)`;
      case 4:
        return `cast(${this.expr('string', d)} as date)`;
      case 5:
        return this.caseOf('date', d);
      case 6:
        return `coalesce(${this.expr('date', d)}, ${this.expr('date', d)})`;
      default:
        return this.leaf('date');
    }
  }

  private tsExpr(d: number): string {
    switch (this.int(0, 7)) {
      case 0:
        return `date_trunc('${this.pick(['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second'])}', ${this.expr('timestamp', d)})`;
      case 1:
      case 2:
        return `date_add(${this.expr('timestamp', d)}, ${this.small()}, '${this.pick(['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second'])}')`;
      case 3:
        return `cast(${this.expr('date', d)} as timestamp)`;
      case 4:
        return `cast(${this.expr('string', d)} as timestamp)`;
      case 5:
        return this.caseOf('timestamp', d);
      case 6:
        return `coalesce(${this.expr('timestamp', d)}, ${this.expr('date', d)})`;
      default:
        return 'now()';
    }
  }
}
