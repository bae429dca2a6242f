'use client';
/** What the side panel and its forms need from the editor, without threading props through every form. */
import { createContext, useContext } from 'react';
import type { TColumn } from '../../../../workflows/graph/columns';
import type { TIssue } from '../../../../workflows/graph/issues';
import type { TGraph } from '../../../../workflows/graph/schema';
import type { ConnectionView, ConnectorInfo } from '../shared';

export type EditorContextValue = {
  pipelineId: string;
  graph: TGraph;
  /** Output columns per node id from the shared propagation (null: unknown). */
  columns: Record<string, TColumn[] | null>;
  issues: TIssue[];
  readOnly: boolean;
  connections: ConnectionView[];
  connectors: ConnectorInfo[];
  /** Replaces a node's config; edits with the same key in a burst are one undo step. */
  setConfig(nodeId: string, config: unknown, key: string): void;
  setLabel(nodeId: string, label: string): void;
  select(nodeId: string): void;
};

export const EditorContext = createContext<EditorContextValue | null>(null);

export function useEditor(): EditorContextValue {
  const v = useContext(EditorContext);
  if (!v) throw new Error('useEditor needs the pipeline editor above it');
  return v;
}

/** The columns flowing into a node: its parent's output (null when unknown or not connected). */
export function inputColumnsOf(ctx: Pick<EditorContextValue, 'graph' | 'columns'>, nodeId: string): TColumn[] | null {
  const parent = ctx.graph.edges.find((e) => e.target === nodeId)?.source;
  return parent ? (ctx.columns[parent] ?? null) : null;
}
