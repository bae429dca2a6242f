'use client';
/**
 * Per-row problems of a run: rows the destination rejected, rows that ran out
 * of retries, invalid rows (NULL or duplicate keys) and skipped rows, by kind,
 * paged with the router's cursor.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '../../_components/trpc';
import { ZRowErrorsInput } from '../../_server/routers/run.schema';
import { formatCount, prettyExcerpt } from '../_lib/format';
import { isActive } from '../_lib/status';
import type { TRowError } from '../_lib/types';

const ZKind = ZRowErrorsInput.shape.kind.unwrap();
const KINDS = ZKind.options;
type TKind = (typeof KINDS)[number];

const KIND_LABELS: Record<TKind, string> = {
  rejected: 'Rejected',
  exhausted: 'Retries exhausted',
  invalid: 'Invalid',
  skipped: 'Skipped',
};
const KIND_HINTS: Record<TKind, string> = {
  rejected: 'The destination refused these rows; the reason is its answer.',
  exhausted: 'Temporary errors persisted through every retry.',
  invalid: 'Rows with a NULL or duplicate key are never sent.',
  skipped: 'Not delivered because the run was cancelled, failed, or deletions were not confirmed.',
};
const PAGE_SIZE = 25;

export function RowErrors({
  runId,
  runStatus,
  destinations,
  onLookup,
}: {
  runId: string;
  runStatus: string;
  /** runTargetId → destination node id, to name the destination when a run has several. */
  destinations: Map<string, string>;
  onLookup: (recordKey: string) => void;
}) {
  const trpc = useTRPC();
  const active = isActive(runStatus);
  const [kind, setKind] = useState<TKind | null>(null);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const q = useQuery(
    trpc.run.rowErrors.queryOptions(
      { runId, limit: PAGE_SIZE, ...(kind ? { kind } : {}), ...(cursor ? { cursor } : {}) },
      { placeholderData: keepPreviousData, refetchInterval: active ? 2000 : false },
    ),
  );
  // Finalizing a run writes its invalid and skipped rows: fetch once more when it ends.
  const wasActive = useRef(active);
  const { refetch } = q;
  useEffect(() => {
    if (wasActive.current && !active) void refetch();
    wasActive.current = active;
  }, [active, refetch]);
  const counts = q.data?.counts ?? {};
  const total = Object.values(counts).reduce((n, c) => n + c, 0);
  const countOf = (k: TKind) => counts[k] ?? 0;
  const showDestination = destinations.size > 1;

  function pick(k: TKind | null) {
    setKind(k);
    setCursors([]);
  }

  return (
    <section className="card row-errors" aria-labelledby="row-errors-title">
      <div className="section-head">
        <h2 id="row-errors-title">Row errors</h2>
        <span className="muted small">Failed rows stay out of the sync state, so the next run sends them again.</span>
      </div>
      {q.error ? (
        <p className="error-text" role="alert">
          Could not load row errors: {q.error.message}
        </p>
      ) : null}
      <div className="kind-tabs" role="tablist" aria-label="Error kind">
        <button type="button" role="tab" aria-selected={kind === null} className={`kind-tab${kind === null ? ' active' : ''}`} onClick={() => pick(null)}>
          All <span className="tab-count">{formatCount(total)}</span>
        </button>
        {KINDS.map((k) => (
          <button
            key={k}
            type="button"
            role="tab"
            aria-selected={kind === k}
            className={`kind-tab${kind === k ? ' active' : ''}`}
            onClick={() => pick(k)}
            title={KIND_HINTS[k]}
            disabled={countOf(k) === 0 && kind !== k}
          >
            {KIND_LABELS[k]} <span className={`tab-count${countOf(k) > 0 ? ` kind-${k}` : ''}`}>{formatCount(countOf(k))}</span>
          </button>
        ))}
      </div>
      {kind ? <p className="muted small">{KIND_HINTS[kind]}</p> : null}

      {q.isLoading ? (
        <p className="muted">Loading row errors…</p>
      ) : q.data && q.data.errors.length === 0 ? (
        <p className="muted row-errors-empty">{total > 0 ? 'None of this kind.' : emptyMessage(runStatus)}</p>
      ) : q.data ? (
        <>
          <div className="table-scroll">
            <table className="table run-compact errors-table">
              <thead>
                <tr>
                  {showDestination ? <th>Destination</th> : null}
                  <th>Record key</th>
                  <th>Op</th>
                  <th>Kind</th>
                  <th>Reason</th>
                  <th>Field</th>
                  <th>Payload</th>
                </tr>
              </thead>
              <tbody>
                {q.data.errors.map((e) => (
                  <ErrorRow key={e.id} error={e} destination={showDestination ? (destinations.get(e.runTargetId) ?? '?') : null} onLookup={onLookup} />
                ))}
              </tbody>
            </table>
          </div>
          <nav className="runs-pager" aria-label="Row error pages">
            <button type="button" className="btn small" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
              ← Previous
            </button>
            <span className="muted small">
              Rows {formatCount(cursors.length * PAGE_SIZE + 1)}–{formatCount(cursors.length * PAGE_SIZE + q.data.errors.length)}
              {kind ? ` of ${formatCount(countOf(kind))}` : ` of ${formatCount(total)}`}
            </span>
            <button
              type="button"
              className="btn small"
              disabled={!q.data.nextCursor || q.isPlaceholderData}
              onClick={() => {
                const next = q.data?.nextCursor;
                if (next) setCursors((c) => [...c, next]);
              }}
            >
              Next →
            </button>
          </nav>
        </>
      ) : null}
    </section>
  );
}

function emptyMessage(runStatus: string): string {
  if (isActive(runStatus)) return 'No row errors so far.';
  if (runStatus === 'succeeded' || runStatus === 'partial') return 'No row errors: every row that needed sending was accepted.';
  return 'No row errors were recorded for this run.';
}

function ErrorRow({ error, destination, onLookup }: { error: TRowError; destination: string | null; onLookup: (k: string) => void }) {
  const payload = prettyExcerpt(error.payloadExcerpt);
  const kind = ZKind.safeParse(error.kind);
  return (
    <tr>
      {destination !== null ? <td className="run-mono">{destination}</td> : null}
      <td>
        <button type="button" className="run-linkbtn run-mono" onClick={() => onLookup(error.recordKey)} title="Look up this record">
          {error.recordKey}
        </button>
      </td>
      <td className="run-mono">{error.op}</td>
      <td>
        <span className={`kind-pill kind-${error.kind}`}>{kind.success ? KIND_LABELS[kind.data] : error.kind}</span>
      </td>
      <td className="reason">{error.reason}</td>
      <td className="run-mono">{error.field ?? <span className="muted">—</span>}</td>
      <td>
        {payload ? (
          <details className="excerpt">
            <summary>Show payload</summary>
            <pre>{payload.text}</pre>
            {payload.truncated ? <span className="muted small">Cut at 500 characters.</span> : null}
          </details>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
    </tr>
  );
}
