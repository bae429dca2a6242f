'use client';
/** Destination node: a destination connection, the object, a sync mode the connector and object allow, and the connector's options. */
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { useTRPC } from '../../../../_components/trpc';
import { SYNC_MODES, type SyncMode } from '../../../../../connectors/sdk/types';
import type { TGraphNode } from '../../../../../workflows/graph/schema';
import type { TDestinationConfig } from '../../../../../workflows/nodes/destination/schema';
import { readDestinationConfig } from '../../../_lib/config-draft';
import { messageAt } from '../../../_lib/issues';
import type { ConnectorInfo } from '../../shared';
import { useEditor } from '../editor-context';
import styles from '../editor.module.css';

const MODE_TEXT: Record<SyncMode, { label: string; does: string }> = {
  upsert: { label: 'Upsert', does: 'Add new records and update existing ones.' },
  update: { label: 'Update only', does: 'Update records that already exist; never create.' },
  insert: { label: 'Insert only', does: 'Add records never synced before; never update.' },
  mirror: { label: 'Mirror', does: 'Add, update, and delete records whose rows disappeared (deletions wait for confirmation when many).' },
  add_remove: { label: 'Add / remove members', does: 'Keep a list or audience in step: add new rows, remove the ones that left.' },
};

export function DestinationForm({ node }: { node: TGraphNode }) {
  const ctx = useEditor();
  const trpc = useTRPC();
  const c = readDestinationConfig(node.config);
  const set = (next: TDestinationConfig, key: string) => ctx.setConfig(node.id, next, key);
  const dests = ctx.connections.filter((x) => x.kind === 'destination');
  const conn = dests.find((x) => x.id === c.connectionId);
  const connector = ctx.connectors.find((x) => x.slug === (conn?.connector ?? c.connector));
  const discover = useQuery({ ...trpc.connection.discover.queryOptions({ id: c.connectionId }), enabled: Boolean(conn) && !ctx.readOnly, staleTime: 5 * 60_000, retry: false });
  const objects = discover.data?.kind === 'destination' ? discover.data.objects : [];
  const object = objects.find((o) => o.name === c.object);
  const modes: SyncMode[] = object?.modes ?? connector?.capabilities?.modes ?? [...SYNC_MODES];
  const issue = (p: (string | number)[]) => messageAt(ctx.issues, node.id, p);

  return (
    <div className={styles.form}>
      <label>
        Destination connection
        <select
          value={c.connectionId}
          onChange={(e) => {
            const next = dests.find((x) => x.id === e.target.value);
            set({ connectionId: e.target.value, ...(next ? { connector: next.connector } : {}), object: '', mode: c.mode, options: {} }, 'connection');
          }}
        >
          <option value="">Pick a destination…</option>
          {dests.map((d) => (
            <option key={d.id} value={d.id}>
              {d.icon} {d.name} ({d.connectorName})
            </option>
          ))}
        </select>
        {issue(['connectionId']) ? <span className="field-error">{issue(['connectionId'])}</span> : null}
        {dests.length === 0 ? (
          <span className="small">
            No destination yet — <Link href="/connections/new">add one</Link>.
          </span>
        ) : null}
      </label>

      <label>
        Object
        {discover.isLoading ? <span className="muted small">Asking {conn?.name}…</span> : null}
        {discover.error ? <span className="field-error">{discover.error.message}</span> : null}
        {objects.length > 0 ? (
          <select value={c.object} onChange={(e) => set({ ...c, object: e.target.value }, 'object')}>
            <option value="">Pick an object…</option>
            {c.object && !object ? <option value={c.object}>{c.object} (not found)</option> : null}
            {objects.map((o) => (
              <option key={o.name} value={o.name}>
                {o.label ?? o.name}
                {o.label && o.label !== o.name ? ` (${o.name})` : ''}
              </option>
            ))}
          </select>
        ) : (
          <input value={c.object} placeholder="e.g. contacts" onChange={(e) => set({ ...c, object: e.target.value }, 'object')} />
        )}
        {object?.description ? <span className="muted small">{object.description}</span> : null}
        {issue(['object']) ? <span className="field-error">{issue(['object'])}</span> : null}
      </label>

      <fieldset className={styles.modes}>
        <legend className={styles.label}>Sync mode</legend>
        {SYNC_MODES.map((m) => {
          const allowed = modes.includes(m);
          return (
            <label key={m} className={`${styles.mode} ${allowed ? '' : styles.modeOff}`} title={allowed ? undefined : `${connector?.displayName ?? 'This destination'} does not support ${MODE_TEXT[m].label}`}>
              <input type="radio" name={`mode-${node.id}`} checked={c.mode === m} disabled={!allowed} onChange={() => set({ ...c, mode: m }, 'mode')} />
              <span>
                <strong>{MODE_TEXT[m].label}</strong>
                <span className="muted small"> — {MODE_TEXT[m].does}</span>
              </span>
            </label>
          );
        })}
        {issue(['mode']) ? <span className="field-error">{issue(['mode'])}</span> : null}
      </fieldset>

      {connector?.forms.options && connector.forms.options.fields.length > 0 ? (
        <OptionsForm spec={connector.forms.options} values={c.options} onChange={(options) => set({ ...c, options }, 'options')} issueAt={(k) => issue(['options', k])} />
      ) : null}
    </div>
  );
}

