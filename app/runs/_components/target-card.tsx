'use client';
import { batchPercent, stepStates, type TLiveTarget, type TStepState } from '../_lib/counts';
import { formatCount, formatDuration, formatEta, formatRate } from '../_lib/format';
import { FunnelChart } from './funnel-chart';
import { StatusBadge } from './status-badge';

const STEP_GLYPH: Record<TStepState, string> = { done: '✓', current: '●', waiting: '⚠', todo: '○', failed: '✕', stopped: '⊘' };
const STEP_WORD: Record<TStepState, string> = {
  done: 'done',
  current: 'in progress',
  waiting: 'waiting for confirmation',
  todo: 'not reached',
  failed: 'failed here',
  stopped: 'stopped here',
};

/** One destination path of a run: where it is, how far delivery got, and where every row went. */
export function TargetCard({
  target,
  runStatus,
  live,
  showError,
}: {
  target: TLiveTarget & { startedAt: Date | null; finishedAt: Date | null };
  runStatus: string;
  /** Run-wide throughput from the workflow, while it is active. */
  live: { rowsPerSecond: number; etaSeconds: number | null; paused: boolean } | null;
  /** False when the run's error banner already says the same. */
  showError: boolean;
}) {
  const waiting = runStatus === 'needs_confirmation' && target.held > 0;
  const steps = stepStates(target, waiting);
  const percent = batchPercent(target.batchesDone, target.batchesTotal);
  const finished = target.phase === 'done';
  const broke = finished && (target.status === 'failed' || target.status === 'cancelled');
  const elapsed = target.startedAt && target.finishedAt ? target.finishedAt.getTime() - target.startedAt.getTime() : null;
  const nothingRead = target.queried === 0 && target.added + target.changed + target.removed === 0;

  let progressNote: string | null = null;
  if (finished) progressNote = elapsed !== null ? `finished in ${formatDuration(elapsed)}` : null;
  else if (waiting) progressNote = 'waiting for a decision on the held deletions';
  else if (live?.paused) progressNote = 'paused';
  else if (live && target.phase === 'deliver') progressNote = `${formatRate(live.rowsPerSecond)} · ${formatEta(live.etaSeconds)}`;
  else if (target.phase === 'extract') progressNote = 'reading rows from the warehouse…';
  else if (target.phase === 'diff') progressNote = 'comparing with the sync state…';

  const batchesText =
    target.batchesTotal > 0
      ? `Batches ${formatCount(target.batchesDone)} / ${formatCount(target.batchesTotal)}`
      : finished || waiting
        ? 'No batches to deliver'
        : 'Batches: not planned yet';
  // Indeterminate only while work is really under way and its size unknown.
  const indeterminate = !finished && !waiting && !live?.paused && percent === null;
  const barPercent = percent ?? (finished && !broke ? 100 : 0);

  return (
    <section className="card target-card" aria-labelledby={`target-${target.nodeId}`}>
      <header className="target-head">
        <h3 id={`target-${target.nodeId}`}>
          <span className="muted small">Destination</span> {target.nodeId}
        </h3>
        <StatusBadge status={finished ? target.status : waiting ? 'needs_confirmation' : target.status} />
      </header>

      <ol className="stepper" aria-label={`Phases of ${target.nodeId}`}>
        {steps.map((s) => (
          <li key={s.key} className={`step step-${s.state}`} aria-current={s.state === 'current' || s.state === 'waiting' ? 'step' : undefined} title={s.hint}>
            <span className="step-dot" aria-hidden>
              {STEP_GLYPH[s.state]}
            </span>
            <span className="step-label">{s.label}</span>
            <span className="visually-hidden">: {STEP_WORD[s.state]}</span>
          </li>
        ))}
      </ol>

      {target.error && showError ? (
        <p className="target-error" role="alert">
          <strong>Error:</strong> {target.error}
        </p>
      ) : null}
      {waiting ? (
        <p className="target-held">
          <strong>
            {formatCount(target.held)} deletion{target.held === 1 ? '' : 's'} held
          </strong>{' '}
          until someone confirms or skips them.
        </p>
      ) : null}

      <div className="target-progress">
        <div className="progress-line">
          <span>{batchesText}</span>
          {progressNote ? <span className="muted">{progressNote}</span> : null}
        </div>
        <div
          className={`progress${indeterminate ? ' indeterminate' : ''}${broke ? ' broke' : ''}`}
          role="progressbar"
          aria-label={`Delivery progress of ${target.nodeId}`}
          aria-valuemin={0}
          aria-valuemax={100}
          {...(indeterminate ? {} : { 'aria-valuenow': barPercent })}
        >
          <span style={{ width: `${barPercent}%` }} />
        </div>
      </div>

      {nothingRead && finished ? (
        <p className="muted">No rows were read{broke ? ' before the run stopped' : ''}.</p>
      ) : (
        <FunnelChart counts={target} label={target.nodeId} />
      )}
    </section>
  );
}
