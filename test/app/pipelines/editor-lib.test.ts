/**
 * The editor's testable logic: issue mapping, lenient config readers, filter
 * typing, card summaries, shortcuts, live expression checks, templates.
 */
import { describe, expect, it } from 'vitest';
import { clientValidationEnv } from '../../../app/pipelines/_lib/client-env';
import { readDestinationConfig, readFilterConfig, readMapConfig, readQueryConfig, readTransformConfig } from '../../../app/pipelines/_lib/config-draft';
import { liveCheck, transformScope } from '../../../app/pipelines/_lib/expression';
import { arityOf, formatValue, operatorsFor, parseList, parseValue, withOperator } from '../../../app/pipelines/_lib/filter-ui';
import { issueNodeId, issuesAt, issuesByNode, mergeIssues, sortIssues } from '../../../app/pipelines/_lib/issues';
import { paletteGroups } from '../../../app/pipelines/_lib/palette';
import { cellText, dryRunBars } from '../../../app/pipelines/_lib/preview-data';
import { canvasShortcut, isTypingTarget, shortcutFor } from '../../../app/pipelines/_lib/shortcuts';
import { conditionText, nodeSummary } from '../../../app/pipelines/_lib/summary';
import { pickTemplateConnections, templateGraph } from '../../../app/pipelines/_lib/templates';
import { issue } from '../../../workflows/graph/issues';
import { validateGraph } from '../../../workflows/graph/validate';
import { CUSTOMER_COLUMNS, customersPipeline, graphOf, node } from '../../workflows/helpers/graphs';

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

describe('issues on the canvas', () => {
  const g = customersPipeline();
  it('maps issues to nodes, including edge-only issues, and counts per node', () => {
    const issues = [
      issue('unknown_column', 'x', { nodeId: 'm1' }),
      issue('invalid_edge', 'dup', { edgeId: 'f1-t1', severity: 'warning' }),
      issue('missing_match_key', 'w', { nodeId: 'm1', severity: 'warning' }),
      issue('malformed_graph', 'g'),
    ];
    expect(issueNodeId(issues[1]!, g)).toBe('t1');
    expect(issueNodeId(issues[3]!, g)).toBeNull();
    const by = issuesByNode(issues, g);
    expect(by.get('m1')).toMatchObject({ errors: 1, warnings: 1 });
    expect(by.get('t1')).toMatchObject({ errors: 0, warnings: 1 });
    expect(by.has('q1')).toBe(false);
  });
  it('sorts errors first, graph-level first, then in graph order', () => {
    const sorted = sortIssues([issue('cycle', 'late', { nodeId: 'd1' }), issue('cycle', 'warn', { nodeId: 'q1', severity: 'warning' }), issue('cycle', 'early', { nodeId: 'q1' }), issue('malformed_graph', 'top')], g);
    expect(sorted.map((i) => i.message)).toEqual(['top', 'early', 'late', 'warn']);
  });
  it('finds the issues at a config path, and merges server issues without duplicates', () => {
    const q = node('q1', 'query', { connectionId: 'c', source: { kind: 'sql', sql: 'SELECT 1 AS a' }, primaryKey: ['a'], columns: [{ name: 'a', type: 'integer' }] });
    const v = validateGraph(graphOf([q, node('t1', 'transform', { columns: [{ name: 'b', expression: 'lower(' }] })], [['q1', 't1']]));
    expect(issuesAt(v.issues, 't1', ['columns', 0, 'expression'])[0]?.code).toBe('expression_syntax');
    expect(issuesAt(v.issues, 't1', ['columns', 1])).toEqual([]);
    const a = issue('sql_error', 'bad sql', { nodeId: 'q1' });
    expect(mergeIssues([a], [a, issue('sql_error', 'other', { nodeId: 'q1' })]).map((i) => i.message)).toEqual(['bad sql', 'other']);
  });
});

