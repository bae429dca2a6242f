import type { NodeMeta } from '../types';

export const destinationMeta: NodeMeta = {
  label: 'Destination',
  icon: '📤',
  category: 'destination',
  description: 'Where mapped rows go: a connection, an object, and how to sync (upsert, update, insert, mirror, add/remove).',
  inputs: 1,
  outputs: 0,
  color: '#16a34a',
};