type OptionsSpec = NonNullable<ConnectorInfo['forms']['options']>;

/** The connector's options form, rendered from its schema's flattened field list (as the connection form does). */
function OptionsForm({ spec, values, onChange, issueAt }: { spec: OptionsSpec; values: Record<string, unknown>; onChange(v: Record<string, unknown>): void; issueAt(key: string): string | undefined }) {
  const [json, setJson] = useState<Record<string, string>>({});
  const [jsonErr, setJsonErr] = useState<Record<string, string>>({});
  const put = (key: string, v: unknown) => {
    const next = { ...values };
    if (v === undefined) delete next[key];
    else next[key] = v;
    onChange(next);
  };
  return (
    <div className={styles.form}>
      <span className={styles.label}>Options</span>
      {spec.fields.map((f) => {
        const v = values[f.key];
        const err = jsonErr[f.key] ?? issueAt(f.key);
        const hint = f.description ? <span className="muted small">{f.description}</span> : null;
        if (f.kind === 'boolean') {
          return (
            <label key={f.key} className={styles.inline}>
              <input type="checkbox" checked={v === undefined ? f.default === true : v === true} onChange={(e) => put(f.key, e.target.checked)} />
              {f.label}
              {hint}
            </label>
          );
        }
        return (
          <label key={f.key}>
            {f.label}
            {f.kind === 'select' ? (
              <select value={typeof v === 'string' ? v : ''} onChange={(e) => put(f.key, e.target.value || undefined)}>
                <option value="">{f.default !== undefined ? `default (${String(f.default)})` : 'choose…'}</option>
                {(f.options ?? []).map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            ) : f.kind === 'number' ? (
              <input type="number" value={typeof v === 'number' ? v : ''} min={f.min} max={f.max} placeholder={f.default !== undefined ? String(f.default) : ''} onChange={(e) => put(f.key, e.target.value === '' ? undefined : Number(e.target.value))} />
            ) : f.kind === 'json' ? (
              <textarea
                rows={3}
                className={styles.mono}
                value={json[f.key] ?? (v === undefined ? '' : JSON.stringify(v, null, 2))}
                onChange={(e) => {
                  const text = e.target.value;
                  setJson((j) => ({ ...j, [f.key]: text }));
                  if (text.trim() === '') {
                    setJsonErr(({ [f.key]: _x, ...rest }) => rest);
                    put(f.key, undefined);
                    return;
                  }
                  try {
                    put(f.key, JSON.parse(text));
                    setJsonErr(({ [f.key]: _x, ...rest }) => rest);
                  } catch {
                    setJsonErr((x) => ({ ...x, [f.key]: 'not valid JSON yet' }));
                  }
                }}
              />
            ) : (
              <input value={typeof v === 'string' ? v : ''} placeholder={f.default !== undefined ? String(f.default) : ''} onChange={(e) => put(f.key, e.target.value === '' ? undefined : e.target.value)} />
            )}
            {hint}
            {err ? <span className="field-error">{err}</span> : null}
          </label>
        );
      })}
    </div>
  );
}
