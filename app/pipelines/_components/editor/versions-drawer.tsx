'use client';
/** Published versions: view one on the canvas (read-only), restore it as the draft, or export it. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useToast } from '../../../_components/toast';
import { useTRPC } from '../../../_components/trpc';
import { ZGraph, type TGraph } from '../../../../workflows/graph/schema';
import { timeAgo } from '../../../runs/_lib/format';
import { downloadJson, errorMessage } from '../shared';
import styles from './editor.module.css';

export function VersionsDrawer({
  pipelineId,
  canEdit,
  viewing,
  onView,
  onBack,
  onRestore,
  onClose,
  unsaved,
}: {
  pipelineId: string;
  canEdit: boolean;
  viewing: number | null;
  onView(v: { number: number; graph: TGraph }): void;
  onBack(): void;
  onRestore(n: number): void;
  onClose(): void;
  unsaved: boolean;
}) {
  const trpc = useTRPC();
  const toast = useToast();
  const queryClient = useQueryClient();
  const versions = useQuery(trpc.pipeline.versions.queryOptions({ id: pipelineId }));
  const [confirming, setConfirming] = useState<number | null>(null);

  async function view(number: number) {
    try {
      const v = await queryClient.fetchQuery(trpc.pipeline.version.queryOptions({ id: pipelineId, number }));
      const g = ZGraph.safeParse(v.graph);
      if (!g.success) throw new Error(`version ${number} is not in the graph format`);
      onView({ number, graph: g.data });
    } catch (err) {
      toast({ tone: 'error', title: `Could not open version ${number}`, body: errorMessage(err) });
    }
  }

  async function exportVersion(number: number) {
    try {
      downloadJson(`pipeline-v${number}.backflow.json`, await queryClient.fetchQuery(trpc.pipeline.export.queryOptions({ id: pipelineId, version: number })));
    } catch (err) {
      toast({ tone: 'error', title: 'Export failed', body: errorMessage(err) });
    }
  }

  return (
    <aside className={styles.versions} aria-label="Versions">
      <div className={styles.versionsHead}>
        <h2>Versions</h2>
        <button type="button" className="btn small ghost" onClick={onClose} aria-label="Close versions">
          ✕
        </button>
      </div>
      {viewing !== null ? (
        <button type="button" className="btn small" onClick={onBack}>
          ← Back to the draft
        </button>
      ) : null}
      {versions.isLoading ? <p className="muted">Loading…</p> : null}
      {versions.error ? <p className="error-text">{versions.error.message}</p> : null}
      {versions.data?.length === 0 ? <p className="muted small">Nothing published yet. Publish turns the draft into version 1; runs use published versions.</p> : null}
      <ol className={styles.versionList}>
        {versions.data?.map((v) => (
          <li key={v.id} className={viewing === v.number ? styles.versionViewing : undefined}>
            <div className={styles.versionLine}>
              <strong>v{v.number}</strong>
              <span className="muted small">
                {timeAgo(v.createdAt, Date.now())}
                {v.createdBy ? ` · ${v.createdBy.name ?? v.createdBy.email}` : ''}
              </span>
            </div>
            {v.note ? <div className="small">{v.note}</div> : null}
            <code className="muted small" title={v.planHash}>
              plan {v.planHash.slice(0, 10)}
            </code>
            <div className={styles.versionActions}>
              <button type="button" className="btn small" onClick={() => void view(v.number)} disabled={viewing === v.number}>
                {viewing === v.number ? 'Viewing' : 'View'}
              </button>
              {canEdit ? (
                confirming === v.number ? (
                  <>
                    <button
                      type="button"
                      className="btn small primary"
                      onClick={() => {
                        setConfirming(null);
                        onRestore(v.number);
                      }}
                    >
                      {unsaved ? 'Discard my changes and restore' : 'Confirm restore'}
                    </button>
                    <button type="button" className="btn small" onClick={() => setConfirming(null)}>
                      Cancel
                    </button>
                  </>
                ) : (
                  <button type="button" className="btn small" onClick={() => setConfirming(v.number)}>
                    Restore
                  </button>
                )
              ) : null}
              <button type="button" className="btn small" onClick={() => void exportVersion(v.number)}>
                Export
              </button>
            </div>
          </li>
        ))}
      </ol>
    </aside>
  );
}
