'use client';
/**
 * The Overview's live part: headline numbers, the last 7 days of runs by
 * status and of rows synced, the latest failures, and quick actions. Data
 * comes from run.list (paged over the week), pipeline.list and connection.list.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useMemo, type ReactNode } from 'react';
import { failedRows, sumCounts } from '../../runs/_lib/counts';
import { bucketRunsByDay, windowStart } from '../../runs/_lib/daily';
import { runsHref } from '../../runs/_lib/filters';
import { formatCount, timeAgo } from '../../runs/_lib/format';
import { isActive } from '../../runs/_lib/status';
import type { TRunListItem } from '../../runs/_lib/types';
import { OutcomeBar } from '../../runs/_components/outcome-bar';
import { StatusBadge } from '../../runs/_components/status-badge';
import { useKnownPipelines, type TKnownPipeline } from '../../runs/_lib/use-known-pipelines';
import { useTRPC } from '../trpc';
import { useWorkspaceRole } from '../use-role';
import { RowsByDayChart, RunsByDayChart } from './day-charts';
import { useRecentRuns } from './use-recent-runs';

const DAYS = 7;

export function OverviewDashboard() {
  const trpc = useTRPC();
  const recent = useRecentRuns(DAYS);
  const { pipelines, query: pipelineList } = useKnownPipelines();
  const connections = useQuery(trpc.connection.list.queryOptions());
  const runs = useMemo(() => recent.data?.runs ?? [], [recent.data]);
  const now = new Date();
  const buckets = useMemo(() => bucketRunsByDay(runs, new Date(), DAYS), [runs]);
  const inWindow = buckets.reduce((n, b) => n + b.total, 0);
  const rowsSynced = buckets.reduce((n, b) => n + b.rowsSynced, 0);
  const rowsFailed = buckets.reduce((n, b) => n + b.rowsFailed, 0);
  const since = windowStart(now, DAYS).getTime();
  const weekRuns = runs.filter((r) => new Date(r.createdAt).getTime() >= since);
  const finished = weekRuns.filter((r) => !isActive(r.status));
  const succeeded = finished.filter((r) => r.status === 'succeeded').length;
  const activeRuns = runs.filter((r) => isActive(r.status));
  const waiting = runs.filter((r) => r.status === 'needs_confirmation');

  const sources = connections.data?.filter((c) => c.kind === 'source').length ?? 0;
  const destinations = connections.data?.filter((c) => c.kind === 'destination').length ?? 0;
  const ranThisWeek = new Set(weekRuns.map((r) => r.pipelineId)).size;

  return (
    <>
      {recent.error ? (
        <p className="error-text" role="alert">
          Could not load runs: {recent.error.message}
        </p>
      ) : null}

      <section className="stat-tiles" aria-label="Workspace at a glance">
        <StatTile label={`Runs, last ${DAYS} days`} value={recent.isLoading ? '…' : formatCount(inWindow)} href="/runs">
          {finished.length > 0 ? `${Math.round((succeeded / finished.length) * 100)}% succeeded` : 'none finished'}
        </StatTile>
        <StatTile label="Rows synced" value={recent.isLoading ? '…' : formatCount(rowsSynced)}>
          {rowsFailed > 0 ? <span className="error-text">{formatCount(rowsFailed)} failed</span> : 'no failed rows'}
        </StatTile>
        <StatTile label="Active now" value={recent.isLoading ? '…' : formatCount(activeRuns.length)} href={activeRuns.length === 1 ? `/runs/${activeRuns[0]?.id}` : '/runs'}>
          {waiting.length > 0 ? <span className="attention-text">⚠ {waiting.length} waiting for confirmation</span> : 'runs in progress'}
        </StatTile>
        <StatTile label="Pipelines" value={pipelineList.isLoading ? '…' : formatCount(pipelines.length)} href="/pipelines">
          {pipelines.filter((p) => p.published).length} published · {ranThisWeek} ran this week
        </StatTile>
        <StatTile label="Connections" value={connections.isLoading ? '…' : formatCount(sources + destinations)} href="/connections">
          {sources} source{sources === 1 ? '' : 's'} · {destinations} destination{destinations === 1 ? '' : 's'}
        </StatTile>
      </section>

      <div className="overview-grid">
        <section className="card">
          <h2>Runs per day</h2>
          {recent.isLoading ? <p className="muted">Loading…</p> : inWindow === 0 ? <EmptyChart /> : <RunsByDayChart buckets={buckets} />}
        </section>
        <section className="card">
          <h2>Rows synced per day</h2>
          {recent.isLoading ? <p className="muted">Loading…</p> : inWindow === 0 ? <EmptyChart /> : <RowsByDayChart buckets={buckets} />}
        </section>
      </div>
      {recent.data?.capped ? (
        <p className="muted small">The charts cover the latest {formatCount(runs.length)} runs; older runs of the week are not counted.</p>
      ) : null}

      <div className="overview-grid">
        <RecentFailures runs={weekRuns} now={now.getTime()} loading={recent.isLoading} />
        <QuickActions pipelines={pipelines} waiting={waiting.length} />
      </div>
    </>
  );
}

function StatTile({ label, value, href, children }: { label: string; value: string; href?: string; children: ReactNode }) {
  const body = (
    <>
      <span className="stat-label">{label}</span>
      <span className="stat-value">{value}</span>
      <span className="stat-detail small muted">{children}</span>
    </>
  );
  return href ? (
    <Link href={href} className="card stat-tile link">
      {body}
    </Link>
  ) : (
    <div className="card stat-tile">{body}</div>
  );
}

function EmptyChart() {
  return (
    <p className="muted empty-chart">
      No runs in the last {DAYS} days. Runs appear here once a published pipeline runs, by hand or on its schedule.
    </p>
  );
}

const PROBLEM_STATUSES = new Set(['failed', 'partial', 'needs_confirmation']);

function RecentFailures({ runs, now, loading }: { runs: TRunListItem[]; now: number; loading: boolean }) {
  const problems = runs.filter((r) => PROBLEM_STATUSES.has(r.status)).slice(0, 6);
  return (
    <section className="card recent-failures" aria-labelledby="recent-failures-title">
      <div className="section-head">
        <h2 id="recent-failures-title">Recent failures</h2>
        <Link href={runsHref({ status: 'failed' })} className="small">
          All failed runs →
        </Link>
      </div>
      {loading ? (
        <p className="muted">Loading…</p>
      ) : problems.length === 0 ? (
        <p className="muted">
          <span aria-hidden>✓ </span>No failed or partial runs in the last {DAYS} days.
        </p>
      ) : (
        <ul className="failure-list">
          {problems.map((r) => {
            const c = sumCounts(r.targets);
            const failed = failedRows(c);
            return (
              <li key={r.id}>
                <StatusBadge status={r.status} />
                <div className="failure-body">
                  <Link href={`/runs/${r.id}`} className="failure-title">
                    {r.pipeline.name}
                    {r.version ? <span className="muted small"> v{r.version.number}</span> : null}
                  </Link>
                  <div className="small failure-why">
                    {r.status === 'needs_confirmation'
                      ? (r.confirmationReason ?? 'Deletions are waiting for confirmation.')
                      : r.error
                        ? firstLine(r.error)
                        : failed > 0
                          ? `${formatCount(failed)} row${failed === 1 ? '' : 's'} failed`
                          : c.skipped > 0
                            ? `${formatCount(c.skipped)} row${c.skipped === 1 ? '' : 's'} skipped`
                            : 'See the run for details.'}
                  </div>
                </div>
                <div className="failure-meta">
                  <OutcomeBar counts={c} width={80} />
                  <span className="muted small">{timeAgo(r.createdAt, now)}</span>
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? text;
  return line.length > 180 ? `${line.slice(0, 180)}…` : line;
}

function QuickActions({ pipelines, waiting }: { pipelines: TKnownPipeline[]; waiting: number }) {
  const trpc = useTRPC();
  const router = useRouter();
  const { can } = useWorkspaceRole();
  const start = useMutation(trpc.run.start.mutationOptions({ onSuccess: (res) => router.push(`/runs/${res.runId}`) }));
  const runnable = pipelines.filter((p) => p.published).slice(0, 5);
  return (
    <section className="card quick-actions" aria-labelledby="quick-actions-title">
      <h2 id="quick-actions-title">Quick actions</h2>
      <ul className="action-list">
        {waiting > 0 ? (
          <li>
            <Link href={runsHref({ status: 'needs_confirmation' })} className="btn run-attention">
              ⚠ Review {waiting} run{waiting === 1 ? '' : 's'} waiting for confirmation
            </Link>
          </li>
        ) : null}
        <li>
          <Link href="/runs" className="btn">
            View run history
          </Link>
        </li>
        {can('editor') ? (
          <>
            <li>
              <Link href="/pipelines" className="btn">
                Build a pipeline
              </Link>
            </li>
            <li>
              <Link href="/connections/new" className="btn">
                Add a connection
              </Link>
            </li>
          </>
        ) : null}
        {can('admin') ? (
          <li>
            <Link href="/settings/members" className="btn">
              Invite a teammate
            </Link>
          </li>
        ) : null}
      </ul>
      {can('operator') && runnable.length > 0 ? (
        <>
          <h3 className="subhead">Run a pipeline now</h3>
          <ul className="run-now-list">
            {runnable.map((p) => (
              <li key={p.id}>
                <Link href={`/pipelines/${p.id}`}>{p.name}</Link>
                <button
                  type="button"
                  className="btn small primary"
                  disabled={start.isPending}
                  aria-label={`Run ${p.name} now`}
                  onClick={() => start.mutate({ pipelineId: p.id })}
                >
                  ▶ Run
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {start.error ? (
        <p className="error-text small" role="alert">
          {start.error.message}
        </p>
      ) : null}
    </section>
  );
}
