/**
 * One test per validation message: each breaks a valid pipeline in one way and
 * checks that the problem is reported on the right node, with a message that
 * names the cause and the fix.
 */
import { describe, expect, it } from 'vitest';
import type { TIssue } from '../../../workflows/graph/issues';
import type { TGraph } from '../../../workflows/graph/schema';
import { validateGraph } from '../../../workflows/graph/validate';
import { CUSTOMER_COLUMNS, customersPipeline, DEST_ID, graphOf, node, SOURCE_ID, testEnv } from '../helpers/graphs';

function errors(graph: unknown, env = testEnv()): TIssue[] {
  return validateGraph(graph, env).issues.filter((i) => i.severity === 'error');
}

/** Edits one node's config of the customers pipeline. */
function withConfig(id: string, edit: (config: Record<string, unknown>) => void): TGraph {
  const g = customersPipeline();
  const n = g.nodes.find((x) => x.id === id)!;
  const config = structuredClone(n.config) as Record<string, unknown>;
  edit(config);
  n.config = config;
  return g;
}

function only(issues: TIssue[], code: string): TIssue {
  const found = issues.filter((i) => i.code === code);
  expect(found, JSON.stringify(issues, null, 2)).toHaveLength(1);
  return found[0]!;
}

describe('validateGraph', () => {
  it('accepts the reference pipeline without errors or warnings', () => {
    const v = validateGraph(customersPipeline(), testEnv());
    expect(v.issues).toEqual([]);
    expect(v.columns.t1?.map((c) => c.name)).toContain('email_hash');
    expect(v.columns.m1?.find((c) => c.name === 'customer_since_days')?.type).toBe('integer');
  });

  it('malformed graph JSON', () => {
    const i = errors({ format: 'backflow.graph', version: 1, nodes: [{ id: 'a' }], edges: 'x' });
    expect(i.every((x) => x.code === 'malformed_graph')).toBe(true);
    expect(i.map((x) => x.message).join('\n')).toMatch(/nodes\.0\.type: .*— fix:/);
    expect(errors('not a graph')[0]?.code).toBe('malformed_graph');
  });

  it('unknown node type', () => {
    const g = customersPipeline();
    g.nodes.push(node('x1', 'teleport', {}));
    const i = only(errors(g), 'unknown_node_type');
    expect(i.nodeId).toBe('x1');
    expect(i.message).toMatch(/"teleport".*fix: use one of query, filter, transform, map, destination/);
  });

  it('invalid node config, with the config path', () => {
    const i = only(errors(withConfig('d1', (c) => (c.object = ''))), 'invalid_config');
    expect(i).toMatchObject({ nodeId: 'd1', path: ['object'] });
    expect(i.message).toMatch(/CRM contacts \(d1\): object: pick the object/);
  });

  it('cycle', () => {
    const g = graphOf(
      [node('q1', 'query', { connectionId: SOURCE_ID, source: { kind: 'sql', sql: 'select 1 as id' }, primaryKey: ['id'] }), node('f1', 'filter', {}), node('f2', 'filter', {})],
      [
        ['q1', 'f1'],
        ['f1', 'f2'],
        ['f2', 'f1'],
      ],
    );
    const i = only(errors(g), 'cycle');
    expect(i.message).toMatch(/cycle: Filter \(f1\) → Filter \(f2\) → Filter \(f1\) — fix: remove one of these edges/);
  });

  it('node without an input', () => {
    const g = customersPipeline();
    g.edges = g.edges.filter((e) => e.target !== 'f1');
    const i = errors(g).find((x) => x.code === 'no_input')!;
    expect(i).toMatchObject({ nodeId: 'f1' });
    expect(i.message).toMatch(/Opted-in \(f1\) has no input — fix: connect/);
  });

  it('node with two inputs', () => {
    const g = customersPipeline();
    g.nodes.push(node('q2', 'query', { connectionId: SOURCE_ID, source: { kind: 'sql', sql: 'select * from customers' }, primaryKey: ['customer_id'] }));
    g.edges.push({ id: 'q2-f1', source: 'q2', target: 'f1' });
    const i = only(errors(g, testEnv({ columns: { q1: CUSTOMER_COLUMNS, q2: CUSTOMER_COLUMNS } })), 'too_many_inputs');
    expect(i.nodeId).toBe('f1');
  });

  it('node that reaches no destination', () => {
    const g = customersPipeline();
    g.nodes.push(node('f9', 'filter', { groups: [{ conditions: [{ column: 'plan', operator: 'eq', value: 'pro' }] }] }, 'Pro only'));
    g.edges.push({ id: 'q1-f9', source: 'q1', target: 'f9' });
    const i = only(errors(g), 'reaches_no_destination');
    expect(i.nodeId).toBe('f9');
    expect(i.message).toMatch(/Pro only \(f9\) does not lead to any destination.*fix:/);
  });

  it('destination without a map', () => {
    const g = customersPipeline();
    g.nodes = g.nodes.filter((n) => n.id !== 'm1');
    g.edges = [...g.edges.filter((e) => e.source !== 'm1' && e.target !== 'm1'), { id: 't1-d1', source: 't1', target: 'd1' }];
    const i = only(errors(g), 'destination_without_map');
    expect(i.nodeId).toBe('d1');
    expect(i.message).toMatch(/not by a map — fix: put a map node before it/);
  });

  it('map that feeds something other than a destination', () => {
    const g = customersPipeline();
    g.nodes.push(node('f9', 'filter', {}));
    g.edges.push({ id: 'm1-f9', source: 'm1', target: 'f9' });
    expect(errors(g).some((i) => i.code === 'map_not_before_destination' && i.nodeId === 'm1')).toBe(true);
  });

  it('edges out of a destination or into a query', () => {
    const g = customersPipeline();
    g.edges.push({ id: 'd1-q1', source: 'd1', target: 'q1' });
    const codes = errors(g).filter((i) => i.code === 'invalid_edge');
    expect(codes.map((i) => i.nodeId).sort()).toEqual(['d1', 'q1']);
  });

  it('dangling edge and duplicate node id', () => {
    const g = customersPipeline();
    g.edges.push({ id: 'ghost', source: 'q1', target: 'nowhere' });
    g.nodes.push(node('q1', 'query', {}));
    const e = errors(g);
    expect(only(e, 'dangling_edge').edgeId).toBe('ghost');
    expect(only(e, 'duplicate_node_id').nodeId).toBe('q1');
  });

  it('unknown column (filter, transform and map), with a suggestion', () => {
    const f = only(errors(withConfig('f1', (c) => ((c.groups as { conditions: { column: string }[] }[])[0]!.conditions[0]!.column = 'Marketing_Opt_In'))), 'unknown_column');
    expect(f).toMatchObject({ nodeId: 'f1', path: ['groups', 0, 'conditions', 0] });
    expect(f.message).toMatch(/unknown column "Marketing_Opt_In".*did you mean "marketing_opt_in"/);

    const t = only(errors(withConfig('t1', (c) => ((c.columns as { expression: string }[])[0]!.expression = 'lower(emial)'))), 'unknown_column');
    expect(t).toMatchObject({ nodeId: 't1', path: ['columns', 0, 'expression'], position: { start: 6, end: 11 } });

    const m = only(errors(withConfig('m1', (c) => ((c.mappings as { source: { column: string } }[])[1]!.source.column = 'nickname'))), 'unknown_column');
    expect(m).toMatchObject({ nodeId: 'm1', path: ['mappings', 1, 'source', 'column'] });
  });

  it('type mismatch: a date compared with a string', () => {
    const f = only(
      errors(withConfig('f1', (c) => ((c.groups as { conditions: unknown[] }[])[0]!.conditions.push({ column: 'signup_date', operator: 'gt', value: '2024-01-01' })))),
      'type_mismatch',
    );
    expect(f.nodeId).toBe('f1');
    expect(f.message).toMatch(/"signup_date" is a date but "2024-01-01" is text — fix: pick a date value/);

    const t = only(errors(withConfig('t1', (c) => (c.columns as unknown[]).push({ name: 'recent', expression: "signup_date > '2024-01-01'" }))), 'type_mismatch');
    expect(t.message).toMatch(/date and string do not mix — fix: convert it with CAST\(… AS date\)/);
    expect(t.position).toEqual({ start: 14, end: 26 });
  });

  it('type mismatch: a value the destination field cannot take', () => {
    const i = only(errors(withConfig('m1', (c) => ((c.mappings as { source: unknown }[])[4]!.source = { kind: 'column', column: 'marketing_opt_in' }))), 'type_mismatch');
    expect(i.message).toMatch(/expects date, but the value is boolean/);
  });

  it('missing primary key', () => {
    const i = only(errors(withConfig('q1', (c) => (c.primaryKey = []))), 'missing_primary_key');
    expect(i).toMatchObject({ nodeId: 'q1', path: ['primaryKey'] });
    expect(i.message).toMatch(/no primary key — fix: pick the column/);
    const j = only(errors(withConfig('q1', (c) => (c.primaryKey = ['id']))), 'missing_primary_key');
    expect(j.message).toMatch(/"id" is not in the query's output/);
  });

  it('missing match key', () => {
    const i = only(errors(withConfig('m1', (c) => delete c.matchField)), 'missing_match_key');
    expect(i).toMatchObject({ nodeId: 'm1', path: ['matchField'] });
    const j = only(errors(withConfig('m1', (c) => (c.matchField = 'phone'))), 'missing_match_key');
    expect(j.message).toMatch(/"phone" is not mapped/);
  });

  it('duplicate output names', () => {
    const t = only(errors(withConfig('t1', (c) => ((c.columns as { name: string }[])[1]!.name = 'email'))), 'duplicate_output');
    expect(t.message).toMatch(/the input already has a column with this name/);
    const m = only(errors(withConfig('m1', (c) => (c.mappings as unknown[]).push({ field: 'email', source: { kind: 'column', column: 'email' } }))), 'duplicate_output');
    expect(m.message).toMatch(/mapped twice/);
  });

  it('expression syntax errors, with their position', () => {
    const i = only(errors(withConfig('t1', (c) => ((c.columns as { expression: string }[])[2]!.expression = "case when plan = 'pro' then 1 else 2"))), 'expression_syntax');
    expect(i.nodeId).toBe('t1');
    expect(i.position).toEqual({ start: 36, end: 36 });
    expect(i.message).toMatch(/expected END to close CASE, found the end of the expression at column 37/);
    const j = only(errors(withConfig('t1', (c) => ((c.columns as { expression: string }[])[2]!.expression = 'lower(email'))), 'expression_syntax');
    expect(j.message).toMatch(/expected "\)" to close lower/);
  });

  it('a required destination field left unmapped', () => {
    const g = withConfig('m1', (c) => {
      c.mappings = (c.mappings as { field: string }[]).filter((m) => m.field !== 'email');
      c.matchField = 'email_hash';
    });
    const i = only(errors(g), 'required_field_unmapped');
    expect(i.nodeId).toBe('m1');
    expect(i.message).toMatch(/contacts requires "email" \(email\) but nothing is mapped to it — fix:/);
  });

  it('unknown and read-only destination fields', () => {
    const e = errors(withConfig('m1', (c) => (c.mappings as unknown[]).push({ field: 'fax', source: { kind: 'static', value: 'x' } }, { field: 'hs_object_id', source: { kind: 'static', value: '1' } })));
    expect(only(e, 'unknown_destination_field').message).toMatch(/contacts has no field "fax"/);
    expect(only(e, 'read_only_field').message).toMatch(/refuses writes/);
  });

  it('a cached field list for another object', () => {
    const i = only(errors(withConfig('d1', (c) => (c.object = 'companies'))), 'stale_destination_fields');
    expect(i.nodeId).toBe('m1');
    expect(i.message).toMatch(/refresh the destination fields/);
  });

  it('a mode or option the connector does not support', () => {
    expect(only(errors(withConfig('d1', (c) => (c.mode = 'add_remove'))), 'unsupported_mode').message).toMatch(/cannot sync in "add_remove" mode — fix: choose one of upsert, update, mirror/);
    const env = testEnv();
    const noOnlyIfEmpty = { ...env, destination: () => ({ displayName: 'Test CRM', modes: ['upsert' as const], setOnlyIfEmpty: false }) };
    const i = only(errors(customersPipeline(), noOnlyIfEmpty), 'unsupported_option');
    expect(i).toMatchObject({ nodeId: 'm1', path: ['mappings', 5, 'onlyIfEmpty'] });
  });

  it('connections that do not exist or have the wrong kind', () => {
    expect(only(errors(withConfig('q1', (c) => (c.connectionId = 'nope'))), 'unknown_connection').message).toMatch(/connection nope does not exist in this workspace/);
    expect(only(errors(withConfig('q1', (c) => (c.connectionId = DEST_ID))), 'unknown_connection').message).toMatch(/"CRM" is a destination connection, not a source/);
  });

  it('SQL that writes, or holds several statements', () => {
    for (const sql of ['DROP TABLE customers', 'INSERT INTO t VALUES (1)', 'SELECT 1; DELETE FROM customers', 'WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x', 'SELECT * FROM t FOR UPDATE']) {
      const i = only(errors(withConfig('q1', (c) => (c.source = { kind: 'sql', sql }))), 'sql_writes');
      expect(i).toMatchObject({ nodeId: 'q1', path: ['source', 'sql'] });
      expect(i.message).toMatch(/Customers \(q1\): the SQL .* — fix:/);
    }
    // Keywords inside strings, quoted names and comments are not statements.
    const ok = withConfig('q1', (c) => (c.source = { kind: 'sql', sql: `SELECT 'drop table x; --' AS "delete", replace(email, 'a', 'b') AS e /* update */ FROM customers;` }));
    expect(errors(ok).filter((i) => i.code === 'sql_writes')).toEqual([]);
  });

  it('columns of a query that cannot be introspected', () => {
    const env = testEnv();
    const failing = { ...env, sourceColumns: new Map([['q1', { error: { code: 'sql_error' as const, severity: 'error' as const, message: 'Customers (q1): DuckDB: Catalog Error: Table with name custmers does not exist — fix: correct the SQL', nodeId: 'q1' } }]]) };
    const e = errors(customersPipeline(), failing);
    expect(only(e, 'sql_error').nodeId).toBe('q1');
    // Downstream nodes do not cascade into "unknown column" errors.
    expect(e.filter((i) => i.code === 'unknown_column')).toEqual([]);
  });
});
