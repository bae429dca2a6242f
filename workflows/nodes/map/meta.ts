import type { NodeMeta } from '../types';

export const mapMeta: NodeMeta = {
  label: 'Map',
  icon: '🔀',
  category: 'transform',
  description: 'Map columns, expressions or fixed values onto destination fields, pick the match key, and say what a NULL does.',
  inputs: 1,
  outputs: 1,
  color: '#ea580c',
};
