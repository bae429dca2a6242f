/**
 * Starting points for "New pipeline". The demo template reads the demo
 * warehouse's customer_metrics table (scripts/lib/demo-warehouse.ts) and sends
 * high-churn, opted-in customers to HubSpot contacts when a HubSpot connection
 * exists, else to a webhook, else leaves the destination to be picked.
 */
import { emptyGraph, type TGraph } from '../../../workflows/graph/schema';
import type { TMapping } from '../../../workflows/nodes/map/schema';
import { autoLayout } from './layout';

export type TemplateId = 'blank' | 'demo-churn';

export const TEMPLATES: { id: TemplateId; name: string; description: string }[] = [
  { id: 'blank', name: 'Blank', description: 'An empty canvas.' },
  {
    id: 'demo-churn',
    name: 'Demo: high-churn customers → HubSpot/webhook',
    description: 'customer_metrics from the demo warehouse, filtered to opted-in customers with a high churn risk, mapped to CRM contacts.',
  },
];

export type TemplateConnections = {
  source?: { id: string } | undefined;
  destination?: { id: string; connector: string } | undefined;
};

function mappings(connector: string | undefined): { mappings: TMapping[]; object: string } {
  const col = (field: string, column: string, whenNull: TMapping['whenNull'] = 'send_null'): TMapping => ({ field, source: { kind: 'column', column }, whenNull, onlyIfEmpty: false });
  if (connector === 'hubspot') {
    return {
      object: 'contacts',
      mappings: [col('email', 'email_norm'), col('firstname', 'first_name', 'omit'), col('lastname', 'last_name', 'omit'), col('country', 'country', 'omit')],
    };
  }
  return {
    object: connector === 'webhook' ? 'rows' : connector === 'noop-sink' ? 'records' : '',
    mappings: [
      col('email', 'email_norm'),
      col('first_name', 'first_name', 'omit'),
      col('last_name', 'last_name', 'omit'),
      col('churn_risk_pct', 'churn_risk_pct'),
      col('lifetime_value', 'lifetime_value'),
      col('last_seen_at', 'last_seen_at'),
    ],
  };
}

export function templateGraph(id: TemplateId, conns: TemplateConnections = {}): TGraph {
  if (id === 'blank') return emptyGraph();
  const m = mappings(conns.destination?.connector);
  const graph: TGraph = {
    ...emptyGraph(),
    nodes: [
      {
        id: 'q1',
        type: 'query',
        label: 'Customer metrics',
        position: { x: 0, y: 0 },
        config: { connectionId: conns.source?.id ?? '', source: { kind: 'table', schema: null, table: 'customer_metrics' }, primaryKey: ['customer_id'] },
      },
      {
        id: 'f1',
        type: 'filter',
        label: 'High churn, opted in',
        position: { x: 0, y: 0 },
        config: {
          match: 'all',
          groups: [
            {
              match: 'all',
              conditions: [
                { column: 'churn_risk_band', operator: 'eq', value: 'high' },
                { column: 'marketing_opt_in', operator: 'eq', value: true },
                { column: 'email', operator: 'is_not_null' },
              ],
            },
          ],
        },
      },
      {
        id: 't1',
        type: 'transform',
        label: 'Clean up',
        position: { x: 0, y: 0 },
        config: {
          columns: [
            { name: 'email_norm', expression: 'lower(trim(email))' },
            { name: 'churn_risk_pct', expression: 'round(churn_risk * 100, 1)' },
          ],
        },
      },
      { id: 'm1', type: 'map', label: 'Contact fields', position: { x: 0, y: 0 }, config: { mappings: m.mappings, matchField: 'email' } },
      {
        id: 'd1',
        type: 'destination',
        label: conns.destination?.connector === 'hubspot' ? 'HubSpot contacts' : 'Churn alerts',
        position: { x: 0, y: 0 },
        config: { connectionId: conns.destination?.id ?? '', ...(conns.destination ? { connector: conns.destination.connector } : {}), object: m.object, mode: 'upsert', options: {} },
      },
    ],
    edges: [
      { id: 'q1-f1', source: 'q1', target: 'f1' },
      { id: 'f1-t1', source: 'f1', target: 't1' },
      { id: 't1-m1', source: 't1', target: 'm1' },
      { id: 'm1-d1', source: 'm1', target: 'd1' },
    ],
  };
  return autoLayout(graph);
}

/** Picks the connections a template uses: the demo warehouse first, HubSpot before webhook before the test sink. */
export function pickTemplateConnections(
  connections: { id: string; name: string; kind: 'source' | 'destination'; connector: string; config: unknown }[],
  demoPath: string | null,
): TemplateConnections {
  const sources = connections.filter((c) => c.kind === 'source');
  const isDemo = (c: (typeof sources)[number]) => {
    const cfg = c.config && typeof c.config === 'object' ? Object.fromEntries(Object.entries(c.config)) : {};
    return c.connector === 'duckdb' && demoPath !== null && cfg.path === demoPath;
  };
  const source = sources.find(isDemo) ?? sources.find((c) => c.connector === 'duckdb');
  const dests = connections.filter((c) => c.kind === 'destination');
  const destination = ['hubspot', 'webhook', 'noop-sink'].map((slug) => dests.find((d) => d.connector === slug)).find(Boolean);
  return { source, destination };
}
