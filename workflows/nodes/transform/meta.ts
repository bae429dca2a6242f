import type { NodeMeta } from '../types';

export const transformMeta: NodeMeta = {
  label: 'Transform',
  icon: '🧮',
  category: 'transform',
  description: 'Add columns computed from typed expressions: CASE, CAST, concat, lower, date_trunc, sha256 for PII… Runs in the warehouse.',
  inputs: 1,
  outputs: 1,
  color: '#0891b2',
};
