import type { NodeMeta } from '../types';

export const filterMeta: NodeMeta = {
  label: 'Filter',
  icon: '🔍',
  category: 'transform',
  description: 'Keep the rows that match conditions (AND/OR groups, relative dates). Runs in the warehouse.',
  inputs: 1,
  outputs: 1,
  color: '#7c3aed',
};
