'use client';
/**
 * Run history: newest first, filtered by status and pipeline (query string),
 * paged with the router's cursor. Polls every 2 s, but only while a run on the
 * page is still active.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useMemo, useState } from 'react';
import { useTRPC } from '../../_components/trpc';
import { sumCounts } from '../_lib/counts';
import { runsHref, type TRunFilters } from '../_lib/filters';
import { formatCount, formatDateTime, formatDuration, runDurationMs, timeAgo } from '../_lib/format';
import { isActive, RUN_STATUSES, STATUS_META, triggerLabel } from '../_lib/status';
import type { TRunListItem } from '../_lib/types';
import { useKnownPipelines } from '../_lib/use-known-pipelines';
import { useNow } from '../_lib/use-now';
import { OutcomeBar, OutcomeLegend } from './outcome-bar';
import { StatusBadge } from './status-badge';

const PAGE_SIZE = 25;
const POLL_MS = 2000;

function anyActive(runs: readonly TRunListItem[] | undefined): boolean {
  return (runs ?? []).some((r) => isActive(r.status));
}

export function RunsTable({ filters }: { filters: TRunFilters }) {
  const trpc = useTRPC();
  const router = useRouter();
  // One cursor per page after the first (the way back); the last one loads the current page.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const list = useQuery(
    trpc.run.list.queryOptions(
      {
        limit: PAGE_SIZE,
        ...(filters.status ? { status: filters.status } : {}),
        ...(filters.pipelineId ? { pipelineId: filters.pipelineId } : {}),
        ...(cursor ? { cursor } : {}),
      },
      {
        placeholderData: keepPreviousData,
        refetchInterval: (query) => (anyActive(query.state.data?.runs) ? POLL_MS : false),
      },
    ),
  );
  const runs = list.data?.runs;
  const now = useNow(anyActive(runs));

  // The filter lists the workspace's pipelines plus any seen only in runs
  // (while pipeline.list loads, or if it fails).
  const known = useKnownPipelines().pipelines;
  const [seen, setSeen] = useState<Map<string, string>>(() => new Map());
  const pipelines = useMemo(() => {
    const all = new Map(seen);
    for (const p of known) all.set(p.id, p.name);
    return all;
  }, [known, seen]);
  useEffect(() => {
    if (!runs?.length) return;
    setSeen((prev) => {
      const missing = runs.filter((r) => prev.get(r.pipelineId) !== r.pipeline.name);
      if (missing.length === 0) return prev;
      const next = new Map(prev);
      for (const r of missing) next.set(r.pipelineId, r.pipeline.name);
      return next;
    });
  }, [runs]);

  function setFilters(next: TRunFilters) {
    setCursors([]);
    router.push(runsHref(next));
  }

  const filtered = Boolean(filters.status || filters.pipelineId);

  return (
    <>
      <div className="runs-toolbar" role="search" aria-label="Filter runs">
        <label>
          <span>Status</span>
          <select
            value={filters.status ?? ''}
            onChange={(ev) => {
              const status = RUN_STATUSES.find((s) => s === ev.target.value);
              setFilters({ ...filters, status });
            }}
          >
            <option value="">All statuses</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_META[s].label}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Pipeline</span>
          <select
            value={filters.pipelineId ?? ''}
            onChange={(ev) => setFilters({ ...filters, pipelineId: ev.target.value || undefined })}
          >
            <option value="">All pipelines</option>
            {filters.pipelineId && !pipelines.has(filters.pipelineId) ? <option value={filters.pipelineId}>{filters.pipelineId}</option> : null}
            {[...pipelines.entries()]
              .sort((a, b) => a[1].localeCompare(b[1]))
              .map(([id, name]) => (
                <option key={id} value={id}>
                  {name}
                </option>
              ))}
          </select>
        </label>
        {filtered ? (
          <button type="button" className="btn ghost small" onClick={() => setFilters({})}>
            Clear filters
          </button>
        ) : null}
        <span className="runs-toolbar-spacer" />
        {anyActive(runs) ? (
          <span className="muted small live-note" role="status">
            <span className="live-dot" aria-hidden /> Live — refreshing every 2 s
          </span>
        ) : null}
        <OutcomeLegend />
      </div>

      {list.error ? (
        <p className="error-text" role="alert">
          Could not load runs: {list.error.message}
        </p>
      ) : null}

      {list.isLoading ? (
        <p className="muted">Loading runs…</p>
      ) : runs && runs.length === 0 && !cursor ? (
        filtered ? (
          <section className="card runs-empty">
            <h2>No runs match these filters</h2>
            <p className="muted">Try another status or pipeline.</p>
            <button type="button" className="btn" onClick={() => setFilters({})}>
              Show all runs
            </button>
          </section>
        ) : (
          <section className="card runs-empty">
            <div className="runs-empty-icon" aria-hidden>
              ⏵
            </div>
            <h2>No runs yet — publish a pipeline and press Run</h2>
            <p className="muted">
              Every run shows up here: what it read from the warehouse, what changed, and what each destination accepted or
              rejected.
            </p>
          </section>
        )
      ) : runs ? (
        <>
          <div className="table-scroll">
            <table className="table runs-table" aria-busy={list.isFetching}>
              <thead>
                <tr>
                  <th>Status</th>
                  <th>Run</th>
                  <th>Pipeline</th>
                  <th>Trigger</th>
                  <th>Duration</th>
                  <th className="num" title="Rows added / changed / removed since the last sync">
                    Changes
                  </th>
                  <th className="num">Accepted</th>
                  <th className="num">Rejected</th>
                  <th>Outcome</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => (
                  <RunRow key={r.id} run={r} now={now} onPipeline={(pipelineId) => setFilters({ ...filters, pipelineId })} />
                ))}
              </tbody>
            </table>
          </div>
          <nav className="runs-pager" aria-label="Pages">
            <button type="button" className="btn small" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
              ← Newer
            </button>
            <span className="muted small">Page {cursors.length + 1}</span>
            <button
              type="button"
              className="btn small"
              disabled={!list.data?.nextCursor || list.isPlaceholderData}
              onClick={() => {
                const next = list.data?.nextCursor;
                if (next) setCursors((c) => [...c, next]);
              }}
            >
              Older →
            </button>
          </nav>
        </>
      ) : null}
    </>
  );
}

function RunRow({ run, now, onPipeline }: { run: TRunListItem; now: number; onPipeline: (pipelineId: string) => void }) {
  const c = sumCounts(run.targets);
  const started = run.startedAt ?? run.createdAt;
  const failed = c.rejected + c.exhausted;
  return (
    <tr className={isActive(run.status) ? 'run-active' : undefined}>
      <td>
        <StatusBadge status={run.status} />
      </td>
      <td className="nowrap">
        <Link href={`/runs/${run.id}`} className="run-link" aria-label={`Open the run of ${run.pipeline.name} started ${formatDateTime(started)}`}>
          {timeAgo(started, now)}
        </Link>
        <div className="muted small" title={formatDateTime(started)}>
          {new Date(started).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })}
        </div>
      </td>
      <td>
        <button type="button" className="run-linkbtn run-pipeline" title="Show only this pipeline's runs" onClick={() => onPipeline(run.pipelineId)}>
          {run.pipeline.name}
        </button>
        <div className="muted small">{run.version ? `version ${run.version.number}` : 'version not pinned yet'}</div>
      </td>
      <td>{triggerLabel(run.trigger)}</td>
      <td className="nowrap">{formatDuration(runDurationMs(run, now))}</td>
      <td className="num nowrap">
        <span title="added">+{formatCount(c.added)}</span> · <span title="changed">~{formatCount(c.changed)}</span> ·{' '}
        <span title="removed">−{formatCount(c.removed)}</span>
      </td>
      <td className="num">{formatCount(c.accepted)}</td>
      <td className={`num${failed > 0 ? ' error-text' : ''}`}>
        {formatCount(c.rejected)}
        {c.exhausted > 0 ? <div className="small">+{formatCount(c.exhausted)} exhausted</div> : null}
      </td>
      <td>
        <OutcomeBar counts={c} emptyLabel={isActive(run.status) ? '—' : c.added + c.changed + c.removed === 0 ? 'no changes' : 'nothing delivered'} />
      </td>
    </tr>
  );
}
