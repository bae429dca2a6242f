'use client';
/**
 * One run: header (status, pipeline, version, trigger, timings), controls,
 * the held-deletions explanation, the run error, one card per destination
 * (phase stepper, batch progress, row funnel), row errors and record lookup.
 * Polls every 1.5 s while the run is active, then stops.
 */
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useMemo, useRef, useState } from 'react';
import { useTRPC } from '../../_components/trpc';
import { useWorkspaceRole } from '../../_components/use-role';
import { failedRows, liveTarget, sumCounts } from '../_lib/counts';
import { runsHref } from '../_lib/filters';
import { formatCount, formatDateTime, formatDuration, runDurationMs } from '../_lib/format';
import { isActive, statusMeta, triggerLabel } from '../_lib/status';
import { useNow } from '../_lib/use-now';
import { OutcomeBar } from './outcome-bar';
import { RecordLookup } from './record-lookup';
import { RowErrors } from './row-errors';
import { RunControls } from './run-controls';
import { StatusBadge } from './status-badge';
import { TargetCard } from './target-card';

const POLL_MS = 1500;

export function RunDetail({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const { role } = useWorkspaceRole();
  const q = useQuery(
    trpc.run.get.queryOptions({ runId }, { refetchInterval: (query) => (query.state.data && isActive(query.state.data.status) ? POLL_MS : false) }),
  );
  const run = q.data;
  const active = run ? isActive(run.status) : false;
  const now = useNow(active);
  const [lookupKey, setLookupKey] = useState('');
  const lookupRef = useRef<HTMLDivElement>(null);

  const targets = useMemo(
    () =>
      (run?.targets ?? []).map((t) => ({
        ...liveTarget(t, run?.progress?.targets.find((p) => p.nodeId === t.nodeId)),
        id: t.id,
        startedAt: t.startedAt,
        finishedAt: t.finishedAt,
      })),
    [run],
  );
  const destinations = useMemo(() => new Map(targets.map((t) => [t.id, t.nodeId])), [targets]);

  if (q.isLoading) return <p className="muted">Loading run…</p>;
  if (q.error && !run) {
    return (
      <div className="card">
        <p className="error-text" role="alert">
          {q.error.message}
        </p>
        <Link href="/runs">← Back to runs</Link>
      </div>
    );
  }
  if (!run) return null;

  const totals = sumCounts(targets);
  const held = targets.reduce((n, t) => n + t.held, 0);
  const heldReason = run.confirmationReason ?? targets.find((t) => t.heldReason)?.heldReason ?? null;
  const meta = statusMeta(run.status);
  // The workflow takes the pause between batches; until then the stored status stays "running".
  const pausing = run.status === 'running' && (run.progress?.paused ?? false);

  function lookup(key: string) {
    setLookupKey(key);
    lookupRef.current?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }

  return (
    <>
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <Link href="/runs">Runs</Link> <span aria-hidden>›</span>{' '}
        <Link href={runsHref({ pipelineId: run.pipelineId })}>{run.pipeline.name}</Link> <span aria-hidden>›</span>{' '}
        <span className="run-mono">{run.id}</span>
        <span className="breadcrumbs-spacer" />
        <Link href={`/pipelines/${run.pipelineId}`}>Open the pipeline →</Link>
      </nav>

      <header className="card run-head">
        <div className="run-head-main">
          <div className="run-title">
            <StatusBadge status={run.status} size="large" />
            <h1>{run.pipeline.name}</h1>
            <span className="version-pill">{run.version ? `v${run.version.number}` : 'version not pinned yet'}</span>
          </div>
          <p className="muted small run-hint">
            {pausing ? (
              <strong className="attention-text">
                <span aria-hidden>❚❚ </span>Pausing: batches already in flight finish first, then delivery stops until you resume.
              </strong>
            ) : (
              meta.hint
            )}
          </p>
          <dl className="facts">
            <div>
              <dt>Trigger</dt>
              <dd>{triggerLabel(run.trigger)}</dd>
            </div>
            <div>
              <dt>Queued</dt>
              <dd>{formatDateTime(run.createdAt)}</dd>
            </div>
            <div>
              <dt>Started</dt>
              <dd>{formatDateTime(run.startedAt)}</dd>
            </div>
            <div>
              <dt>Finished</dt>
              <dd>{active ? <span className="muted">not yet</span> : formatDateTime(run.finishedAt)}</dd>
            </div>
            <div>
              <dt>Duration</dt>
              <dd>{formatDuration(runDurationMs(run, now))}</dd>
            </div>
            <div>
              <dt>Delivered</dt>
              <dd className="run-head-outcome">
                <OutcomeBar counts={totals} width={140} />
                <span className="small">
                  {formatCount(totals.accepted)} accepted
                  {failedRows(totals) > 0 ? <span className="error-text">, {formatCount(failedRows(totals))} failed</span> : null}
                </span>
              </dd>
            </div>
            {run.executions > 1 ? (
              <div>
                <dt title="Long runs continue as new Temporal executions to keep their history small">Executions</dt>
                <dd>{run.executions}</dd>
              </div>
            ) : null}
          </dl>
        </div>
        <RunControls
          runId={run.id}
          pipelineId={run.pipelineId}
          pipelineName={run.pipeline.name}
          status={run.status}
          role={role}
          failedRows={failedRows(totals)}
          heldDeletes={held}
          pauseRequested={run.progress?.paused ?? false}
          destinations={targets.map((t) => ({ nodeId: t.nodeId, queried: t.queried }))}
        />
      </header>

      {q.error ? (
        <p className="error-text small" role="alert">
          Could not refresh this run ({q.error.message}); showing what was loaded last.
        </p>
      ) : null}

      {run.status === 'needs_confirmation' ? (
        <section className="held-banner" role="alert" aria-labelledby="held-title">
          <h2 id="held-title">
            <span aria-hidden>⚠</span> {formatCount(held)} deletion{held === 1 ? ' is' : 's are'} waiting for your decision
          </h2>
          <p>{heldReason ?? 'Mirror safety held the deletions of this run.'}</p>
          <p className="small">
            This is a mirror sync: records that left the query are deleted from the destination. When the query suddenly returns
            far fewer rows, that is more often a broken filter or an empty table than real churn, so Backflow holds the deletions.{' '}
            <strong>Confirm deletions</strong> (editors) deletes them; <strong>Skip deletions</strong> (operators) finishes the run
            without deleting — they come back next run. Without a decision they are skipped after 24 hours.
          </p>
        </section>
      ) : null}

      {run.error ? (
        <section className="error-banner" role="alert">
          <strong>The run reported an error:</strong> <span className="run-pre">{run.error}</span>
        </section>
      ) : null}

      {active && !run.progress && run.status !== 'queued' ? (
        <p className="muted small">Live progress is not available right now; the counts below are the last ones recorded.</p>
      ) : null}

      {targets.length === 0 ? (
        <section className="card">
          <p className="muted">
            {active ? 'Waiting for the worker to pin the pipeline version and list the destinations…' : 'This run has no destination results.'}
          </p>
        </section>
      ) : (
        <div className="targets">
          {targets.map((t) => (
            <TargetCard
              key={t.id}
              target={t}
              runStatus={run.status}
              showError={!(t.error && run.error?.includes(t.error))}
              live={run.progress ? { rowsPerSecond: run.progress.rowsPerSecond, etaSeconds: run.progress.etaSeconds, paused: run.progress.paused } : null}
            />
          ))}
        </div>
      )}

      <RowErrors runId={run.id} runStatus={run.status} destinations={destinations} onLookup={lookup} />

      <div ref={lookupRef}>
        <RecordLookup pipelineId={run.pipelineId} searchKey={lookupKey} onSearch={setLookupKey} currentRunId={run.id} />
      </div>
    </>
  );
}
