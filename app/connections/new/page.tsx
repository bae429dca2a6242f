import Link from 'next/link';
import { NewConnection } from '../_components/new-connection';

export default async function NewConnectionPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const connector = typeof params.connector === 'string' ? params.connector : null;
  return (
    <div className="page narrow-wide">
      <header className="page-head">
        <div>
          <p className="muted small">
            <Link href="/connections">Connections</Link> /
          </p>
          <h1>New connection</h1>
        </div>
      </header>
      <NewConnection connectorSlug={connector} />
    </div>
  );
}
