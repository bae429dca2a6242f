/**
 * The pipeline graph: what the canvas draws, what a draft stores and what
 * export/import exchange. A versioned JSON document:
 *
 *   { format: 'backflow.graph', version: 1, nodes: [...], edges: [...] }
 *
 * Node configs are opaque here (`unknown`): each node type validates its own
 * config (workflows/nodes/<type>/schema.ts), so a half-edited draft still saves.
 * Browser-safe: no node:* imports.
 */
import { z } from 'zod';

export const GRAPH_FORMAT = 'backflow.graph';
export const GRAPH_VERSION = 1;

export const ZPosition = z.object({ x: z.number().finite(), y: z.number().finite() });
export type TPosition = z.infer<typeof ZPosition>;

/** Ids become part of messages and plan paths; keep them printable and short. */
export const ZNodeId = z
  .string()
  .min(1, 'node id is empty')
  .max(100, 'node id is longer than 100 characters')
  .regex(/^[^\u0000-\u001f]+$/, 'node id contains control characters');

export const ZGraphNode = z.object({
  id: ZNodeId,
  type: z.string().min(1),
  /** Name shown on the canvas and in messages; defaults to the node type's label. */
  label: z.string().max(200).optional(),
  position: ZPosition.default({ x: 0, y: 0 }),
  config: z.unknown().default({}),
});
export type TGraphNode = z.infer<typeof ZGraphNode>;

export const ZGraphEdge = z.object({
  id: z.string().min(1).max(200),
  source: ZNodeId,
  target: ZNodeId,
  sourceHandle: z.string().nullish(),
  targetHandle: z.string().nullish(),
});
export type TGraphEdge = z.infer<typeof ZGraphEdge>;

export const ZGraph = z.object({
  format: z.literal(GRAPH_FORMAT),
  version: z.literal(GRAPH_VERSION),
  nodes: z.array(ZGraphNode).max(500, 'a pipeline holds at most 500 nodes'),
  edges: z.array(ZGraphEdge).max(2000, 'a pipeline holds at most 2000 edges'),
});
export type TGraph = z.infer<typeof ZGraph>;

export function emptyGraph(): TGraph {
  return { format: GRAPH_FORMAT, version: GRAPH_VERSION, nodes: [], edges: [] };
}
