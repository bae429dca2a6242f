'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useTRPC } from '../../_components/trpc';
import { ConnectionForm } from './connection-form';
import { ConnectorPicker } from './connector-picker';
import { useRole } from './shared';

/** Step 1: pick a connector. Step 2 (?connector=slug): fill in its form. */
export function NewConnection({ connectorSlug }: { connectorSlug: string | null }) {
  const trpc = useTRPC();
  const router = useRouter();
  const { role, can } = useRole();
  const connectors = useQuery(trpc.connection.connectors.queryOptions());

  if (connectors.isLoading) return <p className="muted">Loading connectors…</p>;
  if (connectors.error) return <p className="error-text" role="alert">{connectors.error.message}</p>;
  const all = connectors.data ?? [];
  if (role && !can('editor')) {
    return <p className="card notice">Creating connections needs the editor role; you are {role === 'operator' ? 'an' : 'a'} {role}. Ask a workspace admin.</p>;
  }
  if (!connectorSlug) return <ConnectorPicker connectors={all} />;
  const connector = all.find((c) => c.slug === connectorSlug);
  if (!connector) {
    return (
      <p className="error-text" role="alert">
        Unknown connector “{connectorSlug}”. <Link href="/connections/new">Pick another one</Link>.
      </p>
    );
  }
  return (
    <>
      <div className="conn-heading">
        <span className="conn-card-icon" aria-hidden>
          {connector.icon}
        </span>
        <div>
          <h2>{connector.displayName}</h2>
          <p className="muted small">{connector.description}</p>
        </div>
        <Link href="/connections/new" className="btn ghost small">
          Change
        </Link>
      </div>
      <ConnectionForm connector={connector} onSaved={(saved) => router.push(`/connections/${saved.id}?created=1`)} />
    </>
  );
}