describe('lenient config readers', () => {
  it('keep the well-formed parts of half-finished configs', () => {
    expect(readQueryConfig({ connectionId: '', source: { kind: 'table', table: 'customers' }, primaryKey: ['id', 3] })).toEqual({ connectionId: '', source: { kind: 'table', schema: null, table: 'customers' }, primaryKey: ['id'] });
    expect(readQueryConfig(null).source).toEqual({ kind: 'sql', sql: '' });
    const f = readFilterConfig({ match: 'nope', groups: [{ conditions: [{ column: '', operator: 'weird', value: { date: '2024-01-01' } }, { expression: 'a > 1' }] }] });
    expect(f).toEqual({ match: 'all', groups: [{ match: 'all', conditions: [{ column: '', operator: 'eq', value: { date: '2024-01-01' } }, { expression: 'a > 1' }] }] });
    expect(readTransformConfig({ columns: [{ name: 'x', type: 'varchar' }] })).toEqual({ columns: [{ name: 'x', expression: '' }] });
    const m = readMapConfig({ mappings: [{ field: 'email', source: { kind: 'column', column: '' } }], matchField: '', destinationFields: { connectionId: 'c', object: 'o', fields: [{ name: 'email', type: 'string' }, { bad: true }] } });
    expect(m).toEqual({ mappings: [{ field: 'email', source: { kind: 'column', column: '' }, whenNull: 'send_null', onlyIfEmpty: false }], destinationFields: { connectionId: 'c', object: 'o', fields: [{ name: 'email', type: 'string' }] } });
    expect(readDestinationConfig({ mode: 'teleport', options: [] })).toEqual({ connectionId: '', object: '', mode: 'upsert', options: {} });
  });
  it('leave a valid config exactly as its schema reads it', () => {
    const g = customersPipeline();
    const map = g.nodes.find((n) => n.id === 'm1')!.config;
    const read = readMapConfig(map);
    expect(validateGraph({ ...g, nodes: g.nodes.map((n) => (n.id === 'm1' ? { ...n, config: read } : n)) }).issues).toEqual(validateGraph(g).issues);
  });
});

describe('filter form typing', () => {
  it('offers operators by column type', () => {
    expect(operatorsFor('date')[0]).toBe('in_last_days');
    expect(operatorsFor('boolean')).toEqual(['eq', 'neq', 'is_null', 'is_not_null']);
    expect(operatorsFor('string')).toContain('contains');
    expect(operatorsFor('integer')).not.toContain('contains');
    expect(arityOf('between')).toBe('two');
  });
  it('parses typed values and reports bad ones', () => {
    expect(parseValue('42', 'integer')).toEqual({ value: 42 });
    expect(parseValue('4.2', 'integer')).toEqual({ error: 'enter a whole number' });
    expect(parseValue('2024-02-30x', 'date')).toEqual({ error: 'use YYYY-MM-DD' });
    expect(parseValue('2024-02-03', 'date')).toEqual({ value: { date: '2024-02-03' } });
    expect(parseValue('2024-02-03T10:30', 'timestamp')).toEqual({ value: { timestamp: '2024-02-03 10:30:00' } });
    expect(parseValue('true', 'boolean')).toEqual({ value: true });
    expect(parseList('US, GB,,FR', 'string')).toEqual({ values: ['US', 'GB', 'FR'] });
    expect(parseList('1, x', 'number')).toEqual({ error: '"x": enter a number' });
    expect(formatValue({ date: '2024-01-01' })).toBe('2024-01-01');
  });
  it('keeps what fits when the operator changes', () => {
    expect(withOperator({ column: 'a', operator: 'eq', value: 'x' }, 'neq')).toEqual({ column: 'a', operator: 'neq', value: 'x' });
    expect(withOperator({ column: 'a', operator: 'eq', value: 'x' }, 'in')).toEqual({ column: 'a', operator: 'in', values: ['x'] });
    expect(withOperator({ column: 'a', operator: 'eq', value: 'x' }, 'in_last_days')).toEqual({ column: 'a', operator: 'in_last_days', days: 30 });
    expect(withOperator({ column: 'a', operator: 'eq', value: 'x' }, 'is_null')).toEqual({ column: 'a', operator: 'is_null' });
  });
  it('a condition built by the form passes the filter schema through the validator', () => {
    const r = parseValue('2024-01-31', 'date');
    if (!('value' in r)) throw new Error('expected a value');
    const g = customersPipeline();
    const f1 = g.nodes.find((n) => n.id === 'f1')!;
    f1.config = { match: 'all', groups: [{ match: 'all', conditions: [{ column: 'signup_date', operator: 'gte', value: r.value }] }] };
    const codes = validateGraph(g, { sourceColumns: new Map([['q1', { columns: CUSTOMER_COLUMNS }]]) }).issues.filter((i) => i.nodeId === 'f1').map((i) => i.code);
    expect(codes).toEqual([]);
  });
});

