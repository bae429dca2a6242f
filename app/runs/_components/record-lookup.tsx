'use client';
/**
 * "Look up a record by key": what each of a pipeline's destinations knows
 * about one record — synced or not, its external id, when it was last sent,
 * the last payload, and its recent errors. Reusable wherever a pipeline id is
 * known; the key can be driven from outside (e.g. a click in the errors table).
 */
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { useTRPC } from '../../_components/trpc';
import { formatDateTime, payloadEntries, timeAgo } from '../_lib/format';
import type { TRecordDestination } from '../_lib/types';

const RECORD_STATUS: Record<string, { glyph: string; tone: string; label: string }> = {
  synced: { glyph: '✓', tone: 'ok', label: 'Synced' },
  failing: { glyph: '✕', tone: 'bad', label: 'Failing' },
  'not synced': { glyph: '○', tone: 'muted', label: 'Not synced' },
};

export function RecordLookup({
  pipelineId,
  searchKey,
  onSearch,
  currentRunId,
}: {
  pipelineId: string;
  /** Controlled key (optional): the parent can fill and run the search. */
  searchKey?: string;
  onSearch?: (recordKey: string) => void;
  /** Links to this run are marked "this run". */
  currentRunId?: string;
}) {
  const trpc = useTRPC();
  const inputId = useId();
  const [ownKey, setOwnKey] = useState('');
  const submitted = searchKey ?? ownKey;
  const [draft, setDraft] = useState(submitted);
  useEffect(() => setDraft(submitted), [submitted]);

  const q = useQuery(trpc.run.record.queryOptions({ pipelineId, recordKey: submitted }, { enabled: submitted.length > 0, staleTime: 0 }));

  function onSubmit(ev: FormEvent<HTMLFormElement>) {
    ev.preventDefault();
    const key = draft.trim();
    if (!key) return;
    if (onSearch) onSearch(key);
    else setOwnKey(key);
    if (key === submitted) void q.refetch();
  }

  return (
    <section className="card record-lookup" aria-labelledby={`${inputId}-title`}>
      <div className="section-head">
        <h2 id={`${inputId}-title`}>Look up a record by key</h2>
        <span className="muted small">The record key is the primary key of the query row, as text.</span>
      </div>
      <form className="lookup-form" onSubmit={onSubmit} role="search">
        <label htmlFor={inputId} className="visually-hidden">
          Record key
        </label>
        <input id={inputId} type="search" placeholder="Record key, e.g. 42" value={draft} onChange={(ev) => setDraft(ev.target.value)} autoComplete="off" />
        <button type="submit" className="btn primary" disabled={!draft.trim() || q.isFetching}>
          {q.isFetching ? 'Looking up…' : 'Look up'}
        </button>
      </form>
      {q.error ? (
        <p className="error-text" role="alert">
          {q.error.message}
        </p>
      ) : null}
      {q.data ? (
        q.data.destinations.length === 0 ? (
          <p className="muted">This pipeline has not synced to any destination yet, so no destination knows this record.</p>
        ) : (
          <div className="lookup-results" aria-live="polite">
            {q.data.destinations.map((d) => (
              <DestinationRecord key={d.nodeId} d={d} currentRunId={currentRunId} />
            ))}
          </div>
        )
      ) : null}
    </section>
  );
}

function DestinationRecord({ d, currentRunId }: { d: TRecordDestination; currentRunId: string | undefined }) {
  const status = RECORD_STATUS[d.status] ?? { glyph: '•', tone: 'muted', label: d.status };
  const entries = payloadEntries(d.payload);
  const now = Date.now();
  return (
    <article className="lookup-dest">
      <header className="lookup-dest-head">
        <h3>
          {d.nodeId} <span className="muted small">→ {d.object}</span>
        </h3>
        <span className={`run-badge tone-${status.tone}`}>
          <span aria-hidden>{status.glyph}</span> {status.label}
        </span>
      </header>
      <dl className="facts">
        <div>
          <dt>External id</dt>
          <dd className="run-mono">{d.externalId ?? <span className="muted">none recorded</span>}</dd>
        </div>
        <div>
          <dt>Last synced</dt>
          <dd title={d.syncedAt ? formatDateTime(d.syncedAt) : undefined}>{d.syncedAt ? timeAgo(d.syncedAt, now) : <span className="muted">never</span>}</dd>
        </div>
        <div>
          <dt>By run</dt>
          <dd>
            {d.lastRunId ? (
              d.lastRunId === currentRunId ? (
                'this run'
              ) : (
                <Link href={`/runs/${d.lastRunId}`} className="run-mono">
                  {d.lastRunId.slice(0, 12)}…
                </Link>
              )
            ) : (
              <span className="muted">—</span>
            )}
          </dd>
        </div>
      </dl>
      {entries.length > 0 ? (
        <table className="table run-compact kv-table" aria-label={`Last payload sent to ${d.nodeId}`}>
          <thead>
            <tr>
              <th>Field</th>
              <th>Last value sent</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.key}>
                <th scope="row" className="run-mono">
                  {e.key}
                </th>
                <td className={e.isNull ? 'muted run-mono' : 'run-mono'}>{e.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : d.rawPayload ? (
        <details className="excerpt">
          <summary>Last payload (stored form; the mapping changed since)</summary>
          <pre>{d.rawPayload}</pre>
        </details>
      ) : d.status === 'synced' ? (
        <p className="muted small">The last payload was not kept for this record.</p>
      ) : null}
      {d.errors.length > 0 ? (
        <div className="lookup-errors">
          <h4>Recent errors</h4>
          <ul>
            {d.errors.map((e) => (
              <li key={e.id}>
                <span className={`kind-pill kind-${e.kind}`}>{e.kind}</span> <span className="run-mono small">{e.op}</span> {e.reason}
                {e.field ? (
                  <>
                    {' '}
                    (field <code>{e.field}</code>)
                  </>
                ) : null}{' '}
                <span className="muted small">
                  {timeAgo(e.createdAt, now)} ·{' '}
                  {e.runId === currentRunId ? 'this run' : <Link href={`/runs/${e.runId}`}>run {e.runId.slice(0, 8)}…</Link>}
                </span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </article>
  );
}
