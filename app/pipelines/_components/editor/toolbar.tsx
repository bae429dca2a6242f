'use client';
/** The editor's toolbar: name and save status, history and view controls, drawers, and publish / run. */
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import type { TRole } from '../../../_server/roles';
import { StatusBadge } from '../../../runs/_components/status-badge';
import { timeAgo } from '../../../runs/_lib/format';
import type { SaveState } from '../../_lib/autosave';
import { SHORTCUTS } from '../../_lib/shortcuts';
import type { RunItem } from '../shared';
import styles from './editor.module.css';

type Props = {
  name: string;
  onRename(name: string): void;
  canEdit: boolean;
  canRun: boolean;
  role: TRole | null;
  saveState: SaveState;
  onSaveNow(): void;
  onReload(): void;
  onOverwrite(): void;
  latestVersion: { number: number; createdAt: Date } | null;
  lastRun: RunItem | null;
  counts: { errors: number; warnings: number };
  canUndo: boolean;
  canRedo: boolean;
  onUndo(): void;
  onRedo(): void;
  onLayout(): void;
  onFit(): void;
  onIssues(): void;
  onPreview(): void;
  onVersions(): void;
  onExport(): void;
  onImport(file: File): void;
  onPublish(): void;
  onRun(): void;
  busy: null | 'publish' | 'run' | 'check';
  helpOpen: boolean;
  onHelp(open: boolean): void;
  viewing: boolean;
};

export function Toolbar(p: Props) {
  const [draftName, setDraftName] = useState(p.name);
  useEffect(() => setDraftName(p.name), [p.name]);
  const file = useRef<HTMLInputElement>(null);
  return (
    <header className={styles.toolbar}>
      <div className={styles.toolbarLeft}>
        <Link href="/pipelines" className={styles.back} aria-label="All pipelines">
          ←
        </Link>
        {p.canEdit ? (
          <input
            className={styles.nameInput}
            value={draftName}
            aria-label="Pipeline name"
            onChange={(e) => setDraftName(e.target.value)}
            onBlur={() => p.onRename(draftName)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') e.currentTarget.blur();
              if (e.key === 'Escape') setDraftName(p.name);
            }}
          />
        ) : (
          <h1 className={styles.name}>{p.name}</h1>
        )}
        {p.latestVersion ? (
          <span className="version-pill" title={`Published ${new Date(p.latestVersion.createdAt).toLocaleString()}`}>
            v{p.latestVersion.number}
          </span>
        ) : (
          <span className="muted small">not published</span>
        )}
        {p.canEdit && !p.viewing ? <SaveStatus state={p.saveState} onSaveNow={p.onSaveNow} onReload={p.onReload} onOverwrite={p.onOverwrite} /> : null}
      </div>
      <div className={styles.toolbarRight}>
        {p.canEdit ? (
          <div className={styles.group} role="group" aria-label="History">
            <button type="button" className="btn small" onClick={p.onUndo} disabled={!p.canUndo} title="Undo (Ctrl/⌘ + Z)">
              ↶ Undo
            </button>
            <button type="button" className="btn small" onClick={p.onRedo} disabled={!p.canRedo} title="Redo (Shift + Ctrl/⌘ + Z)">
              ↷ Redo
            </button>
          </div>
        ) : null}
        <div className={styles.group} role="group" aria-label="View">
          {p.canEdit ? (
            <button type="button" className="btn small" onClick={p.onLayout} disabled={p.viewing} title="Auto-layout (Shift + L)">
              Auto-layout
            </button>
          ) : null}
          <button type="button" className="btn small" onClick={p.onFit} title="Fit view (F)">
            Fit
          </button>
        </div>
        <div className={styles.group} role="group" aria-label="Panels">
          <button type="button" className={`btn small ${p.counts.errors ? styles.issuesBad : ''}`} onClick={p.onIssues} title="Validation issues">
            {p.counts.errors ? `✕ ${p.counts.errors} error${p.counts.errors === 1 ? '' : 's'}` : p.counts.warnings ? `⚠ ${p.counts.warnings}` : '✓ Valid'}
          </button>
          <button type="button" className="btn small" onClick={p.onPreview} title="Preview the selected node (Ctrl/⌘ + Enter)">
            Preview
          </button>
          <button type="button" className="btn small" onClick={p.onVersions}>
            Versions
          </button>
          <button type="button" className="btn small" onClick={p.onExport} title="Download the pipeline as JSON">
            Export
          </button>
          {p.canEdit ? (
            <>
              <input ref={file} type="file" accept="application/json,.json" hidden aria-label="Import a pipeline JSON file" onChange={(e) => {
                const f = e.target.files?.[0];
                if (f) p.onImport(f);
                e.target.value = '';
              }} />
              <button type="button" className="btn small" onClick={() => file.current?.click()} disabled={p.viewing}>
                Import
              </button>
            </>
          ) : null}
          <HelpPopover open={p.helpOpen} onOpen={p.onHelp} />
        </div>
        {p.lastRun ? (
          <Link href={`/runs/${p.lastRun.id}`} className={styles.lastRun} title="Last run">
            <StatusBadge status={p.lastRun.status} /> <span className="muted small">{timeAgo(p.lastRun.createdAt, Date.now())}</span>
          </Link>
        ) : null}
        {p.canRun ? (
          <button type="button" className="btn small" onClick={p.onRun} disabled={!p.latestVersion || p.busy === 'run'} title={p.latestVersion ? `Run version ${p.latestVersion.number}` : 'Publish first: runs use a published version'}>
            {p.busy === 'run' ? 'Starting…' : '▶ Run'}
          </button>
        ) : null}
        {p.canEdit ? (
          <button type="button" className="btn small primary" onClick={p.onPublish} disabled={p.busy === 'publish' || p.viewing} title="Publish (Ctrl/⌘ + Shift + P)">
            {p.busy === 'publish' ? 'Publishing…' : 'Publish'}
          </button>
        ) : null}
      </div>
    </header>
  );
}