describe('card summaries', () => {
  const names = { connectionName: (id: string) => (id === 'conn-warehouse' ? 'Warehouse' : id === 'conn-crm' ? 'CRM' : undefined) };
  it('summarises each core node type in one line', () => {
    const g = customersPipeline();
    const s = (id: string) => nodeSummary(g.nodes.find((n) => n.id === id)!, names);
    expect(s('q1')).toBe('Warehouse: SELECT * FROM customers · key customer_id');
    expect(s('f1')).toBe('4 conditions in 2 groups, any/all mixed');
    expect(s('t1')).toMatch(/^\+ email_norm, email_hash, lifecycle/);
    expect(s('m1')).toBe('8 fields · match on email');
    expect(s('d1')).toBe('CRM · contacts · upsert');
    expect(nodeSummary(node('q9', 'query', {}), names)).toBe('Pick a source connection');
    expect(conditionText({ column: 'signup_date', operator: 'in_last_days', days: 7 })).toBe('signup_date in the last 7 days');
    expect(conditionText({ column: 'country', operator: 'in', values: ['US', 'GB'] })).toBe('country is one of ("US", "GB")');
  });
});

describe('shortcuts', () => {
  it('maps keys to actions, Ctrl and Cmd alike', () => {
    expect(shortcutFor(key('z', { ctrlKey: true }))).toBe('undo');
    expect(shortcutFor(key('Z', { metaKey: true, shiftKey: true }))).toBe('redo');
    expect(shortcutFor(key('P', { ctrlKey: true, shiftKey: true }))).toBe('publish');
    expect(shortcutFor(key('Enter', { metaKey: true }))).toBe('preview');
    expect(shortcutFor(key('L', { shiftKey: true }))).toBe('layout');
    expect(shortcutFor(key('l'))).toBeNull();
    expect(shortcutFor(key('f'))).toBe('fit');
    expect(shortcutFor(key('Backspace'))).toBe('delete');
    expect(shortcutFor(key('?', { shiftKey: true }))).toBe('help');
  });
  it('does not fire editing shortcuts while typing', () => {
    const input = { tagName: 'input' };
    const cm = { tagName: 'DIV', closest: (s: string) => (s.includes('.cm-editor') ? {} : null) };
    expect(isTypingTarget(cm)).toBe(true);
    expect(canvasShortcut(key('Backspace'), input)).toBeNull();
    expect(canvasShortcut(key('z', { ctrlKey: true }), cm)).toBeNull();
    expect(canvasShortcut(key('f'), input)).toBeNull();
    expect(canvasShortcut(key('s', { ctrlKey: true }), input)).toBe('save');
    expect(canvasShortcut(key('Backspace'), { tagName: 'DIV', closest: () => null })).toBe('delete');
  });
});

