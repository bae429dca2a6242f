'use client';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../../_components/trpc';

type Column = { name: string; type: string; native?: string; required?: boolean; unique?: boolean; readOnly?: boolean; description?: string };
type Entry = { key: string; title: string; subtitle?: string; columns: Column[] };

/** What discover() found: a source's tables and columns, or a destination's objects and fields. */
export function BrowsePanel({ id }: { id: string }) {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const [filter, setFilter] = useState('');
  const [expanded, setExpanded] = useState<string | null>(null);
  const discover = useQuery({ ...trpc.connection.discover.queryOptions({ id }), enabled: open, staleTime: 60_000, retry: false });

  const entries: Entry[] = !discover.data
    ? []
    : discover.data.kind === 'source'
      ? discover.data.tables.map((t) => ({
          key: `${t.schema}.${t.name}`,
          title: `${t.schema}.${t.name}`,
          subtitle: t.kind,
          columns: t.columns.map((c) => ({ name: c.name, type: c.type, native: c.nativeType, required: c.nullable === false })),
        }))
      : discover.data.objects.map((o) => ({
          key: o.name,
          title: o.label ?? o.name,
          subtitle: o.upsert === false ? 'no upsert key' : undefined,
          columns: o.fields.map((f) => ({
            name: f.name,
            type: f.type,
            required: f.required,
            unique: f.unique,
            readOnly: f.readOnly,
            ...(f.description ? { description: f.description } : {}),
          })),
        }));
  const q = filter.trim().toLowerCase();
  const shown = entries.filter((e) => !q || e.title.toLowerCase().includes(q) || e.columns.some((c) => c.name.toLowerCase().includes(q)));

  return (
    <section className="card conn-browse" aria-label="Browse">
      <div className="conn-browse-head">
        <h2>Browse</h2>
        {open ? (
          <button type="button" className="btn ghost small" disabled={discover.isFetching} onClick={() => void discover.refetch()}>
            {discover.isFetching ? 'Loading…' : 'Refresh'}
          </button>
        ) : (
          <button type="button" className="btn small" onClick={() => setOpen(true)}>
            Show tables and fields
          </button>
        )}
      </div>
      {open && discover.isLoading ? (
        <p className="muted">
          <span className="spinner" aria-hidden /> Asking the connection…
        </p>
      ) : null}
      {discover.error ? (
        <p className="error-text" role="alert">
          {discover.error.message}
        </p>
      ) : null}
      {discover.data ? (
        <>
          <input type="search" placeholder={`Filter ${entries.length} ${discover.data.kind === 'source' ? 'tables' : 'objects'}…`} value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter" />
          {entries.length === 0 ? <p className="muted">Nothing found.</p> : null}
          {discover.data.kind === 'destination' && entries.every((e) => e.columns.length === 0) && entries.length > 0 ? (
            <p className="muted small">This destination has no fixed fields: the map defines them.</p>
          ) : null}
          <ul className="conn-browse-list">
            {shown.map((e) => (
              <li key={e.key}>
                <button type="button" className="conn-browse-item" aria-expanded={expanded === e.key} onClick={() => setExpanded(expanded === e.key ? null : e.key)}>
                  <span>{expanded === e.key ? '▾' : '▸'}</span>
                  <strong>{e.title}</strong>
                  {e.subtitle ? <span className="muted small">{e.subtitle}</span> : null}
                  <span className="muted small">{e.columns.length} fields</span>
                </button>
                {expanded === e.key ? (
                  <table className="table compact">
                    <thead>
                      <tr>
                        <th>Field</th>
                        <th>Type</th>
                        <th>Required</th>
                        <th>Unique</th>
                      </tr>
                    </thead>
                    <tbody>
                      {e.columns.map((c) => (
                        <tr key={c.name}>
                          <td>
                            <code>{c.name}</code>
                            {c.readOnly ? <span className="muted small"> read-only</span> : null}
                          </td>
                          <td>
                            {c.type}
                            {c.native ?? c.description ? <span className="muted small"> ({c.native ?? c.description})</span> : null}
                          </td>
                          <td>{c.required ? 'yes' : ''}</td>
                          <td>{c.unique ? 'yes' : ''}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
