'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useTRPC } from '../../_components/trpc';
import { useRole } from './shared';
import { TestStatus } from './test-status';

type KindFilter = 'all' | 'source' | 'destination';

export function ConnectionsList() {
  const trpc = useTRPC();
  const { can } = useRole();
  const list = useQuery(trpc.connection.list.queryOptions());
  const [kind, setKind] = useState<KindFilter>('all');

  if (list.isLoading) return <p className="muted">Loading connections…</p>;
  if (list.error) return <p className="error-text" role="alert">{list.error.message}</p>;
  const rows = list.data ?? [];
  if (rows.length === 0) return <EmptyState canCreate={can('editor')} />;
  const shown = rows.filter((c) => kind === 'all' || c.kind === kind);

  return (
    <>
      <div className="conn-tabs" role="tablist" aria-label="Filter by kind">
        {(['all', 'source', 'destination'] as const).map((k) => (
          <button key={k} type="button" role="tab" aria-selected={kind === k} className={`conn-tab${kind === k ? ' active' : ''}`} onClick={() => setKind(k)}>
            {k === 'all' ? `All (${rows.length})` : `${k === 'source' ? 'Sources' : 'Destinations'} (${rows.filter((c) => c.kind === k).length})`}
          </button>
        ))}
      </div>
      <table className="table conn-table">
        <thead>
          <tr>
            <th>Connection</th>
            <th>Kind</th>
            <th>Last test</th>
            <th>Used by</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((c) => (
            <tr key={c.id}>
              <td>
                <Link href={`/connections/${c.id}`} className="conn-name">
                  <span className="conn-icon" aria-hidden>
                    {c.icon}
                  </span>
                  <span>
                    <span className="conn-title">{c.name}</span>
                    <span className="muted small">{c.connectorName}</span>
                  </span>
                </Link>
                {c.connectorMissing ? <div className="error-text small">Connector “{c.connector}” is not installed</div> : null}
                {c.credentialsError ? <div className="error-text small">{c.credentialsError}</div> : null}
              </td>
              <td>
                <span className={`conn-kind conn-kind-${c.kind}`}>{c.kind}</span>
              </td>
              <td>
                <TestStatus ok={c.lastTestOk} at={c.lastTestedAt} message={c.lastTestMessage} />
              </td>
              <td className="muted">
                {c.usedBy.length === 0 ? 'No pipelines' : `${c.usedBy.length} pipeline${c.usedBy.length === 1 ? '' : 's'}`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** First run: one click connects the bundled demo warehouse (DuckDB). */
function EmptyState({ canCreate }: { canCreate: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const demo = useQuery(trpc.connection.demoWarehouse.queryOptions());
  const test = useMutation(trpc.connection.test.mutationOptions());
  const create = useMutation(
    trpc.connection.create.mutationOptions({
      onSuccess: async (created) => {
        await test.mutateAsync({ id: created.id }).catch(() => undefined);
        await queryClient.invalidateQueries({ queryKey: trpc.connection.list.queryKey() });
        router.push(`/connections/${created.id}`);
      },
    }),
  );
  return (
    <section className="card conn-empty">
      <div className="conn-empty-icon" aria-hidden>
        🦆
      </div>
      <h2>No connections yet — connect the demo warehouse in one click</h2>
      <p className="muted">
        The demo warehouse is a DuckDB file with customers, orders and product events, ready to sync.
        {demo.data ? (
          <>
            {' '}
            It lives at <code>{demo.data.path}</code>.
          </>
        ) : null}
      </p>
      {demo.data && !demo.data.exists ? (
        <p className="error-text">
          The demo warehouse file is missing — fix: run <code>npm run setup</code>, then come back.
        </p>
      ) : null}
      {create.error ? (
        <p className="error-text" role="alert">
          {create.error.message}
        </p>
      ) : null}
      <div className="conn-actions">
        {canCreate ? (
          <>
            <button
              type="button"
              className="btn primary"
              disabled={!demo.data?.exists || create.isPending}
              onClick={() => demo.data && create.mutate({ connector: 'duckdb', name: 'Demo warehouse', config: { path: demo.data.path } })}
            >
              {create.isPending ? 'Connecting…' : 'Connect the demo warehouse'}
            </button>
            <Link href="/connections/new" className="btn">
              Choose another connector
            </Link>
          </>
        ) : (
          <p className="muted">Ask an editor or admin to add the first connection.</p>
        )}
      </div>
    </section>
  );
}
