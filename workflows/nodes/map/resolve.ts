/**
 * Resolves a map node: each mapping's value as a typed expression, coerced to
 * the destination field's type with the language's CAST semantics, plus the
 * checks a map needs (duplicates, unknown or read-only fields, required fields,
 * the match key).
 */
import type { FieldType } from '../../../connectors/sdk/types';
import type { TExpr } from '../../compile/expr/ast';
import { castAllowed, checkExpression, isCastTarget } from '../../compile/expr/check';
import { isValidDate, isValidTimestamp } from '../../compile/expr/temporal';
import { describeType, RESERVED_PREFIX, unknownColumnHelp, type TColumn } from '../../graph/columns';
import { issue, type TIssue } from '../../graph/issues';
import type { TMapConfig, TMapping, TMappingSource } from './schema';

export type FieldValue = { kind: 'expr'; expr: TExpr } | { kind: 'list'; values: string[] };

export type ResolvedField = {
  name: string;
  type: FieldType;
  whenNull: 'send_null' | 'omit';
  onlyIfEmpty: boolean;
  value: FieldValue;
};

type JsonValue = Extract<TMappingSource, { kind: 'static' }>['value'];

/** With `input` null (upstream unknown) only the checks that need no columns run. */
export function resolveMap(config: TMapConfig, input: TColumn[] | null, nodeId: string, name: string): { fields: ResolvedField[]; issues: TIssue[] } {
  const issues: TIssue[] = [];
  const fields: ResolvedField[] = [];
  const snapshot = config.destinationFields;
  const seen = new Set<string>();

  for (const [i, m] of config.mappings.entries()) {
    const path = ['mappings', i];
    const where = `${name}, field "${m.field}"`;
    if (m.field.startsWith(RESERVED_PREFIX)) {
      issues.push(issue('invalid_column_name', `${where}: names starting with ${RESERVED_PREFIX} are reserved`, { nodeId, path: [...path, 'field'] }));
      continue;
    }
    if (seen.has(m.field)) {
      issues.push(issue('duplicate_output', `${where}: the field is mapped twice — fix: remove one of the mappings`, { nodeId, path: [...path, 'field'] }));
      continue;
    }
    seen.add(m.field);
    const descriptor = snapshot?.fields.find((f) => f.name === m.field);
    // An object without fixed fields (a webhook's rows, the test sink) takes any field the map defines.
    if (snapshot && snapshot.fields.length > 0 && !descriptor) {
      issues.push(
        issue('unknown_destination_field', `${where}: ${snapshot.object} has no field "${m.field}" — fix: pick one of its fields, or refresh the field list`, { nodeId, path: [...path, 'field'] }),
      );
      continue;
    }
    if (descriptor?.readOnly) {
      issues.push(issue('read_only_field', `${where}: the destination fills this field itself and refuses writes — fix: remove the mapping`, { nodeId, path: [...path, 'field'] }));
      continue;
    }
    if (!input) continue;
    const value = resolveValue(m, descriptor?.type, input, nodeId, where, path, issues);
    if (!value) continue;
    fields.push({ name: m.field, type: value.type, whenNull: m.whenNull, onlyIfEmpty: m.onlyIfEmpty, value: value.value });
  }

  if (snapshot) {
    for (const f of snapshot.fields) {
      if (f.required && !f.readOnly && !seen.has(f.name)) {
        issues.push(
          issue('required_field_unmapped', `${name}: ${snapshot.object} requires "${f.label ?? f.name}" (${f.name}) but nothing is mapped to it — fix: map a column or a value to it`, {
            nodeId,
            path: ['mappings'],
          }),
        );
      }
    }
  }

  if (!config.matchField) {
    issues.push(issue('missing_match_key', `${name}: no match key — fix: choose the destination field that finds existing records (e.g. email)`, { nodeId, path: ['matchField'] }));
  } else if (!seen.has(config.matchField)) {
    issues.push(issue('missing_match_key', `${name}: the match key "${config.matchField}" is not mapped — fix: map a column to ${config.matchField}, or pick a mapped field as the match key`, { nodeId, path: ['matchField'] }));
  } else {
    const d = snapshot?.fields.find((f) => f.name === config.matchField);
    if (d && d.unique === false) {
      issues.push(
        issue('missing_match_key', `${name}: "${config.matchField}" is not unique in the destination, so it may match several records — fix: pick a unique field (e.g. an id or email)`, {
          nodeId,
          path: ['matchField'],
          severity: 'warning',
        }),
      );
    }
  }
  return { fields, issues };
}

