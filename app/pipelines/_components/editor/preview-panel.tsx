'use client';
/**
 * The preview drawer: a node's rows (computed on the warehouse by the same SQL a
 * sync runs) with column types, count and timing; for a destination, the dry
 * run: what would be added, changed and removed, and sample payloads as sent.
 */
import { useQuery } from '@tanstack/react-query';
import { Bar, BarChart, Cell, LabelList, Tooltip, XAxis, YAxis } from 'recharts';
import { useTRPC } from '../../../_components/trpc';
import type { TGraph } from '../../../../workflows/graph/schema';
import { nodeLabel } from '../../_lib/graph-edit';
import { cellText, DIFF_COLORS, dryRunBars } from '../../_lib/preview-data';
import type { PreviewOutput } from '../shared';
import styles from './editor.module.css';

export type PreviewRequest = { nodeId: string; graph: TGraph | null; at: number };

export function PreviewPanel({ request, pipelineId, graph, onPreview, selectedNodeId }: { request: PreviewRequest | null; pipelineId: string; graph: TGraph; onPreview(nodeId: string): void; selectedNodeId: string | null }) {
  const trpc = useTRPC();
  const input = request ? { id: pipelineId, nodeId: request.nodeId, limit: 100, ...(request.graph ? { graph: request.graph } : {}) } : null;
  const q = useQuery({ ...trpc.pipeline.preview.queryOptions(input ?? { id: pipelineId, nodeId: '-' }), enabled: input !== null, retry: false, staleTime: 30_000 });
  const node = request ? graph.nodes.find((n) => n.id === request.nodeId) : undefined;

  if (!request) {
    return (
      <div className={styles.previewEmpty}>
        <p className="muted">Select a node and press Preview (or Ctrl/⌘ + Enter, or double-click the node) to see its rows. A destination shows a dry run.</p>
        {selectedNodeId ? (
          <button type="button" className="btn small primary" onClick={() => onPreview(selectedNodeId)}>
            Preview the selected node
          </button>
        ) : null}
      </div>
    );
  }
  return (
    <div className={styles.preview} data-testid="preview-panel">
      <div className={styles.previewHead}>
        <strong>{node ? nodeLabel(node) : request.nodeId}</strong>
        <span className="muted small">{request.graph ? 'as edited (unsaved changes included)' : 'saved draft'}</span>
        <span className={styles.spacer} />
        {selectedNodeId && selectedNodeId !== request.nodeId ? (
          <button type="button" className="btn small" onClick={() => onPreview(selectedNodeId)}>
            Preview the selected node instead
          </button>
        ) : null}
        <button type="button" className="btn small" onClick={() => void q.refetch()} disabled={q.isFetching}>
          {q.isFetching ? 'Running…' : 'Run again'}
        </button>
      </div>
      {q.isLoading ? (
        <p className="muted">
          <span className="spinner" aria-hidden /> Running on the warehouse…
        </p>
      ) : null}
      {q.error ? (
        <p className="error-text" role="alert">
          {q.error.message}
        </p>
      ) : null}
      {q.data ? <PreviewResult result={q.data} /> : null}
    </div>
  );
}

function PreviewResult({ result }: { result: PreviewOutput }) {
  if (!result.ok) {
    return (
      <div role="alert">
        <p className="error-text">This node cannot be previewed yet:</p>
        <ul className={styles.previewIssues}>
          {result.issues.map((i, k) => (
            <li key={k}>{i.message}</li>
          ))}
        </ul>
      </div>
    );
  }
  if (result.kind === 'rows') {
    return (
      <>
        <p className="muted small" data-testid="preview-stats">
          {result.rows.length} row{result.rows.length === 1 ? '' : 's'}
          {result.truncated ? ` (the first ${result.rows.length}; more exist)` : ''} · {result.columns.length} columns · {result.elapsedMs} ms
        </p>
        <div className={styles.previewTable}>
          <table className="table compact">
            <thead>
              <tr>
                {result.columns.map((c) => (
                  <th key={c.name} title={c.nativeType ?? c.type}>
                    {c.name}
                    <span className={styles.typeTag}>{c.type}</span>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {result.rows.map((r, k) => (
                <tr key={k}>
                  {result.columns.map((c) => {
                    const v = r[c.name];
                    return (
                      <td key={c.name} className={v === null || v === undefined ? styles.nullCell : undefined}>
                        {cellText(v)}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <details className={styles.sql}>
          <summary>SQL sent to the warehouse</summary>
          <pre>{result.sql}</pre>
        </details>
      </>
    );
  }
  const bars = dryRunBars(result.counts);
  return (
    <div className={styles.dryRun} data-testid="dry-run">
      <div>
        <p className="small">
          Dry run of <strong>{result.mode}</strong> into <strong>{result.object}</strong>: {result.counts.rows.toLocaleString('en')} rows read in {result.elapsedMs} ms
          {result.partial ? ' (partial)' : ''}.
        </p>
        {result.planned ? (
          <p className="small">
            The sync would send <strong>{result.planned.adds.toLocaleString('en')}</strong> adds, <strong>{result.planned.updates.toLocaleString('en')}</strong> updates and{' '}
            <strong>{result.planned.deletes.toLocaleString('en')}</strong> deletes.
          </p>
        ) : null}
        {result.note ? <p className="muted small">{result.note}</p> : null}
        <div aria-hidden>
          <BarChart data={bars} layout="vertical" width={420} height={Math.max(80, bars.length * 34)} margin={{ top: 4, right: 60, bottom: 4, left: 4 }}>
            <XAxis type="number" hide allowDecimals={false} />
            <YAxis type="category" dataKey="label" width={120} fontSize={12} interval={0} />
            <Tooltip cursor={{ fill: '#f1f3f7' }} />
            <Bar dataKey="value" isAnimationActive={false} minPointSize={2} radius={[0, 3, 3, 0]}>
              {bars.map((b) => (
                <Cell key={b.key} fill={DIFF_COLORS[b.key]} />
              ))}
              <LabelList dataKey="value" position="right" fontSize={11} />
            </Bar>
          </BarChart>
        </div>
        <table className="table compact" aria-label="Dry-run counts">
          <tbody>
            {bars.map((b) => (
              <tr key={b.key}>
                <th scope="row">
                  <span className="count-swatch" style={{ background: DIFF_COLORS[b.key] }} aria-hidden />
                  {b.label}
                </th>
                <td className="num">{b.value.toLocaleString('en')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className={styles.samples}>
        <h3>Sample payloads ({result.samples.length})</h3>
        {result.samples.length === 0 ? <p className="muted small">No row would be sent.</p> : null}
        {result.samples.map((s) => (
          <details key={s.recordKey} open={result.samples.indexOf(s) === 0}>
            <summary>
              <span className={styles.opTag} data-op={s.op}>
                {s.op}
              </span>{' '}
              key {s.recordKey} · {s.match.field} = {s.match.value ?? 'NULL'}
            </summary>
            <pre>{JSON.stringify(s.fields, null, 2)}</pre>
          </details>
        ))}
        <details className={styles.sql}>
          <summary>SQL sent to the warehouse</summary>
          <pre>{result.sql}</pre>
        </details>
      </div>
    </div>
  );
}
