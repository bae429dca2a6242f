/**
 * The webhook body template language: JSON with `{{name}}` placeholders in
 * string values. Small on purpose, and safe by construction — a template is
 * parsed as JSON once, and rendering walks that tree, so a value can never
 * change the document's structure (no text is spliced into JSON).
 *
 *   "{{email}}"          a string that is exactly one placeholder becomes the
 *                        value itself, with its JSON type (number, object, null…)
 *   "Hi {{name}}!"       a placeholder inside longer text is interpolated as
 *                        text: null → "", objects and arrays → their JSON
 *
 * Names are mapped field names or built-ins that start with `$`; batch bodies
 * also have `rows`. Placeholders in object keys, unknown names and unclosed
 * braces are validation errors, reported with their JSON path.
 */
import type { JsonValue } from '../../sdk/types';

export const ROW_BUILTINS = ['$fields', '$op', '$recordKey', '$idempotencyKey', '$matchField', '$matchValue', '$externalId', '$object'] as const;
export const BATCH_BUILTINS = ['rows', '$object', '$count', '$batchKey'] as const;

export type TemplateScope = 'row' | 'batch';

type Part = string | { name: string };
export type TemplateNode =
  | { kind: 'literal'; value: JsonValue }
  | { kind: 'value'; name: string }
  | { kind: 'text'; parts: Part[] }
  | { kind: 'array'; items: TemplateNode[] }
  | { kind: 'object'; entries: [string, TemplateNode][] };

export type CompiledTemplate = { root: TemplateNode; names: Set<string> };

export type TemplateIssue = { path: string; message: string };

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

function parseText(text: string, path: string, issues: TemplateIssue[], names: Set<string>): TemplateNode {
  if (!text.includes('{{') && !text.includes('}}')) return { kind: 'literal', value: text };
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    const before = text.slice(last, m.index);
    if (before.includes('{{') || before.includes('}}')) issues.push({ path, message: `unbalanced braces in ${JSON.stringify(text)}` });
    if (before) parts.push(before);
    const name = m[1]!.trim();
    if (!name) issues.push({ path, message: 'empty placeholder {{}}' });
    else {
      parts.push({ name });
      names.add(name);
    }
    last = m.index + m[0].length;
  }
  const rest = text.slice(last);
  if (rest.includes('{{') || rest.includes('}}')) issues.push({ path, message: `unclosed or unbalanced placeholder in ${JSON.stringify(text)}` });
  if (rest) parts.push(rest);
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only !== undefined && typeof only !== 'string') return { kind: 'value', name: only.name };
  return { kind: 'text', parts };
}

function parseNode(value: JsonValue, path: string, issues: TemplateIssue[], names: Set<string>): TemplateNode {
  if (typeof value === 'string') return parseText(value, path, issues, names);
  if (Array.isArray(value)) return { kind: 'array', items: value.map((v, i) => parseNode(v, `${path}[${i}]`, issues, names)) };
  if (value !== null && typeof value === 'object') {
    const entries: [string, TemplateNode][] = [];
    for (const [k, v] of Object.entries(value)) {
      const at = `${path}.${k}`;
      if (k.includes('{{')) issues.push({ path: at, message: `placeholders are allowed in values only, not in the key ${JSON.stringify(k)}` });
      entries.push([k, parseNode(v, at, issues, names)]);
    }
    return { kind: 'object', entries };
  }
  return { kind: 'literal', value };
}

function isJsonValue(v: unknown): v is JsonValue {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v) || (typeof v === 'object' && v !== null);
}

/**
 * Parses and checks a template. `fields`, when known, are the mapped field
 * names a row template may use; without them any non-`$` name is accepted as
 * a field (and renders null when a row does not carry it).
 */
export function compileTemplate(
  source: string,
  scope: TemplateScope,
  fields?: readonly string[],
): { ok: true; template: CompiledTemplate } | { ok: false; issues: TemplateIssue[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (err) {
    return { ok: false, issues: [{ path: '$', message: `not valid JSON: ${err instanceof Error ? err.message : String(err)}` }] };
  }
  if (!isJsonValue(parsed)) return { ok: false, issues: [{ path: '$', message: 'not a JSON value' }] };
  const issues: TemplateIssue[] = [];
  const names = new Set<string>();
  const root = parseNode(parsed, '$', issues, names);

  const builtins: readonly string[] = scope === 'row' ? ROW_BUILTINS : BATCH_BUILTINS;
  for (const name of names) {
    if (builtins.includes(name)) continue;
    if (scope === 'batch') {
      issues.push({
        path: '$',
        message: `unknown placeholder {{${name}}} in the batch body — fix: use one of ${BATCH_BUILTINS.map((b) => `{{${b}}}`).join(', ')}; row fields go in the row template`,
      });
    } else if (name.startsWith('$') || (fields && !fields.includes(name))) {
      const known = [...(fields ?? []), ...ROW_BUILTINS];
      issues.push({ path: '$', message: `unknown placeholder {{${name}}} — fix: use a mapped field or a built-in: ${known.map((b) => `{{${b}}}`).join(', ')}` });
    }
  }
  if (scope === 'batch') {
    const count = countValue(root, 'rows');
    if (count !== 1) {
      issues.push({ path: '$', message: `a batch body must contain "{{rows}}" exactly once, as a whole value (found ${count}) — fix: e.g. {"rows": "{{rows}}"}` });
    }
    if (textUses(root, 'rows')) issues.push({ path: '$', message: '{{rows}} must be a whole value, not part of a longer string' });
  }
  return issues.length ? { ok: false, issues } : { ok: true, template: { root, names } };
}

function countValue(node: TemplateNode, name: string): number {
  switch (node.kind) {
    case 'value':
      return node.name === name ? 1 : 0;
    case 'array':
      return node.items.reduce((n, i) => n + countValue(i, name), 0);
    case 'object':
      return node.entries.reduce((n, [, v]) => n + countValue(v, name), 0);
    default:
      return 0;
  }
}

function textUses(node: TemplateNode, name: string): boolean {
  switch (node.kind) {
    case 'text':
      return node.parts.some((p) => typeof p !== 'string' && p.name === name);
    case 'array':
      return node.items.some((i) => textUses(i, name));
    case 'object':
      return node.entries.some(([, v]) => textUses(v, name));
    default:
      return false;
  }
}

function asText(v: JsonValue | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Renders a compiled template; `lookup` resolves a placeholder name (undefined → null). */
export function renderTemplate(t: CompiledTemplate, lookup: (name: string) => JsonValue | undefined): JsonValue {
  const walk = (node: TemplateNode): JsonValue => {
    switch (node.kind) {
      case 'literal':
        return node.value;
      case 'value':
        return lookup(node.name) ?? null;
      case 'text':
        return node.parts.map((p) => (typeof p === 'string' ? p : asText(lookup(p.name)))).join('');
      case 'array':
        return node.items.map(walk);
      case 'object': {
        const out: { [k: string]: JsonValue } = {};
        for (const [k, v] of node.entries) out[k] = walk(v);
        return out;
      }
    }
  };
  return walk(t.root);
}
