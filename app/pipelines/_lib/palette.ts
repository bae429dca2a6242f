/** The node palette: the registry's node types grouped by category, filtered by a search. */
import { nodeTypes } from '../../../workflows/nodes/registry';
import type { NodeCategory, NodeMeta } from '../../../workflows/nodes/types';

export type PaletteItem = { type: string; meta: NodeMeta };
export const CATEGORY_LABELS: Record<NodeCategory, string> = { source: 'Sources', transform: 'Transform', destination: 'Destinations' };
const ORDER: NodeCategory[] = ['source', 'transform', 'destination'];

export function paletteGroups(search: string, items: PaletteItem[] = nodeTypes.map((n) => ({ type: n.type, meta: n.meta }))): { category: NodeCategory; label: string; items: PaletteItem[] }[] {
  const q = search.trim().toLowerCase();
  const hit = (i: PaletteItem) => !q || [i.type, i.meta.label, i.meta.description, i.meta.category].some((s) => s.toLowerCase().includes(q));
  return ORDER.map((category) => ({ category, label: CATEGORY_LABELS[category], items: items.filter((i) => i.meta.category === category && hit(i)) })).filter((g) => g.items.length > 0);
}

/** The drag-and-drop payload type of a palette item. */
export const DND_MIME = 'application/x-backflow-node';
