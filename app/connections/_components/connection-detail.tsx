'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useTRPC } from '../../_components/trpc';
import { BrowsePanel } from './browse-panel';
import { ConnectionForm } from './connection-form';
import { DeleteButton } from './delete-button';
import { useRole } from './shared';
import { TestButton } from './test-button';
import { TestStatus } from './test-status';

export function ConnectionDetail({ id, justCreated }: { id: string; justCreated: boolean }) {
  const trpc = useTRPC();
  const { can } = useRole();
  const connection = useQuery(trpc.connection.get.queryOptions({ id }));
  const connectors = useQuery(trpc.connection.connectors.queryOptions());

  if (connection.isLoading || connectors.isLoading) return <p className="muted">Loading…</p>;
  if (connection.error) {
    return (
      <p className="error-text" role="alert">
        {connection.error.message} <Link href="/connections">Back to connections</Link>
      </p>
    );
  }
  const c = connection.data;
  if (!c) return null;
  const connector = connectors.data?.find((x) => x.slug === c.connector);

  return (
    <>
      <header className="page-head">
        <div className="conn-heading">
          <span className="conn-card-icon" aria-hidden>
            {c.icon}
          </span>
          <div>
            <p className="muted small">
              <Link href="/connections">Connections</Link> / {c.connectorName} · <span className={`conn-kind conn-kind-${c.kind}`}>{c.kind}</span>
            </p>
            <h1>{c.name}</h1>
          </div>
        </div>
        <TestStatus ok={c.lastTestOk} at={c.lastTestedAt} message={c.lastTestMessage} />
      </header>

      {justCreated ? (
        <p className="card notice" role="status">
          Connection created. Its settings are being tested below.
        </p>
      ) : null}
      {c.credentialsError ? (
        <p className="error-text" role="alert">
          {c.credentialsError}
        </p>
      ) : null}

      <section className="card conn-status-card">
        {c.lastTestMessage ? (
          <p className={c.lastTestOk ? 'ok-text' : 'error-text'}>
            Last test: <span className="mono-text">{c.lastTestMessage}</span>
          </p>
        ) : (
          <p className="muted">Not tested since its settings last changed.</p>
        )}
        {can('operator') ? <TestButton id={c.id} autoRun={justCreated} /> : <p className="muted small">Testing needs the operator role.</p>}
        <div className="conn-used-by">
          <h3>Used by</h3>
          {c.usedBy.length === 0 ? (
            <p className="muted">No pipeline uses this connection.</p>
          ) : (
            <ul>
              {c.usedBy.map((p) => (
                <li key={p.id}>
                  <Link href={`/pipelines/${p.id}`}>{p.name}</Link> <span className="muted small">({p.where.join(', ')})</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      </section>

      {connector ? (
        <ConnectionForm key={c.updatedAt.toString()} connector={connector} existing={c} readOnly={!can('editor')} onSaved={() => undefined} />
      ) : (
        <p className="error-text">This Backflow has no “{c.connector}” connector, so the connection cannot be edited — fix: upgrade, or delete it.</p>
      )}

      {can('editor') ? <BrowsePanel id={c.id} /> : null}
      {can('editor') ? <DeleteButton id={c.id} name={c.name} /> : null}
    </>
  );
}
