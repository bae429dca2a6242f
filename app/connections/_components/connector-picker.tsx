'use client';
import Link from 'next/link';
import { useState } from 'react';
import type { ConnectorInfo } from './shared';

/** Searchable grid of connectors, grouped into sources and destinations. */
export function ConnectorPicker({ connectors }: { connectors: ConnectorInfo[] }) {
  const [query, setQuery] = useState('');
  const [showTest, setShowTest] = useState(false);
  const q = query.trim().toLowerCase();
  const matches = connectors.filter(
    (c) => (showTest || !c.testOnly) && (!q || `${c.displayName} ${c.slug} ${c.description}`.toLowerCase().includes(q)),
  );
  const hiddenTest = connectors.filter((c) => c.testOnly).length;
  const groups = [
    { kind: 'source', title: 'Sources', hint: 'Warehouses and files Backflow reads from' },
    { kind: 'destination', title: 'Destinations', hint: 'Tools Backflow keeps in sync' },
  ] as const;
  return (
    <div className="conn-picker">
      <div className="conn-picker-bar">
        <input type="search" placeholder="Search connectors…" aria-label="Search connectors" value={query} onChange={(e) => setQuery(e.target.value)} autoFocus />
        {hiddenTest > 0 ? (
          <label className="checkbox small">
            <input type="checkbox" checked={showTest} onChange={(e) => setShowTest(e.target.checked)} />
            Show test-only connectors ({hiddenTest})
          </label>
        ) : null}
      </div>
      {matches.length === 0 ? <p className="muted">No connector matches “{query}”.</p> : null}
      {groups.map((g) => {
        const items = matches.filter((c) => c.kind === g.kind);
        if (items.length === 0) return null;
        return (
          <section key={g.kind} aria-label={g.title}>
            <h2>
              {g.title} <span className="muted small">{g.hint}</span>
            </h2>
            <div className="conn-grid">
              {items.map((c) => (
                <Link key={c.slug} href={`/connections/new?connector=${encodeURIComponent(c.slug)}`} className="conn-card">
                  <span className="conn-card-icon" aria-hidden>
                    {c.icon}
                  </span>
                  <span className="conn-card-name">
                    {c.displayName}
                    {c.testOnly ? <span className="conn-kind">test only</span> : null}
                  </span>
                  <span className="muted small">{c.description}</span>
                </Link>
              ))}
            </div>
          </section>
        );
      })}
    </div>
  );
}
