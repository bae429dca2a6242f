/**
 * Map-form helpers: auto-mapping columns onto destination fields by name,
 * the required fields still unmapped, and typing a fixed value for a field.
 */
import type { FieldType, JsonValue } from '../../../connectors/sdk/types';
import type { TColumn } from '../../../workflows/graph/columns';
import type { TFieldDescriptor, TMapConfig, TMapping } from '../../../workflows/nodes/map/schema';

/** first_name, firstName and FirstName all read "firstname". */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * Adds a column mapping for every writable, unmapped field whose name matches
 * a column's (ignoring case, underscores and dashes), and picks a match key
 * when there is none: a unique mapped field, preferring email.
 */
export function autoMap(config: TMapConfig, fields: TFieldDescriptor[], columns: TColumn[]): { config: TMapConfig; added: string[] } {
  const mapped = new Set(config.mappings.map((m) => m.field));
  const byName = new Map<string, TColumn>();
  for (const c of columns) if (!byName.has(normalizeName(c.name))) byName.set(normalizeName(c.name), c);
  const added: TMapping[] = [];
  for (const f of fields) {
    if (f.readOnly || mapped.has(f.name)) continue;
    const col = byName.get(normalizeName(f.name));
    if (col) added.push({ field: f.name, source: { kind: 'column', column: col.name }, whenNull: 'send_null', onlyIfEmpty: false });
  }
  const mappings = [...config.mappings, ...added];
  const next: TMapConfig = { ...config, mappings };
  if (!next.matchField) {
    const names = new Set(mappings.map((m) => m.field));
    const unique = fields.filter((f) => f.unique && names.has(f.name));
    const pick = unique.find((f) => normalizeName(f.name) === 'email') ?? unique[0] ?? (names.has('email') ? { name: 'email' } : undefined);
    if (pick) next.matchField = pick.name;
  }
  return { config: next, added: added.map((m) => m.field) };
}

export function requiredUnmapped(config: TMapConfig): TFieldDescriptor[] {
  const mapped = new Set(config.mappings.map((m) => m.field));
  return (config.destinationFields?.fields ?? []).filter((f) => f.required && !f.readOnly && !mapped.has(f.name));
}

/** A fixed value as typed in the form, converted for the field's type (text when the type is unknown). */
export function parseStatic(text: string, type: FieldType | undefined): { value: JsonValue } | { error: string } {
  const t = text.trim();
  switch (type) {
    case 'integer':
    case 'number': {
      const n = Number(t);
      if (t === '' || Number.isNaN(n)) return { error: 'enter a number' };
      if (type === 'integer' && !Number.isInteger(n)) return { error: 'enter a whole number' };
      return { value: n };
    }
    case 'boolean':
      if (t === 'true' || t === 'false') return { value: t === 'true' };
      return { error: 'enter true or false' };
    case 'json':
    case 'string_array':
      try {
        const v: JsonValue = JSON.parse(t);
        if (type === 'string_array' && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) return { error: 'enter a JSON list of strings, e.g. ["a", "b"]' };
        return { value: v };
      } catch {
        return { error: type === 'json' ? 'enter JSON' : 'enter a JSON list of strings, e.g. ["a", "b"]' };
      }
    default:
      return { value: text };
  }
}

export function formatStatic(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}