function resolveValue(
  m: TMapping,
  target: FieldType | undefined,
  input: TColumn[],
  nodeId: string,
  where: string,
  path: (string | number)[],
  issues: TIssue[],
): { type: FieldType; value: FieldValue } | null {
  const src = m.source;
  if (src.kind === 'static') return staticValue(src.value, target, nodeId, where, path, issues);
  let expr: TExpr;
  if (src.kind === 'column') {
    const col = input.find((c) => c.name === src.column);
    if (!col) {
      issues.push(issue('unknown_column', `${where}: unknown column "${src.column}" — ${unknownColumnHelp(input, src.column)}`, { nodeId, path: [...path, 'source', 'column'] }));
      return null;
    }
    expr = { kind: 'col', type: col.type, name: col.name };
  } else {
    const r = checkExpression(src.expression, input);
    if (!r.ok) {
      issues.push(issue(r.error.code, `${where}: ${r.error.message}`, { nodeId, path: [...path, 'source', 'expression'], position: r.error.pos }));
      return null;
    }
    expr = r.expr;
  }
  const type = target ?? expr.type;
  if (expr.type === type) return { type, value: { kind: 'expr', expr } };
  if (isCastTarget(type) && castAllowed(expr.type, type)) return { type, value: { kind: 'expr', expr: { kind: 'cast', type, arg: expr } } };
  issues.push(
    issue('type_mismatch', `${where}: the destination expects ${describeType(type)}, but the value is ${describeType(expr.type)}, which cannot be converted — fix: map a ${describeType(type)} column or change it with an expression`, {
      nodeId,
      path: [...path, 'source'],
    }),
  );
  return null;
}

function staticValue(
  v: JsonValue,
  target: FieldType | undefined,
  nodeId: string,
  where: string,
  path: (string | number)[],
  issues: TIssue[],
): { type: FieldType; value: FieldValue } | null {
  const mismatch = (why: string) => {
    issues.push(issue('type_mismatch', `${where}: the fixed value ${JSON.stringify(v)} ${why}`, { nodeId, path: [...path, 'source', 'value'] }));
    return null;
  };
  const type: FieldType =
    target ?? (v === null || typeof v === 'string' ? 'string' : typeof v === 'number' ? (Number.isSafeInteger(v) ? 'integer' : 'number') : typeof v === 'boolean' ? 'boolean' : 'json');
  const lit = (value: string | number | boolean | null): FieldValue => ({ kind: 'expr', expr: { kind: 'lit', type, value } });
  if (v === null) return { type, value: lit(null) };
  switch (type) {
    case 'json':
      return { type, value: lit(JSON.stringify(v)) };
    case 'string_array':
      if (Array.isArray(v) && v.every((x): x is string => typeof x === 'string')) return { type, value: { kind: 'list', values: v } };
      return mismatch('is not a list of strings — fix: enter e.g. ["a", "b"]');
    case 'string':
      if (typeof v === 'object') return mismatch('is not text — fix: enter plain text');
      return { type, value: lit(typeof v === 'number' ? String(v) : typeof v === 'boolean' ? String(v) : v) };
    case 'integer':
      if (typeof v === 'number' && Number.isSafeInteger(v)) return { type, value: lit(v) };
      return mismatch('is not a whole number');
    case 'number':
      if (typeof v === 'number') return { type, value: lit(v) };
      return mismatch('is not a number');
    case 'boolean':
      if (typeof v === 'boolean') return { type, value: lit(v) };
      return mismatch('is not true or false');
    case 'date':
      if (typeof v === 'string' && isValidDate(v)) return { type, value: lit(v) };
      return mismatch('is not a date — fix: use YYYY-MM-DD');
    case 'timestamp': {
      const s = typeof v === 'string' ? v.replace('T', ' ').replace(/Z$/, '') : '';
      const full = /^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s} 00:00:00` : s;
      if (isValidTimestamp(full)) return { type, value: lit(full) };
      return mismatch('is not a timestamp — fix: use YYYY-MM-DD HH:MM:SS (UTC)');
    }
  }
}