describe('live expression checks', () => {
  it('gives the type, or the problem with its character range', () => {
    expect(liveCheck('lower(email)', CUSTOMER_COLUMNS)).toEqual({ ok: true, type: 'string' });
    const bad = liveCheck('lower(emial)', CUSTOMER_COLUMNS);
    expect(bad).toMatchObject({ ok: false, code: 'unknown_column', start: 6, end: 11 });
    expect(liveCheck('1 +', CUSTOMER_COLUMNS)).toMatchObject({ ok: false, code: 'expression_syntax' });
    expect(liveCheck('plan', CUSTOMER_COLUMNS, 'boolean')).toMatchObject({ ok: false, code: 'type_mismatch' });
    // Unknown input: syntax is still checked, names are not.
    expect(liveCheck('lower(x)', null)).toBeNull();
    expect(liveCheck('lower(', null)).toMatchObject({ ok: false, code: 'expression_syntax' });
  });
  it('lets a derived column see the ones defined before it, typed', () => {
    const cfg = { columns: [{ name: 'n', expression: 'length(email)' }, { name: 'bad', expression: 'nope(', type: 'integer' as const }, { name: 'x', expression: 'n + 1' }] };
    const scope = transformScope(cfg, CUSTOMER_COLUMNS, 2);
    expect(scope.slice(-2)).toEqual([{ name: 'n', type: 'integer' }, { name: 'bad', type: 'integer' }]);
    expect(liveCheck('n * 2', scope)).toEqual({ ok: true, type: 'integer' });
    expect(transformScope(cfg, CUSTOMER_COLUMNS, 0)).toHaveLength(CUSTOMER_COLUMNS.length);
  });
});

describe('client validation env', () => {
  it('checks connection kinds and modes the way the server does', () => {
    const env = clientValidationEnv(
      [{ id: 'conn-warehouse', name: 'Warehouse', kind: 'source', connector: 'duckdb' }, { id: 'conn-crm', name: 'CRM', kind: 'destination', connector: 'test-crm' }],
      [{ slug: 'test-crm', kind: 'destination', displayName: 'Test CRM', capabilities: { modes: ['upsert'], setOnlyIfEmpty: false } }],
    );
    const g = customersPipeline();
    const d1 = g.nodes.find((n) => n.id === 'd1')!;
    d1.config = { connectionId: 'conn-crm', connector: 'test-crm', object: 'contacts', mode: 'mirror', options: {} };
    const codes = validateGraph(g, { ...env, sourceColumns: new Map([['q1', { columns: CUSTOMER_COLUMNS }]]) }).issues.map((i) => i.code);
    expect(codes).toContain('unsupported_mode');
    // lifecycle is "only if empty", which this connector cannot do.
    expect(codes).toContain('unsupported_option');
    expect(clientValidationEnv(undefined, [])).toEqual({});
  });
});

