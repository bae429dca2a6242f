/**
 * Graph fixtures for pipeline tests: a realistic query → filter → transform →
 * map → destination pipeline over the demo warehouse's customers table, and a
 * compile env that stands in for the server's connection facts.
 */
import type { TColumn } from '../../../workflows/graph/columns';
import type { TGraph, TGraphNode } from '../../../workflows/graph/schema';
import type { CompileEnv } from '../../../workflows/compile/compile';
import type { TSourceDialectName } from '../../../workflows/compile/dialects';
import type { TFieldDescriptor } from '../../../workflows/nodes/map/schema';

export const CUSTOMER_COLUMNS: TColumn[] = [
  { name: 'customer_id', type: 'integer', nativeType: 'BIGINT' },
  { name: 'first_name', type: 'string', nativeType: 'VARCHAR' },
  { name: 'last_name', type: 'string', nativeType: 'VARCHAR' },
  { name: 'email', type: 'string', nativeType: 'VARCHAR' },
  { name: 'country', type: 'string', nativeType: 'VARCHAR' },
  { name: 'signup_date', type: 'date', nativeType: 'DATE' },
  { name: 'plan', type: 'string', nativeType: 'VARCHAR' },
  { name: 'marketing_opt_in', type: 'boolean', nativeType: 'BOOLEAN' },
];

export const CONTACT_FIELDS: TFieldDescriptor[] = [
  { name: 'email', type: 'string', required: true, unique: true },
  { name: 'firstname', type: 'string' },
  { name: 'lastname', type: 'string' },
  { name: 'country', type: 'string' },
  { name: 'signup_date', type: 'date' },
  { name: 'lifecycle', type: 'string' },
  { name: 'email_hash', type: 'string' },
  { name: 'customer_since_days', type: 'integer' },
  { name: 'hs_object_id', type: 'string', readOnly: true },
];

export const SOURCE_ID = 'conn-warehouse';
export const DEST_ID = 'conn-crm';

export function node(id: string, type: string, config: unknown, label?: string): TGraphNode {
  return { id, type, config, position: { x: 0, y: 0 }, ...(label ? { label } : {}) };
}

export function graphOf(nodes: TGraphNode[], edges: [string, string][]): TGraph {
  return { format: 'backflow.graph', version: 1, nodes, edges: edges.map(([s, t]) => ({ id: `${s}-${t}`, source: s, target: t })) };
}

/** query → filter → transform → map → destination over customers. */
export function customersPipeline(opts: { sql?: string; sourceId?: string; destId?: string } = {}): TGraph {
  const sourceId = opts.sourceId ?? SOURCE_ID;
  const destId = opts.destId ?? DEST_ID;
  return graphOf(
    [
      node('q1', 'query', { connectionId: sourceId, source: { kind: 'sql', sql: opts.sql ?? 'SELECT * FROM customers' }, primaryKey: ['customer_id'] }, 'Customers'),
      node('f1', 'filter', {
        match: 'all',
        groups: [
          {
            match: 'all',
            conditions: [
              { column: 'marketing_opt_in', operator: 'eq', value: true },
              { column: 'email', operator: 'is_not_null' },
            ],
          },
          {
            match: 'any',
            conditions: [
              { column: 'country', operator: 'in', values: ['US', 'GB', "O'Land"] },
              { column: 'signup_date', operator: 'in_last_days', days: 90 },
            ],
          },
        ],
      }, 'Opted-in'),
      node('t1', 'transform', {
        columns: [
          { name: 'email_norm', expression: 'lower(trim(email))' },
          { name: 'email_hash', expression: 'sha256(email_norm)' },
          { name: 'lifecycle', expression: "case when plan in ('pro', 'business') then 'customer' else 'lead' end" },
          { name: 'customer_since_days', expression: "date_diff('day', signup_date, now())" },
        ],
      }),
      node('m1', 'map', {
        mappings: [
          { field: 'email', source: { kind: 'column', column: 'email_norm' } },
          { field: 'firstname', source: { kind: 'column', column: 'first_name' }, whenNull: 'omit' },
          { field: 'lastname', source: { kind: 'column', column: 'last_name' }, whenNull: 'omit' },
          { field: 'country', source: { kind: 'expression', expression: "coalesce(country, 'unknown')" } },
          { field: 'signup_date', source: { kind: 'column', column: 'signup_date' } },
          { field: 'lifecycle', source: { kind: 'column', column: 'lifecycle' }, onlyIfEmpty: true },
          { field: 'email_hash', source: { kind: 'column', column: 'email_hash' } },
          { field: 'customer_since_days', source: { kind: 'column', column: 'customer_since_days' } },
        ],
        matchField: 'email',
        destinationFields: { connectionId: destId, object: 'contacts', fields: CONTACT_FIELDS },
      }),
      node('d1', 'destination', { connectionId: destId, connector: 'test-crm', object: 'contacts', mode: 'upsert', options: {} }, 'CRM contacts'),
    ],
    [
      ['q1', 'f1'],
      ['f1', 't1'],
      ['t1', 'm1'],
      ['m1', 'd1'],
    ],
  );
}

/** A compile env with introspected columns per query node and fixed connection facts. */
export function testEnv(opts: { dialect?: TSourceDialectName; columns?: Record<string, TColumn[]>; now?: string } = {}): CompileEnv {
  const columns = opts.columns ?? { q1: CUSTOMER_COLUMNS };
  return {
    sourceColumns: new Map(Object.entries(columns).map(([id, cols]) => [id, { columns: cols }])),
    connections: new Map([
      [SOURCE_ID, { name: 'Warehouse', kind: 'source' as const, connector: 'duckdb' }],
      [DEST_ID, { name: 'CRM', kind: 'destination' as const, connector: 'test-crm' }],
    ]),
    destination: (slug) =>
      slug === 'test-crm' ? { displayName: 'Test CRM', modes: ['upsert', 'update', 'mirror'], setOnlyIfEmpty: true } : undefined,
    dialectOf: (id) => (id === SOURCE_ID ? (opts.dialect ?? 'duckdb') : undefined),
    now: opts.now ?? '2025-03-15 12:00:00',
  };
}
