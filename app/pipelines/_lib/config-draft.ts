/**
 * Lenient readers of node configs for the forms. A draft may hold a
 * half-finished config (an empty connection, a condition without a column);
 * the node's own schema then refuses it, but the form must still show and edit
 * it. Each reader keeps every well-formed part and fills the rest with the
 * empty value the form starts from. Types are the node schemas' own.
 */
import { SYNC_MODES } from '../../../connectors/sdk/types';
import { CAST_TARGETS } from '../../../workflows/compile/expr/ast';
import { ZColumn } from '../../../workflows/graph/columns';
import type { TDestinationConfig } from '../../../workflows/nodes/destination/schema';
import { FILTER_OPERATORS, ZFilterValue, type TColumnCondition, type TCondition, type TConditionGroup, type TFilterConfig } from '../../../workflows/nodes/filter/schema';
import { ZFieldDescriptor, ZMappingSource, type TMapConfig, type TMapping } from '../../../workflows/nodes/map/schema';
import { ZDbtModelRef, type TQueryConfig, type TQuerySource } from '../../../workflows/nodes/query/schema';
import type { TDerivedColumn, TTransformConfig } from '../../../workflows/nodes/transform/schema';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  return v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v)) : {};
}
function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function oneOf<T extends string>(v: unknown, options: readonly T[], fallback: T): T {
  return options.find((o) => o === v) ?? fallback;
}
const MATCH = ['all', 'any'] as const;

export function readQueryConfig(raw: unknown): TQueryConfig {
  const c = obj(raw);
  const s = obj(c.source);
  let source: TQuerySource;
  if (s.kind === 'table') source = { kind: 'table', schema: typeof s.schema === 'string' ? s.schema : null, table: str(s.table) };
  else if (s.kind === 'dbt') {
    const model = ZDbtModelRef.safeParse(s.model);
    source = model.success ? { kind: 'dbt', model: model.data } : { kind: 'sql', sql: '' };
  } else source = { kind: 'sql', sql: str(s.sql) };
  const columns = arr(c.columns).flatMap((x) => {
    const p = ZColumn.safeParse(x);
    return p.success ? [p.data] : [];
  });
  return {
    connectionId: str(c.connectionId),
    source,
    primaryKey: arr(c.primaryKey).filter((k): k is string => typeof k === 'string' && k !== ''),
    ...(Array.isArray(c.columns) ? { columns } : {}),
  };
}

function readCondition(raw: unknown): TCondition {
  const c = obj(raw);
  if (typeof c.expression === 'string') return { expression: c.expression };
  const out: TColumnCondition = { column: str(c.column), operator: oneOf(c.operator, FILTER_OPERATORS, 'eq') };
  const value = ZFilterValue.safeParse(c.value);
  if (c.value !== undefined && value.success) out.value = value.data;
  if (Array.isArray(c.values)) out.values = c.values.flatMap((v) => {
    const p = ZFilterValue.safeParse(v);
    return p.success ? [p.data] : [];
  });
  if (typeof c.days === 'number' && Number.isFinite(c.days)) out.days = c.days;
  return out;
}

export function readFilterConfig(raw: unknown): TFilterConfig {
  const c = obj(raw);
  const groups: TConditionGroup[] = arr(c.groups).map((g) => {
    const o = obj(g);
    return { match: oneOf(o.match, MATCH, 'all'), conditions: arr(o.conditions).map(readCondition) };
  });
  return { match: oneOf(c.match, MATCH, 'all'), groups };
}

export function readTransformConfig(raw: unknown): TTransformConfig {
  const c = obj(raw);
  return {
    columns: arr(c.columns).map((x): TDerivedColumn => {
      const o = obj(x);
      const type = CAST_TARGETS.find((t) => t === o.type);
      return { name: str(o.name), expression: str(o.expression), ...(type ? { type } : {}) };
    }),
  };
}

export function readMapConfig(raw: unknown): TMapConfig {
  const c = obj(raw);
  const mappings = arr(c.mappings).map((x): TMapping => {
    const o = obj(x);
    const source = ZMappingSource.safeParse(o.source);
    const s = obj(o.source);
    return {
      field: str(o.field),
      source: source.success ? source.data : s.kind === 'expression' ? { kind: 'expression', expression: str(s.expression) } : { kind: 'column', column: str(s.column) },
      whenNull: oneOf(o.whenNull, ['send_null', 'omit'] as const, 'send_null'),
      onlyIfEmpty: o.onlyIfEmpty === true,
    };
  });
  const snap = obj(c.destinationFields);
  const fields = arr(snap.fields).flatMap((f) => {
    const p = ZFieldDescriptor.safeParse(f);
    return p.success ? [p.data] : [];
  });
  const out: TMapConfig = { mappings };
  if (typeof c.matchField === 'string' && c.matchField !== '') out.matchField = c.matchField;
  if (typeof snap.connectionId === 'string' && typeof snap.object === 'string') {
    out.destinationFields = { connectionId: snap.connectionId, object: snap.object, fields, ...(typeof snap.fetchedAt === 'string' ? { fetchedAt: snap.fetchedAt } : {}) };
  }
  return out;
}

export function readDestinationConfig(raw: unknown): TDestinationConfig {
  const c = obj(raw);
  return {
    connectionId: str(c.connectionId),
    ...(typeof c.connector === 'string' ? { connector: c.connector } : {}),
    object: str(c.object),
    mode: oneOf(c.mode, SYNC_MODES, 'upsert'),
    options: obj(c.options),
  };
}