describe('templates', () => {
  it('the demo template is a valid pipeline once its query columns are known', () => {
    const g = templateGraph('demo-churn', { source: { id: 'conn-warehouse' }, destination: { id: 'conn-crm', connector: 'webhook' } });
    const columns = [
      ...CUSTOMER_COLUMNS,
      { name: 'orders_count', type: 'integer' as const },
      { name: 'lifetime_value', type: 'number' as const },
      { name: 'last_order_at', type: 'timestamp' as const },
      { name: 'last_seen_at', type: 'timestamp' as const },
      { name: 'events_30d', type: 'integer' as const },
      { name: 'churn_risk', type: 'number' as const },
      { name: 'churn_risk_band', type: 'string' as const },
    ];
    const v = validateGraph(g, { sourceColumns: new Map([['q1', { columns }]]) });
    expect(v.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(v.columns.m1?.map((c) => c.name)).toEqual(['email', 'first_name', 'last_name', 'churn_risk_pct', 'lifetime_value', 'last_seen_at']);
    // Laid out left to right.
    expect(g.nodes.find((n) => n.id === 'd1')!.position.x).toBeGreaterThan(g.nodes.find((n) => n.id === 'q1')!.position.x);
    expect(templateGraph('blank').nodes).toEqual([]);
  });
  it('picks the demo warehouse, and HubSpot over webhook', () => {
    const conns = [
      { id: 'a', name: 'Other', kind: 'source' as const, connector: 'postgres', config: {} },
      { id: 'b', name: 'Demo', kind: 'source' as const, connector: 'duckdb', config: { path: '/data/wh.duckdb' } },
      { id: 'c', name: 'Hook', kind: 'destination' as const, connector: 'webhook', config: {} },
      { id: 'd', name: 'HS', kind: 'destination' as const, connector: 'hubspot', config: {} },
    ];
    const picked = pickTemplateConnections(conns, '/data/wh.duckdb');
    expect(picked.source?.id).toBe('b');
    expect(picked.destination?.id).toBe('d');
    const hs = templateGraph('demo-churn', picked);
    expect(hs.nodes.find((n) => n.id === 'd1')!.config).toMatchObject({ connectionId: 'd', connector: 'hubspot', object: 'contacts' });
    expect(pickTemplateConnections([], null)).toEqual({ source: undefined, destination: undefined });
  });
});

describe('palette and preview helpers', () => {
  it('groups node types by category and searches label and description', () => {
    expect(paletteGroups('').map((g) => g.label)).toEqual(['Sources', 'Transform', 'Destinations']);
    expect(paletteGroups('sha256').flatMap((g) => g.items.map((i) => i.type))).toEqual(['transform']);
    expect(paletteGroups('zzz')).toEqual([]);
  });
  it('builds dry-run bars and cell text', () => {
    expect(dryRunBars({ added: 3, changed: 1, unchanged: 5, removed: null, nullKeys: 1, duplicateKeys: 1 }).map((b) => `${b.label}:${b.value}`)).toEqual(['Adds:3', 'Changes:1', 'Unchanged:5', 'Not sent (bad key):2']);
    expect(cellText(null)).toBe('NULL');
    expect(cellText({ a: 1 })).toBe('{"a":1}');
    expect(cellText('x'.repeat(200), 10)).toHaveLength(10);
  });
});

describe('map helpers', () => {
  it('auto-maps by normalised name, skips read-only and mapped fields, and picks a unique match key', async () => {
    const { autoMap, requiredUnmapped, parseStatic } = await import('../../../app/pipelines/_lib/map-helpers');
    const fields = [
      { name: 'email', type: 'string' as const, required: true, unique: true },
      { name: 'firstname', type: 'string' as const },
      { name: 'Country', type: 'string' as const },
      { name: 'hs_object_id', type: 'string' as const, readOnly: true },
      { name: 'phone', type: 'string' as const, required: true },
    ];
    const cols = [...CUSTOMER_COLUMNS, { name: 'hs_object_id', type: 'string' as const }];
    const existing = { mappings: [{ field: 'Country', source: { kind: 'static' as const, value: 'US' }, whenNull: 'send_null' as const, onlyIfEmpty: false }] };
    const r = autoMap(existing, fields, cols);
    expect(r.added).toEqual(['email', 'firstname']);
    expect(r.config.mappings.find((m) => m.field === 'firstname')?.source).toEqual({ kind: 'column', column: 'first_name' });
    expect(r.config.matchField).toBe('email');
    expect(requiredUnmapped({ ...r.config, destinationFields: { connectionId: 'c', object: 'o', fields } }).map((f) => f.name)).toEqual(['phone']);
    expect(parseStatic('12', 'integer')).toEqual({ value: 12 });
    expect(parseStatic('1.5', 'integer')).toEqual({ error: 'enter a whole number' });
    expect(parseStatic('["a"]', 'string_array')).toEqual({ value: ['a'] });
    expect(parseStatic('[1]', 'string_array')).toHaveProperty('error');
    expect(parseStatic(' hi ', 'string')).toEqual({ value: ' hi ' });
  });
});

describe('map onto an object without fixed fields (webhook rows, test sink)', () => {
  it('accepts any mapped field name when the field snapshot is empty, and still checks a fixed list', () => {
    const g = templateGraph('demo-churn', { source: { id: 'conn-warehouse' }, destination: { id: 'conn-hook', connector: 'webhook' } });
    const m1 = g.nodes.find((n) => n.id === 'm1')!;
    const withSnapshot = (fields: { name: string; type: 'string' }[]) => ({
      ...g,
      nodes: g.nodes.map((n) => (n.id === 'm1' ? { ...n, config: { ...(m1.config as object), destinationFields: { connectionId: 'conn-hook', object: 'rows', fields } } } : n)),
    });
    const codes = (graph: typeof g) => validateGraph(graph).issues.filter((i) => i.nodeId === 'm1').map((i) => i.code);
    expect(codes(withSnapshot([]))).not.toContain('unknown_destination_field');
    expect(codes(withSnapshot([{ name: 'email', type: 'string' }]))).toContain('unknown_destination_field');
  });
});
