'use client';
/** Every validation issue, errors first; clicking one selects its node. */
import type { TIssue } from '../../../../workflows/graph/issues';
import type { TGraph } from '../../../../workflows/graph/schema';
import { issueNodeId } from '../../_lib/issues';
import { nodeLabel } from '../../_lib/graph-edit';
import styles from './editor.module.css';

export function IssuesPanel({
  issues,
  graph,
  onSelect,
  serverSource,
  onCheck,
  checking,
}: {
  issues: TIssue[];
  graph: TGraph;
  onSelect(i: TIssue): void;
  serverSource: 'publish' | 'check' | null;
  onCheck(): void;
  checking: boolean;
}) {
  return (
    <div className={styles.issues}>
      <div className={styles.issuesHead}>
        <span className="muted small">
          Checked in your browser as you edit{serverSource ? `, plus the warehouse's answers from the last ${serverSource === 'publish' ? 'publish attempt' : 'check'}` : ''}. SQL errors and live columns come from the warehouse.
        </span>
        <button type="button" className="btn small" onClick={onCheck} disabled={checking}>
          {checking ? 'Checking…' : 'Check against the warehouse'}
        </button>
      </div>
      {issues.length === 0 ? (
        <p className="ok-text">No issues: this pipeline can be published.</p>
      ) : (
        <ul className={styles.issueList}>
          {issues.map((i, k) => {
            const nid = issueNodeId(i, graph);
            const node = nid ? graph.nodes.find((n) => n.id === nid) : undefined;
            return (
              <li key={`${k}:${i.code}:${i.message}`}>
                <button type="button" className={styles.issueItem} onClick={() => onSelect(i)} disabled={!node} data-severity={i.severity}>
                  <span className={i.severity === 'error' ? styles.sevError : styles.sevWarn}>{i.severity === 'error' ? '✕' : '⚠'}</span>
                  <span className={styles.issueNode}>{node ? nodeLabel(node) : 'Pipeline'}</span>
                  <span className={styles.issueMsg}>{i.message}</span>
                  <code className={styles.issueCode}>{i.code}</code>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
