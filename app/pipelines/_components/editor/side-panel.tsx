'use client';
/** The selected node's panel: name, problems, its config form, and the columns flowing in and out. */
import type { TColumn } from '../../../../workflows/graph/columns';
import type { TGraphNode } from '../../../../workflows/graph/schema';
import { findNodeType } from '../../../../workflows/nodes/registry';
import { SHORTCUTS } from '../../_lib/shortcuts';
import { inputColumnsOf, useEditor } from './editor-context';
import styles from './editor.module.css';
import { DestinationForm } from './forms/destination-form';
import { FilterForm } from './forms/filter-form';
import { MapForm } from './forms/map-form';
import { QueryForm } from './forms/query-form';
import { TransformForm } from './forms/transform-form';

export function SidePanel({
  node,
  selectionCount,
  counts,
  onPreview,
  onShowIssues,
}: {
  node: TGraphNode | undefined;
  selectionCount: number;
  counts: { errors: number; warnings: number };
  onPreview(nodeId: string): void;
  onShowIssues(): void;
}) {
  const ctx = useEditor();
  if (!node) {
    return (
      <aside className={styles.side} aria-label="Node settings">
        {selectionCount > 1 ? (
          <>
            <h2>{selectionCount} nodes selected</h2>
            <p className="muted small">Delete removes them; Ctrl/⌘ + C copies them. Select one node to edit it.</p>
          </>
        ) : (
          <>
            <h2>Pipeline</h2>
            <p className="muted small">Select a node to configure it. Data flows left to right: query → filter / transform → map → destination.</p>
            <p className="small">
              {counts.errors === 0 && counts.warnings === 0 ? (
                <span className="ok-text">✓ No issues</span>
              ) : (
                <button type="button" className="link-button" onClick={onShowIssues}>
                  {counts.errors} error{counts.errors === 1 ? '' : 's'}, {counts.warnings} warning{counts.warnings === 1 ? '' : 's'}
                </button>
              )}
            </p>
            <h3 className={styles.sideH3}>Shortcuts</h3>
            <ul className={styles.shortcutList}>
              {SHORTCUTS.slice(0, 8).map((s) => (
                <li key={s.action}>
                  <kbd>{s.keys}</kbd> {s.does}
                </li>
              ))}
            </ul>
          </>
        )}
      </aside>
    );
  }
  const def = findNodeType(node.type);
  const nodeIssues = ctx.issues.filter((i) => i.nodeId === node.id);
  const input = inputColumnsOf(ctx, node.id);
  const output = ctx.columns[node.id] ?? null;
  return (
    <aside className={styles.side} aria-label="Node settings" data-node-id={node.id}>
      <div className={styles.sideHead} style={{ ['--node-color' as string]: def?.meta.color ?? '#6a737d' }}>
        <span className={styles.cardIcon} aria-hidden>
          {def?.meta.icon ?? '❔'}
        </span>
        <div className={styles.sideTitle}>
          <input
            aria-label="Node name"
            value={node.label ?? ''}
            placeholder={def?.meta.label ?? node.type}
            disabled={ctx.readOnly}
            onChange={(e) => ctx.setLabel(node.id, e.target.value)}
          />
          <span className="muted small">
            {def?.meta.label ?? node.type} · id <code>{node.id}</code>
          </span>
        </div>
        <button type="button" className="btn small" onClick={() => onPreview(node.id)} title="Preview (Ctrl/⌘ + Enter)">
          Preview
        </button>
      </div>
      {def ? <p className="muted small">{def.meta.description}</p> : <p className="error-text">This Backflow does not know node type “{node.type}”. Delete the node or upgrade Backflow.</p>}
      {nodeIssues.length > 0 ? (
        <ul className={styles.nodeIssues} aria-label="Problems of this node">
          {nodeIssues.map((i, k) => (
            <li key={k} className={i.severity === 'error' ? styles.sevError : styles.sevWarn}>
              {i.severity === 'error' ? '✕' : '⚠'} {i.message}
            </li>
          ))}
        </ul>
      ) : null}
      <fieldset className={styles.formFields} disabled={ctx.readOnly}>
        {node.type === 'query' ? <QueryForm key={node.id} node={node} /> : null}
        {node.type === 'filter' ? <FilterForm key={node.id} node={node} input={input} /> : null}
        {node.type === 'transform' ? <TransformForm key={node.id} node={node} input={input} /> : null}
        {node.type === 'map' ? <MapForm key={node.id} node={node} input={input} /> : null}
        {node.type === 'destination' ? <DestinationForm key={node.id} node={node} /> : null}
      </fieldset>
      {def && def.meta.inputs === 1 ? <ColumnList title="Input columns" columns={input} /> : null}
      {def && def.meta.outputs === 1 ? <ColumnList title="Output columns" columns={output} open /> : null}
    </aside>
  );
}

function ColumnList({ title, columns, open = false }: { title: string; columns: TColumn[] | null; open?: boolean }) {
  return (
    <details className={styles.columns} open={open}>
      <summary>
        {title} {columns ? `(${columns.length})` : '(unknown)'}
      </summary>
      {columns === null ? (
        <p className="muted small">Unknown until the nodes above are valid and the query’s columns are known.</p>
      ) : (
        <ul>
          {columns.map((c) => (
            <li key={c.name}>
              <code>{c.name}</code> <span className={styles.typeTag}>{c.type}</span>
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}
