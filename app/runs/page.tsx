import { RunsTable } from './_components/runs-table';
import { parseRunFilters, runsHref } from './_lib/filters';

type SearchParams = Record<string, string | string[] | undefined>;

export default async function RunsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const query = await searchParams;
  const filters = parseRunFilters({ get: (name) => (typeof query[name] === 'string' ? query[name] : null) });
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Runs</h1>
          <p className="muted small">Every sync run: what was read, what changed, and what each destination accepted.</p>
        </div>
      </header>
      {/* Keyed by the filters: a new filter starts again at the first page. */}
      <RunsTable key={runsHref(filters)} filters={filters} />
    </div>
  );
}
