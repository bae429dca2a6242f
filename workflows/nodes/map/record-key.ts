/**
 * The record key: text that identifies a source row, built from the primary
 * key. One column: its text form. Several: each part as "<length>:<text>",
 * joined by ",", so ("a,1", "b") and ("a", "1,b") never collide. NULL when any
 * part is NULL (the engine reports such rows instead of sending them).
 */
import type { TExpr } from '../../compile/expr/ast';
import type { TColumn } from '../../graph/columns';

export function recordKeyExpr(primaryKey: string[], columns: TColumn[]): TExpr {
  const parts = primaryKey.map((name) => {
    const col = columns.find((c) => c.name === name);
    if (!col) throw new Error(`primary key column ${name} is not in the input`);
    const ref: TExpr = { kind: 'col', type: col.type, name };
    return col.type === 'string' ? ref : ({ kind: 'cast', type: 'string', arg: ref } satisfies TExpr);
  });
  if (parts.length === 1) return parts[0]!;
  const lit = (v: string): TExpr => ({ kind: 'lit', type: 'string', value: v });
  const encoded: TExpr[] = parts.flatMap((p, i) => [
    ...(i > 0 ? [lit(',')] : []),
    { kind: 'cast', type: 'string', arg: { kind: 'length', type: 'integer', arg: p } } satisfies TExpr,
    lit(':'),
    p,
  ]);
  const tests = parts.map((p): TExpr => ({ kind: 'isnull', type: 'boolean', negated: false, arg: p }));
  const anyNull = tests.slice(1).reduce<TExpr>((l, r) => ({ kind: 'logic', type: 'boolean', op: 'or', left: l, right: r }), tests[0]!);
  return { kind: 'case', type: 'string', whens: [{ when: anyNull, then: { kind: 'lit', type: 'string', value: null } }], else: { kind: 'concat', type: 'string', args: encoded } };
}
