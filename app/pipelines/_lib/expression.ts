/**
 * Live checking of expressions while typing: the shared parser and type
 * checker (workflows/compile/expr), against the columns an expression can see.
 * Results carry the character range of the problem so the editor can underline it.
 */
import type { FieldType } from '../../../connectors/sdk/types';
import { checkExpression, FUNCTION_NAMES } from '../../../workflows/compile/expr/check';
import type { TColumn } from '../../../workflows/graph/columns';
import { deriveColumns } from '../../../workflows/nodes/transform/derive';
import type { TTransformConfig } from '../../../workflows/nodes/transform/schema';

export type LiveCheck = { ok: true; type: FieldType } | { ok: false; message: string; start: number; end: number; code: string };

export function liveCheck(text: string, columns: TColumn[] | null, expect?: FieldType): LiveCheck | null {
  // Unknown input columns: only syntax can be checked, with no columns every name is "unknown".
  const r = checkExpression(text, columns ?? [], expect ? { expect } : {});
  if (r.ok) return { ok: true, type: r.expr.type };
  if (!columns && r.error.code === 'unknown_column') return null;
  const start = Math.max(0, Math.min(r.error.pos.start, text.length));
  const end = Math.max(start, Math.min(r.error.pos.end, text.length));
  return { ok: false, message: r.error.message, start, end, code: r.error.code };
}

/**
 * The columns derived column `index` of a transform can use: the input's plus
 * the ones defined before it (typed by the shared deriveColumns; a broken
 * earlier column counts with its declared type, as the validator does).
 */
export function transformScope(config: TTransformConfig, input: TColumn[], index: number): TColumn[] {
  const before = { columns: config.columns.slice(0, index) };
  const { derived } = deriveColumns(before, input, '_', '_');
  const byName = new Map(derived.map((d) => [d.name, d.expr.type]));
  const out = input.map((c) => ({ ...c }));
  for (const c of before.columns) {
    if (!c.name || out.some((x) => x.name === c.name)) continue;
    out.push({ name: c.name, type: byName.get(c.name) ?? c.type ?? 'string' });
  }
  return out;
}

export { FUNCTION_NAMES };
