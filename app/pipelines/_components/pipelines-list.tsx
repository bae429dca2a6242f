'use client';
/**
 * The pipelines list: what each pipeline publishes, how its last run went and
 * where it sends data, with the everyday actions (open, rename, duplicate,
 * export, delete) and the ways to start one (blank, template, import).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useRef, useState } from 'react';
import { useToast } from '../../_components/toast';
import { useTRPC } from '../../_components/trpc';
import { useWorkspaceRole } from '../../_components/use-role';
import { ConfirmDialog } from '../../runs/_components/confirm-dialog';
import { StatusBadge } from '../../runs/_components/status-badge';
import { timeAgo } from '../../runs/_lib/format';
import { NewPipelineDialog } from './new-pipeline-dialog';
import { downloadJson, errorMessage, fileSafe, type ConnectionView, type PipelineListItem } from './shared';
import styles from './pipelines-list.module.css';

export function PipelinesList() {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const queryClient = useQueryClient();
  const { can } = useWorkspaceRole();
  const list = useQuery(trpc.pipeline.list.queryOptions());
  const connections = useQuery(trpc.connection.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const [filter, setFilter] = useState('');
  const fileInput = useRef<HTMLInputElement>(null);
  const importDoc = useMutation(
    trpc.pipeline.import.mutationOptions({
      onSuccess: async (p) => {
        await queryClient.invalidateQueries({ queryKey: trpc.pipeline.list.queryKey() });
        toast({ tone: 'ok', title: `Imported "${p.name}"` });
        router.push(`/pipelines/${p.id}`);
      },
      onError: (err) => toast({ tone: 'error', title: 'Import failed', body: err.message }),
    }),
  );

  async function onImportFile(file: File | undefined) {
    if (!file) return;
    const text = await file.text();
    importDoc.mutate({ document: text });
    if (fileInput.current) fileInput.current.value = '';
  }

  const rows = list.data ?? [];
  const q = filter.trim().toLowerCase();
  const shown = rows.filter((p) => !q || p.name.toLowerCase().includes(q) || (p.description ?? '').toLowerCase().includes(q));
  const editor = can('editor');

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Pipelines</h1>
          <p className="muted small">Graphs that read your warehouse and keep your tools in sync: query → filter → transform → map → destination.</p>
        </div>
        {editor ? (
          <div className={styles.headActions}>
            <input ref={fileInput} type="file" accept="application/json,.json" hidden aria-label="Import a pipeline JSON file" onChange={(e) => void onImportFile(e.target.files?.[0])} />
            <button type="button" className="btn" onClick={() => fileInput.current?.click()} disabled={importDoc.isPending}>
              {importDoc.isPending ? 'Importing…' : 'Import JSON'}
            </button>
            <button type="button" className="btn primary" onClick={() => setCreating(true)}>
              New pipeline
            </button>
          </div>
        ) : null}
      </header>

      {list.isLoading ? <p className="muted">Loading pipelines…</p> : null}
      {list.error ? (
        <p className="error-text" role="alert">
          {list.error.message}
        </p>
      ) : null}

      {list.data && rows.length === 0 ? (
        <section className={`card ${styles.empty}`}>
          <div className={styles.emptyIcon} aria-hidden>
            ⤳
          </div>
          <h2>No pipelines yet</h2>
          <p className="muted">
            A pipeline reads rows from your warehouse, keeps the ones you want, shapes them, and syncs them into a tool such as HubSpot or a webhook. Start from the demo
            template to see one working in a minute.
          </p>
          {editor ? (
            <div className={styles.headActions}>
              <button type="button" className="btn primary" onClick={() => setCreating(true)}>
                Create a pipeline
              </button>
              <button type="button" className="btn" onClick={() => fileInput.current?.click()}>
                Import JSON
              </button>
            </div>
          ) : (
            <p className="muted">Ask an editor or admin to create the first pipeline.</p>
          )}
        </section>
      ) : null}

      {rows.length > 0 ? (
        <>
          {rows.length > 6 ? <input type="search" className={styles.search} placeholder={`Filter ${rows.length} pipelines…`} value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter pipelines" /> : null}
          <table className="table">
            <thead>
              <tr>
                <th>Pipeline</th>
                <th>Published</th>
                <th>Last run</th>
                <th>Destinations</th>
                <th className="right">Actions</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((p) => (
                <PipelineRow key={p.id} p={p} connections={connections.data} canEdit={editor} />
              ))}
            </tbody>
          </table>
          {shown.length === 0 ? <p className="muted">No pipeline matches “{filter}”.</p> : null}
        </>
      ) : null}

      {creating ? <NewPipelineDialog onClose={() => setCreating(false)} /> : null}
    </div>
  );
}

function PipelineRow({ p, connections, canEdit }: { p: PipelineListItem; connections: ConnectionView[] | undefined; canEdit: boolean }) {
  const trpc = useTRPC();
  const toast = useToast();
  const queryClient = useQueryClient();
  // One small query per row; the tRPC link batches them into one request.
  const lastRun = useQuery(trpc.run.list.queryOptions({ pipelineId: p.id, limit: 1 }));
  const [renaming, setRenaming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.pipeline.list.queryKey() });
  const duplicate = useMutation(
    trpc.pipeline.duplicate.mutationOptions({
      onSuccess: async (c) => {
        await invalidate();
        toast({ tone: 'ok', title: `Duplicated as "${c.name}"`, link: { href: `/pipelines/${c.id}`, label: 'Open the copy' } });
      },
      onError: (err) => toast({ tone: 'error', title: 'Could not duplicate', body: err.message }),
    }),
  );
  const remove = useMutation(
    trpc.pipeline.delete.mutationOptions({
      onSuccess: async () => {
        setDeleting(false);
        await invalidate();
        toast({ tone: 'ok', title: `Deleted "${p.name}"` });
      },
    }),
  );

  async function exportJson() {
    try {
      const doc = await queryClient.fetchQuery(trpc.pipeline.export.queryOptions({ id: p.id }));
      downloadJson(`${fileSafe(p.name)}.backflow.json`, doc);
    } catch (err) {
      toast({ tone: 'error', title: 'Export failed', body: errorMessage(err) });
    }
  }

  const run = lastRun.data?.runs[0];
  const destinations = (connections ?? []).filter((c) => c.kind === 'destination' && c.usedBy.some((u) => u.id === p.id));
  return (
    <tr>
      <td>
        <Link href={`/pipelines/${p.id}`} className={styles.name}>
          {p.name}
        </Link>
        {p.description ? <div className="muted small">{p.description}</div> : null}
        <div className="muted small">Draft saved {timeAgo(p.draftSavedAt, Date.now())}</div>
      </td>
      <td className={styles.nowrap}>
        {p.latestVersion ? (
          <>
            <span className="version-pill">v{p.latestVersion.number}</span> <span className="muted small">{timeAgo(p.latestVersion.createdAt, Date.now())}</span>
          </>
        ) : (
          <span className="muted">Not published</span>
        )}
      </td>
      <td>
        {run ? (
          <Link href={`/runs/${run.id}`} className={styles.run}>
            <StatusBadge status={run.status} /> <span className="muted small">{timeAgo(run.createdAt, Date.now())}</span>
          </Link>
        ) : lastRun.isLoading ? (
          <span className="muted small">…</span>
        ) : (
          <span className="muted">Never run</span>
        )}
      </td>
      <td>
        {destinations.length === 0 ? (
          <span className="muted">None yet</span>
        ) : (
          <ul className={styles.destList}>
            {destinations.map((d) => (
              <li key={d.id} title={d.connectorName}>
                <span aria-hidden>{d.icon}</span> {d.name}
              </li>
            ))}
          </ul>
        )}
      </td>
      <td className="right">
        <div className={styles.actions}>
          <Link href={`/pipelines/${p.id}`} className="btn small">
            Open
          </Link>
          {canEdit ? (
            <>
              <button type="button" className="btn small" onClick={() => setRenaming(true)}>
                Rename
              </button>
              <button type="button" className="btn small" onClick={() => duplicate.mutate({ id: p.id })} disabled={duplicate.isPending}>
                Duplicate
              </button>
            </>
          ) : null}
          <button type="button" className="btn small" onClick={() => void exportJson()}>
            Export
          </button>
          {canEdit ? (
            <button type="button" className="btn small danger" onClick={() => setDeleting(true)}>
              Delete
            </button>
          ) : null}
        </div>
        {renaming ? <RenameDialog p={p} onClose={() => setRenaming(false)} /> : null}
        <ConfirmDialog
          open={deleting}
          title={`Delete "${p.name}"?`}
          confirmLabel="Delete pipeline"
          danger
          busy={remove.isPending}
          onConfirm={() => remove.mutate({ id: p.id })}
          onClose={() => {
            setDeleting(false);
            remove.reset();
          }}
        >
          <p>The draft, every published version, its run history and its sync state are deleted. Records already synced stay in the destinations.</p>
          {remove.error ? (
            <p className="error-text" role="alert">
              {remove.error.message}
            </p>
          ) : null}
        </ConfirmDialog>
      </td>
    </tr>
  );
}

function RenameDialog({ p, onClose }: { p: PipelineListItem; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState(p.name);
  const [description, setDescription] = useState(p.description ?? '');
  const rename = useMutation(
    trpc.pipeline.rename.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.pipeline.list.queryKey() });
        onClose();
      },
    }),
  );
  return (
    <ConfirmDialog open title="Rename pipeline" confirmLabel="Save" busy={rename.isPending} onConfirm={() => rename.mutate({ id: p.id, name, description: description.trim() || null })} onClose={onClose}>
      <div className="form">
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} autoFocus />
        </label>
        <label>
          Description
          <textarea value={description} onChange={(e) => setDescription(e.target.value)} rows={2} />
        </label>
        {rename.error ? (
          <p className="error-text" role="alert">
            {rename.error.message}
          </p>
        ) : null}
      </div>
    </ConfirmDialog>
  );
}
