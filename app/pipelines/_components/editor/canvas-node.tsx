'use client';
/**
 * Canvas nodes: one typed React Flow node per node type (a union of
 * Node<CardData, 'query'> …), all drawn by one card that shows the icon,
 * label, a one-line summary of the config, the output column count and the
 * validation badge. `nodeTypes` lives at module scope so React Flow never
 * sees a new object.
 */
import { Handle, Position, type Node, type NodeProps, type NodeTypes } from '@xyflow/react';
import { memo } from 'react';
import styles from './editor.module.css';

export type CardData = {
  label: string;
  typeLabel: string;
  icon: string;
  color: string;
  summary: string;
  /** Output columns; null when unknown. Destinations have none. */
  columns: number | null;
  showColumns: boolean;
  errors: number;
  warnings: number;
  firstIssue: string | null;
  inputs: 0 | 1;
  outputs: 0 | 1;
  readOnly: boolean;
};

export type QueryCanvasNode = Node<CardData, 'query'>;
export type FilterCanvasNode = Node<CardData, 'filter'>;
export type TransformCanvasNode = Node<CardData, 'transform'>;
export type MapCanvasNode = Node<CardData, 'map'>;
export type DestinationCanvasNode = Node<CardData, 'destination'>;
/** A node whose type this Backflow does not know (an import from a newer version). */
export type UnknownCanvasNode = Node<CardData, 'unknown'>;
export type CanvasNode = QueryCanvasNode | FilterCanvasNode | TransformCanvasNode | MapCanvasNode | DestinationCanvasNode | UnknownCanvasNode;
export type CanvasNodeType = CanvasNode['type'];

// Node types with a canvas component; any other type (e.g. from a newer export) renders as "unknown".
const CANVAS_TYPES = ['query', 'filter', 'transform', 'map', 'destination'] as const;

export function canvasTypeOf(type: string): CanvasNodeType {
  return CANVAS_TYPES.find((t) => t === type) ?? 'unknown';
}

function NodeCard({ data, selected }: { data: CardData; selected: boolean }) {
  const status = data.errors > 0 ? 'error' : data.warnings > 0 ? 'warning' : 'ok';
  return (
    <div
      className={`${styles.card} ${selected ? styles.cardSelected : ''} ${status === 'error' ? styles.cardError : ''}`}
      style={{ ['--node-color' as string]: data.color }}
      data-testid="canvas-node"
      data-status={status}
    >
      {data.inputs === 1 ? <Handle type="target" position={Position.Left} className={styles.handle} isConnectable={!data.readOnly} /> : null}
      <div className={styles.cardHead}>
        <span className={styles.cardIcon} aria-hidden>
          {data.icon}
        </span>
        <span className={styles.cardTitle}>
          <span className={styles.cardLabel}>{data.label}</span>
          <span className={styles.cardType}>{data.typeLabel}</span>
        </span>
        {data.errors > 0 ? (
          <span className={`${styles.badge} ${styles.badgeError}`} title={data.firstIssue ?? undefined} aria-label={`${data.errors} error${data.errors === 1 ? '' : 's'}`}>
            {data.errors}
          </span>
        ) : data.warnings > 0 ? (
          <span className={`${styles.badge} ${styles.badgeWarn}`} title={data.firstIssue ?? undefined} aria-label={`${data.warnings} warning${data.warnings === 1 ? '' : 's'}`}>
            {data.warnings}
          </span>
        ) : null}
      </div>
      <div className={styles.cardSummary} title={data.summary}>
        {data.summary}
      </div>
      {data.showColumns ? <div className={styles.cardFoot}>{data.columns === null ? 'columns unknown' : `${data.columns} column${data.columns === 1 ? '' : 's'}`}</div> : null}
      {data.outputs === 1 ? <Handle type="source" position={Position.Right} className={styles.handle} isConnectable={!data.readOnly} /> : null}
    </div>
  );
}

export const QueryNode = memo(function QueryNode({ data, selected }: NodeProps<QueryCanvasNode>) {
  return <NodeCard data={data} selected={selected} />;
});
export const FilterNode = memo(function FilterNode({ data, selected }: NodeProps<FilterCanvasNode>) {
  return <NodeCard data={data} selected={selected} />;
});
export const TransformNode = memo(function TransformNode({ data, selected }: NodeProps<TransformCanvasNode>) {
  return <NodeCard data={data} selected={selected} />;
});
export const MapNode = memo(function MapNode({ data, selected }: NodeProps<MapCanvasNode>) {
  return <NodeCard data={data} selected={selected} />;
});
export const DestinationNode = memo(function DestinationNode({ data, selected }: NodeProps<DestinationCanvasNode>) {
  return <NodeCard data={data} selected={selected} />;
});
export const UnknownNode = memo(function UnknownNode({ data, selected }: NodeProps<UnknownCanvasNode>) {
  return <NodeCard data={data} selected={selected} />;
});

export const nodeTypes = {
  query: QueryNode,
  filter: FilterNode,
  transform: TransformNode,
  map: MapNode,
  destination: DestinationNode,
  unknown: UnknownNode,
} satisfies NodeTypes;
