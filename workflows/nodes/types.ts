/**
 * What a node type declares. One folder per type under workflows/nodes/<type>/,
 * registered in workflows/nodes/registry.ts (a plain array):
 *   schema.ts  — zod config schema (types come from it)
 *   meta.ts    — UI metadata for the canvas palette
 *   columns.ts — output columns from the input's columns and the config;
 *                also where node-level problems are found
 *   compile.ts — the node's CTE body (a SELECT) in a given dialect
 * Everything here is browser-safe (no node:* imports): the canvas shows the same
 * columns and problems the server validates with.
 */
import type { z } from 'zod';
import type { Dialect } from '../compile/dialects/dialect';
import type { TColumn } from '../graph/columns';
import type { TIssue } from '../graph/issues';
import type { TGraphNode } from '../graph/schema';

export type NodeCategory = 'source' | 'transform' | 'destination';

export type NodeMeta = {
  label: string;
  /** An emoji or short glyph. */
  icon: string;
  category: NodeCategory;
  description: string;
  /** Input handles: 0 for sources, 1 otherwise (a node reads one upstream node). */
  inputs: 0 | 1;
  /** Output handles: 0 for destinations. One output may feed several nodes (fan-out). */
  outputs: 0 | 1;
  /** Accent colour on the canvas. */
  color: string;
};

/** Columns a query node's SQL returns, introspected on the warehouse by the server. */
export type SourceColumnsResult = { columns: TColumn[] } | { error: TIssue };

export type SchemaEnv = {
  /** Live introspection results per query node id; absent → the config's snapshot is used. */
  sourceColumns?: ReadonlyMap<string, SourceColumnsResult>;
};

export type OutputArgs<C> = {
  node: TGraphNode;
  config: C;
  /** The upstream node's columns; null for sources, or when upstream is broken. */
  input: TColumn[] | null;
  env: SchemaEnv;
};

/** columns null: unknown (downstream nodes then skip column checks instead of cascading). */
export type OutputResult = { columns: TColumn[] | null; issues: TIssue[] };

export type CompileArgs<C> = {
  node: TGraphNode;
  config: C;
  dialect: Dialect;
  /** The upstream CTE (quoted name) and its columns; null for sources. */
  input: { cte: string; columns: TColumn[] } | null;
  /** This node's own output columns (from outputColumns). */
  columns: TColumn[];
  /** The path's record key columns (from its query node). */
  primaryKey: string[];
  /** Frozen now() for tests. */
  now?: string;
};

export interface NodeTypeDef<C> {
  type: string;
  meta: NodeMeta;
  configSchema: z.ZodType<C>;
  /** Config of a freshly dropped node. */
  defaultConfig(): unknown;
  outputColumns(args: OutputArgs<C>): OutputResult;
  /** The SELECT that forms this node's CTE; null for nodes without SQL (destination). */
  compile(args: CompileArgs<C>): string | null;
}

/** Declares a node type (identity, for inference). */
export function defineNodeType<C>(def: NodeTypeDef<C>): NodeTypeDef<C> {
  if (!/^[a-z][a-z0-9_]*$/.test(def.type)) throw new Error(`node type "${def.type}" must be snake_case`);
  return def;
}

/** How messages name a node: its label, else its type, plus the id. */
export function nodeName(node: TGraphNode, meta?: NodeMeta): string {
  const label = node.label?.trim() || meta?.label || node.type;
  return `${label} (${node.id})`;
}
