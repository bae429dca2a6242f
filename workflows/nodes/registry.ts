/**
 * Every node type Backflow knows. A plain array: adding a node type is one
 * folder under workflows/nodes/<type>/ plus one import and one line here.
 * Browser-safe: the canvas builds its palette from `nodeTypes`.
 */
import { destinationNode } from './destination';
import { filterNode } from './filter';
import { mapNode } from './map';
import { queryNode } from './query';
import { transformNode } from './transform';
import type { NodeTypeDef } from './types';

export const nodeTypes = [queryNode, filterNode, transformNode, mapNode, destinationNode] as const;

export type NodeTypeName = (typeof nodeTypes)[number]['type'];

/** Any registered node type, with its config seen as unknown until parsed by its schema. */
export type AnyNodeType = NodeTypeDef<unknown>;

export function findNodeType(type: string): AnyNodeType | undefined {
  return nodeTypes.find((n) => n.type === type);
}

export function nodeTypeNames(): string {
  return nodeTypes.map((n) => n.type).join(', ');
}