function SaveStatus({ state, onSaveNow, onReload, onOverwrite }: { state: SaveState; onSaveNow(): void; onReload(): void; onOverwrite(): void }) {
  switch (state.status) {
    case 'saved':
      return (
        <span className={styles.save} data-save="saved" role="status">
          ✓ Saved{state.savedAt ? ` ${new Date(state.savedAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}` : ''}
        </span>
      );
    case 'dirty':
      return (
        <button type="button" className={`${styles.save} ${styles.saveButton}`} data-save="dirty" onClick={onSaveNow} title="Save now (Ctrl/⌘ + S)">
          ● Unsaved changes
        </button>
      );
    case 'saving':
      return (
        <span className={styles.save} data-save="saving" role="status">
          <span className="spinner" aria-hidden /> Saving…
        </span>
      );
    case 'error':
      return (
        <span className={`${styles.save} ${styles.saveBad}`} data-save="error" role="alert" title={state.message}>
          Not saved: {state.message.slice(0, 80)}{' '}
          <button type="button" className="btn small" onClick={onSaveNow}>
            Retry
          </button>
        </span>
      );
    case 'conflict':
      return (
        <span className={`${styles.save} ${styles.saveBad}`} data-save="conflict" role="alert" title={state.message}>
          Someone else saved this pipeline.{' '}
          <button type="button" className="btn small" onClick={onReload}>
            Reload theirs
          </button>{' '}
          <button type="button" className="btn small danger" onClick={onOverwrite}>
            Keep mine
          </button>
        </span>
      );
  }
}

function HelpPopover({ open, onOpen }: { open: boolean; onOpen(open: boolean): void }) {
  return (
    <span className={styles.helpWrap}>
      <button type="button" className="btn small" aria-expanded={open} aria-label="Keyboard shortcuts" onClick={() => onOpen(!open)} title="Keyboard shortcuts (?)">
        ?
      </button>
      {open ? (
        <div className={styles.help} role="dialog" aria-label="Keyboard shortcuts">
          <h2>Keyboard shortcuts</h2>
          <table>
            <tbody>
              {SHORTCUTS.map((s) => (
                <tr key={s.action}>
                  <td>
                    <kbd>{s.keys}</kbd>
                  </td>
                  <td>{s.does}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted small">Shortcuts pause while you type in a field or an editor.</p>
        </div>
      ) : null}
    </span>
  );
}
