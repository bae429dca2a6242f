'use client';
/**
 * The buttons of a run, by status and role (see _lib/controls.ts): pause,
 * resume, cancel, confirm or skip held deletions, retry failed rows, run the
 * latest version, reset the sync state. Destructive ones ask first.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useTRPC } from '../../_components/trpc';
import type { TRole } from '../../_server/roles';
import { availableControls, type TRunControl } from '../_lib/controls';
import { formatCount } from '../_lib/format';
import { ConfirmDialog } from './confirm-dialog';

type Props = {
  runId: string;
  pipelineId: string;
  pipelineName: string;
  status: string;
  role: TRole | null;
  failedRows: number;
  heldDeletes: number;
  pauseRequested: boolean;
  destinations: { nodeId: string; queried: number }[];
};

type Dialog = 'cancel' | 'confirmDeletes' | 'resetState' | null;

export function RunControls(p: Props) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [resetNode, setResetNode] = useState<string>('');
  // A notice belongs to the status it was given in: once the run moves on, the status says it.
  const [notice, setNoticeState] = useState<{ text: string; status: string } | null>(null);
  const setNotice = (text: string | null) => setNoticeState(text === null ? null : { text, status: p.status });
  const shownNotice = notice && notice.status === p.status ? notice.text : null;

  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.run.pathKey() });
  const done = (message: string) => () => {
    setDialog(null);
    setNotice(message);
    void refresh();
  };
  const pause = useMutation(trpc.run.pause.mutationOptions({ onSuccess: done('Pause requested: batches in flight finish first.') }));
  const resume = useMutation(trpc.run.resume.mutationOptions({ onSuccess: done('Resumed.') }));
  const cancel = useMutation(trpc.run.cancel.mutationOptions({ onSuccess: done('Cancel requested: batches in flight finish, the rest are skipped.') }));
  const confirmDeletes = useMutation(trpc.run.confirmDeletes.mutationOptions({ onSuccess: done('Deletions confirmed; they are being delivered.') }));
  const skipDeletes = useMutation(trpc.run.skipDeletes.mutationOptions({ onSuccess: done('Deletions skipped; the run is finishing.') }));
  const retryFailed = useMutation(
    trpc.run.retryFailed.mutationOptions({
      onSuccess: async (res) => {
        await refresh();
        router.push(`/runs/${res.runId}`);
      },
    }),
  );
  const start = useMutation(
    trpc.run.start.mutationOptions({
      onSuccess: async (res) => {
        await refresh();
        router.push(`/runs/${res.runId}`);
      },
    }),
  );
  const reset = useMutation(
    trpc.run.resetState.mutationOptions({
      onSuccess: (res) => {
        setDialog(null);
        setNotice(
          `Sync state reset for ${res.targets} destination${res.targets === 1 ? '' : 's'}: ${formatCount(res.recordsForgotten)} records forgotten. The next run re-sends every row.`,
        );
        void refresh();
      },
    }),
  );

  const all = [pause, resume, cancel, confirmDeletes, skipDeletes, retryFailed, start, reset];
  const busy = all.some((m) => m.isPending);
  const error = all.find((m) => m.error)?.error ?? null;
  const controls = availableControls({ status: p.status, role: p.role, failedRows: p.failedRows, pauseRequested: p.pauseRequested });
  const has = (c: TRunControl) => controls.includes(c);
  const input = { runId: p.runId };
  /** Every action starts from a clean slate: the previous notice or error no longer applies. */
  const act = (fn: () => void) => () => {
    setNotice(null);
    for (const m of all) m.reset();
    fn();
  };

  return (
    <div className="run-controls">
      <div className="run-controls-row">
        {has('pause') ? (
          <button type="button" className="btn" disabled={busy} onClick={act(() => pause.mutate(input))}>
            ❚❚ Pause
          </button>
        ) : null}
        {has('resume') ? (
          <button type="button" className="btn primary" disabled={busy} onClick={act(() => resume.mutate(input))}>
            ▶ Resume
          </button>
        ) : null}
        {has('confirmDeletes') ? (
          <button type="button" className="btn run-danger" disabled={busy} onClick={act(() => setDialog('confirmDeletes'))}>
            Confirm deletions
          </button>
        ) : null}
        {has('skipDeletes') ? (
          <button type="button" className="btn" disabled={busy} onClick={act(() => skipDeletes.mutate(input))}>
            Skip deletions
          </button>
        ) : null}
        {has('retryFailed') ? (
          <button type="button" className="btn primary" disabled={busy} onClick={act(() => retryFailed.mutate(input))}>
            ↻ Retry {formatCount(p.failedRows)} failed row{p.failedRows === 1 ? '' : 's'}
          </button>
        ) : null}
        {has('runAgain') ? (
          <button
            type="button"
            className={`btn${has('retryFailed') ? '' : ' primary'}`}
            disabled={busy}
            title="Starts a new run of the latest published version"
            onClick={act(() => start.mutate({ pipelineId: p.pipelineId }))}
          >
            ▶ Run again
          </button>
        ) : null}
        {has('cancel') ? (
          <button type="button" className="btn ghost danger" disabled={busy} onClick={act(() => setDialog('cancel'))}>
            Cancel run
          </button>
        ) : null}
        {has('resetState') ? (
          <button type="button" className="btn ghost danger" disabled={busy} onClick={act(() => setDialog('resetState'))}>
            Reset sync state…
          </button>
        ) : null}
        {p.status === 'needs_confirmation' && has('skipDeletes') && !has('confirmDeletes') ? (
          <span className="muted small">Only an editor can confirm deletions; you can skip them.</span>
        ) : null}
        {controls.length === 0 && p.role === 'viewer' ? (
          <span className="muted small">Viewers can watch runs; an operator can start, pause or cancel them.</span>
        ) : null}
      </div>
      {error ? (
        <p className="error-text" role="alert">
          {error.message}
        </p>
      ) : null}
      {shownNotice && !error ? (
        <p className="run-notice" role="status">
          {shownNotice}
        </p>
      ) : null}

      <ConfirmDialog
        open={dialog === 'cancel'}
        title="Cancel this run?"
        confirmLabel="Cancel the run"
        danger
        busy={cancel.isPending}
        error={cancel.error?.message ?? null}
        onConfirm={() => cancel.mutate(input)}
        onClose={() => setDialog(null)}
      >
        <p>
          Batches already in flight finish. Rows not delivered yet are marked <strong>skipped</strong>; they never entered the
          sync state, so the next run sends them.
        </p>
      </ConfirmDialog>

      <ConfirmDialog
        open={dialog === 'confirmDeletes'}
        title={`Delete ${formatCount(p.heldDeletes)} record${p.heldDeletes === 1 ? '' : 's'} from the destination?`}
        confirmLabel={`Delete ${formatCount(p.heldDeletes)} record${p.heldDeletes === 1 ? '' : 's'}`}
        danger
        busy={confirmDeletes.isPending}
        error={confirmDeletes.error?.message ?? null}
        onConfirm={() => confirmDeletes.mutate(input)}
        onClose={() => setDialog(null)}
      >
        <p>
          Mirror mode removes records that left the query. Backflow held these deletions because the query returned far fewer
          rows than last time, which is often a broken filter or an empty table. Confirm only if the drop is expected.
        </p>
        <p className="muted small">Deleted records cannot be restored by Backflow.</p>
      </ConfirmDialog>

      <ConfirmDialog
        open={dialog === 'resetState'}
        title="Reset the sync state?"
        confirmLabel="Reset and re-send every row"
        danger
        busy={reset.isPending}
        error={reset.error?.message ?? null}
        onConfirm={() => reset.mutate({ pipelineId: p.pipelineId, ...(resetNode ? { nodeId: resetNode } : {}) })}
        onClose={() => setDialog(null)}
      >
        <p>
          Backflow forgets what the destination holds for <strong>{p.pipelineName}</strong>. The next run treats every row as
          new and <strong>re-sends every row</strong>
          {p.destinations.length ? ` (${p.destinations.map((d) => `${formatCount(d.queried)} for ${d.nodeId}`).join(', ')} in this run)` : ''}.
          That uses API quota, and destinations that only insert may get duplicates.
        </p>
        {p.destinations.length > 1 ? (
          <label className="run-dialog-field">
            Destination
            <select value={resetNode} onChange={(ev) => setResetNode(ev.target.value)}>
              <option value="">All destinations of this pipeline</option>
              {p.destinations.map((d) => (
                <option key={d.nodeId} value={d.nodeId}>
                  {d.nodeId}
                </option>
              ))}
            </select>
          </label>
        ) : null}
      </ConfirmDialog>
    </div>
  );
}
