'use client';
/** The node palette, built from the node registry: grouped by category, searchable; drag onto the canvas or click to add after the selection. */
import { useState } from 'react';
import { DND_MIME, paletteGroups } from '../../_lib/palette';
import styles from './editor.module.css';

export function Palette({ onAdd, hasSelection }: { onAdd(type: string): void; hasSelection: boolean }) {
  const [search, setSearch] = useState('');
  const groups = paletteGroups(search);
  return (
    <aside className={styles.palette} aria-label="Node palette">
      <input type="search" placeholder="Search nodes…" value={search} onChange={(e) => setSearch(e.target.value)} aria-label="Search nodes" />
      {groups.length === 0 ? <p className="muted small">No node matches “{search}”.</p> : null}
      {groups.map((g) => (
        <section key={g.category} className={styles.paletteGroup}>
          <h3>{g.label}</h3>
          {g.items.map((i) => (
            <button
              key={i.type}
              type="button"
              className={styles.paletteItem}
              style={{ ['--node-color' as string]: i.meta.color }}
              draggable
              onDragStart={(e) => {
                e.dataTransfer.setData(DND_MIME, i.type);
                e.dataTransfer.effectAllowed = 'copy';
              }}
              onClick={() => onAdd(i.type)}
              title={i.meta.description}
              data-node-type={i.type}
            >
              <span className={styles.paletteIcon} aria-hidden>
                {i.meta.icon}
              </span>
              <span className={styles.paletteText}>
                <strong>{i.meta.label}</strong>
                <span>{i.meta.description}</span>
              </span>
            </button>
          ))}
        </section>
      ))}
      <p className="muted small">{hasSelection ? 'Click adds the node after the selected one.' : 'Drag onto the canvas, or click to add.'}</p>
    </aside>
  );
}
