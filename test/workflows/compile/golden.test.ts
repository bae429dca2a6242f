/**
 * Golden compile outputs: the SQL of two pipelines in every dialect, pinned in
 * test/workflows/compile/golden/*.sql. A change to generated SQL shows up as a
 * diff here (update deliberately with `vitest -u`). Snowflake, BigQuery and
 * Redshift are covered only by these texts.
 */
import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../../workflows/compile/compile';
import { SOURCE_DIALECTS } from '../../../workflows/compile/dialects';
import { RECORD_KEY_COLUMN } from '../../../workflows/compile/plan';
import { customersPipeline, DEST_ID, graphOf, node, SOURCE_ID, testEnv } from '../helpers/graphs';

/** Composite key, a table source, static values of every kind, more functions. */
function kitchenSink() {
  return graphOf(
    [
      node('q1', 'query', { connectionId: SOURCE_ID, source: { kind: 'table', schema: 'analytics', table: 'order lines' }, primaryKey: ['order_id', 'line_no'] }),
      node('f1', 'filter', {
        match: 'any',
        groups: [
          { match: 'all', conditions: [{ column: 'amount', operator: 'between', values: [10, 99.5] }, { column: 'sku', operator: 'starts_with', value: 'SKU-' }] },
          { match: 'all', conditions: [{ column: 'ordered_at', operator: 'gte', value: { timestamp: '2024-01-01 00:00:00' } }, { expression: "contains(lower(sku), 'gift') or qty % 2 = 0" }] },
        ],
      }),
      node('t1', 'transform', {
        columns: [
          { name: 'month', expression: "date_trunc('month', ordered_at)" },
          { name: 'due', expression: "date_add(cast(ordered_at as date), 1, 'month')" },
          { name: 'unit_price', expression: 'round(amount / qty, 2)' },
          { name: 'half', expression: 'qty / 2' },
          { name: 'label', expression: "concat(sku, ' × ', qty, ' @ ', unit_price)" },
          { name: 'is_big', expression: 'amount >= 50.0 and not (sku is null)' },
          { name: 'qty_text', expression: 'cast(qty as string)', type: 'string' },
          { name: 'age_months', expression: "date_diff('month', ordered_at, timestamp '2025-01-31 00:00:00')" },
        ],
      }),
      node('m1', 'map', {
        mappings: [
          { field: 'external_id', source: { kind: 'expression', expression: "concat(order_id, '-', line_no)" } },
          { field: 'amount', source: { kind: 'column', column: 'unit_price' } },
          { field: 'quantity', source: { kind: 'column', column: 'qty_text' } },
          { field: 'big', source: { kind: 'column', column: 'is_big' } },
          { field: 'month', source: { kind: 'column', column: 'month' } },
          { field: 'due', source: { kind: 'column', column: 'due' }, whenNull: 'omit' },
          { field: 'source', source: { kind: 'static', value: "backflow's sync" } },
          { field: 'meta', source: { kind: 'static', value: { origin: 'warehouse', tags: ['a', 'b'] } } },
          { field: 'tags', source: { kind: 'static', value: ['vip', 'q1'] } },
          { field: 'age', source: { kind: 'column', column: 'age_months' } },
        ],
        matchField: 'external_id',
        destinationFields: {
          connectionId: DEST_ID,
          object: 'orders',
          fields: [
            { name: 'external_id', type: 'string', required: true, unique: true },
            { name: 'amount', type: 'number' },
            { name: 'quantity', type: 'integer' },
            { name: 'big', type: 'boolean' },
            { name: 'month', type: 'date' },
            { name: 'due', type: 'timestamp' },
            { name: 'source', type: 'string' },
            { name: 'meta', type: 'json' },
            { name: 'tags', type: 'string_array' },
            { name: 'age', type: 'string' },
          ],
        },
      }),
      node('d1', 'destination', { connectionId: DEST_ID, connector: 'test-crm', object: 'orders', mode: 'mirror', options: { batch: 'small' } }),
    ],
    [
      ['q1', 'f1'],
      ['f1', 't1'],
      ['t1', 'm1'],
      ['m1', 'd1'],
    ],
  );
}

const KITCHEN_COLUMNS = [
  { name: 'order_id', type: 'integer' as const, nativeType: 'BIGINT' },
  { name: 'line_no', type: 'integer' as const, nativeType: 'INTEGER' },
  { name: 'sku', type: 'string' as const, nativeType: 'VARCHAR' },
  { name: 'qty', type: 'integer' as const, nativeType: 'INTEGER' },
  { name: 'amount', type: 'number' as const, nativeType: 'DECIMAL(10,2)' },
  { name: 'ordered_at', type: 'timestamp' as const, nativeType: 'TIMESTAMP WITH TIME ZONE' },
];

describe('golden compile output', () => {
  for (const dialect of SOURCE_DIALECTS) {
    it(`customers pipeline — ${dialect}`, async () => {
      const r = compileGraph(customersPipeline(), 'pipeline-1', testEnv({ dialect }));
      if (!r.ok) throw new Error(JSON.stringify(r.issues, null, 2));
      const path = r.plan.paths[0]!;
      expect(path.fields.map((f) => f.name)).toEqual(['email', 'firstname', 'lastname', 'country', 'signup_date', 'lifecycle', 'email_hash', 'customer_since_days']);
      expect(path.sql).toContain(RECORD_KEY_COLUMN);
      // Redshift SQL is generated with its own functions; the plan records the source's declared dialect.
      expect(path.source.dialect).toBe(dialect === 'redshift' ? 'postgres' : dialect);
      await expect(path.sql).toMatchFileSnapshot(`golden/customers.${dialect}.sql`);
    });

    it(`kitchen-sink pipeline — ${dialect}`, async () => {
      const r = compileGraph(kitchenSink(), 'pipeline-2', testEnv({ dialect, columns: { q1: KITCHEN_COLUMNS } }));
      if (!r.ok) throw new Error(JSON.stringify(r.issues, null, 2));
      await expect(r.plan.paths[0]!.sql).toMatchFileSnapshot(`golden/kitchen-sink.${dialect}.sql`);
    });
  }

  it('the plan carries fields, keys, mode and destination config', () => {
    const r = compileGraph(kitchenSink(), 'pipeline-2', testEnv({ columns: { q1: KITCHEN_COLUMNS } }));
    if (!r.ok) throw new Error(JSON.stringify(r.issues, null, 2));
    const p = r.plan.paths[0]!;
    expect(r.plan).toMatchObject({ version: 1, pipelineId: 'pipeline-2' });
    expect(p).toMatchObject({
      id: 'd1',
      nodeIds: ['q1', 'f1', 't1', 'm1', 'd1'],
      source: { connectionId: SOURCE_ID, dialect: 'duckdb' },
      primaryKey: ['order_id', 'line_no'],
      matchField: 'external_id',
      destination: { connectionId: DEST_ID, connector: 'test-crm', object: 'orders', mode: 'mirror', options: { batch: 'small' } },
    });
    expect(p.fields.find((f) => f.name === 'due')).toEqual({ name: 'due', type: 'timestamp', whenNull: 'omit', onlyIfEmpty: false });
    expect(p.fields.find((f) => f.name === 'quantity')?.type).toBe('integer');
    expect(p.fields.map((f) => f.name)).toEqual(['external_id', 'amount', 'quantity', 'big', 'month', 'due', 'source', 'meta', 'tags', 'age']);
  });
});
