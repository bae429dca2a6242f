import Link from 'next/link';
import { ConnectionsList } from './_components/connections-list';

export default function ConnectionsPage() {
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Connections</h1>
          <p className="muted small">Warehouses Backflow reads from, and the tools it syncs into.</p>
        </div>
        <Link href="/connections/new" className="btn primary">
          New connection
        </Link>
      </header>
      <ConnectionsList />
    </div>
  );
}
