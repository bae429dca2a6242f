import type { NodeMeta } from '../types';

export const queryMeta: NodeMeta = {
  label: 'Query',
  icon: '🗄️',
  category: 'source',
  description: 'Rows from a warehouse: a SELECT, a table, or a dbt model. Pick the primary key that identifies a row.',
  inputs: 0,
  outputs: 1,
  color: '#2563eb',
};
