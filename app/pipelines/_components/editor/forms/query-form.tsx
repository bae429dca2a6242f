'use client';
/** Query node: a source connection, then SQL (CodeMirror), a table from the catalog or a dbt model; the columns; the primary key. */
import { sql as sqlLang } from '@codemirror/lang-sql';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import CodeMirror from '@uiw/react-codemirror';
import Link from 'next/link';
import { useState } from 'react';
import { useTRPC } from '../../../../_components/trpc';
import type { TGraphNode } from '../../../../../workflows/graph/schema';
import type { TDbtModelRef, TQueryConfig, TQuerySource } from '../../../../../workflows/nodes/query/schema';
import { readQueryConfig } from '../../../_lib/config-draft';
import { messageAt } from '../../../_lib/issues';
import { errorMessage } from '../../shared';
import { useEditor } from '../editor-context';
import styles from '../editor.module.css';

const SQL_EXTENSIONS = [sqlLang()];

/** A key-looking column to suggest when none is picked. */
function suggestKey(columns: { name: string }[]): string | undefined {
  return columns.find((c) => c.name === 'id')?.name ?? columns.find((c) => /_id$/.test(c.name))?.name;
}

export function QueryForm({ node }: { node: TGraphNode }) {
  const ctx = useEditor();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const c = readQueryConfig(node.config);
  const set = (next: TQueryConfig, key: string) => ctx.setConfig(node.id, next, key);
  const sources = ctx.connections.filter((x) => x.kind === 'source');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [readFor, setReadFor] = useState<string | null>(c.columns ? JSON.stringify(c.source) : null);
  const [models, setModels] = useState<TDbtModelRef[] | null>(null);
  const catalog = useQuery({
    ...trpc.connection.discover.queryOptions({ id: c.connectionId }),
    enabled: c.connectionId !== '' && c.source.kind === 'table' && !ctx.readOnly,
    staleTime: 5 * 60_000,
    retry: false,
  });
  const dbtModels = useMutation(trpc.pipeline.dbtModels.mutationOptions({ onSuccess: (r) => setModels(r.models) }));
  const issue = (path: (string | number)[]) => messageAt(ctx.issues, node.id, path);

  async function introspect(source: TQuerySource = c.source, base: TQueryConfig = c) {
    if (!base.connectionId) return;
    setBusy(true);
    setError(null);
    try {
      const r = await queryClient.fetchQuery({ ...trpc.pipeline.introspect.queryOptions({ connectionId: base.connectionId, source }), staleTime: 0 });
      const key = base.primaryKey.length ? base.primaryKey : [];
      set({ ...base, source, columns: r.columns, primaryKey: key.filter((k) => r.columns.some((x) => x.name === k)) }, 'columns');
      setReadFor(JSON.stringify(source));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  // Picking a dbt model starts with uploading a manifest, while the old source stays until a model is chosen.
  const mode = models !== null && c.source.kind !== 'dbt' ? 'dbt' : c.source.kind;
  const tables = catalog.data?.kind === 'source' ? catalog.data.tables : [];
  const tableKey = c.source.kind === 'table' ? `${c.source.schema ?? ''}.${c.source.table}` : '';
  const stale = c.columns !== undefined && readFor !== null && readFor !== JSON.stringify(c.source);
  const suggestion = c.columns && c.primaryKey.length === 0 ? suggestKey(c.columns) : undefined;

  return (
    <div className={styles.form}>
      <label>
        Source connection
        <select
          value={c.connectionId}
          onChange={(e) => {
            const { columns: _drop, ...rest } = c;
            set({ ...rest, connectionId: e.target.value }, 'connection');
          }}
        >
          <option value="">Pick a warehouse…</option>
          {sources.map((s) => (
            <option key={s.id} value={s.id}>
              {s.icon} {s.name} ({s.connectorName})
            </option>
          ))}
        </select>
        {issue(['connectionId']) ? <span className="field-error">{issue(['connectionId'])}</span> : null}
        {sources.length === 0 ? (
          <span className="small">
            No source connection yet — <Link href="/connections">connect a warehouse</Link>.
          </span>
        ) : null}
      </label>

      <div className={styles.segmented} role="radiogroup" aria-label="Read from">
        {(['sql', 'table', 'dbt'] as const).map((k) => (
          <button
            key={k}
            type="button"
            role="radio"
            aria-checked={mode === k}
            className={mode === k ? styles.segActive : styles.seg}
            onClick={() => {
              if (mode === k) return;
              const source: TQuerySource = k === 'sql' ? { kind: 'sql', sql: 'SELECT * FROM customers' } : k === 'table' ? { kind: 'table', schema: null, table: '' } : { kind: 'sql', sql: '' };
              if (k === 'dbt') {
                setModels(models ?? []);
                return;
              }
              setModels(null);
              if (c.source.kind !== k) set({ ...c, source }, 'source-kind');
            }}
          >
            {k === 'sql' ? 'SQL' : k === 'table' ? 'Table' : 'dbt model'}
          </button>
        ))}
      </div>

      {mode === 'sql' && c.source.kind === 'sql' ? (
        <div className={styles.sqlEditor}>
          <CodeMirror
            value={c.source.sql}
            extensions={SQL_EXTENSIONS}
            editable={!ctx.readOnly}
            basicSetup={{ lineNumbers: true, foldGutter: false, highlightActiveLine: false }}
            minHeight="120px"
            maxHeight="260px"
            aria-label="SQL"
            onChange={(v) => set({ ...c, source: { kind: 'sql', sql: v } }, 'sql')}
          />
          {issue(['source', 'sql']) ?? issue(['source']) ? <span className="field-error">{issue(['source', 'sql']) ?? issue(['source'])}</span> : null}
          <span className="muted small">One read-only SELECT. It runs in the warehouse; filters and transforms below are pushed into it.</span>
        </div>
      ) : null}

      {mode === 'table' && c.source.kind === 'table' ? (
        <label>
          Table
          {catalog.isLoading ? <span className="muted small">Reading the catalog…</span> : null}
          {catalog.error ? <span className="field-error">{catalog.error.message}</span> : null}
          <select
            value={tableKey}
            onChange={(e) => {
              const t = tables.find((x) => `${x.schema}.${x.name}` === e.target.value);
              if (!t) return;
              const columns = t.columns.map((col) => ({ name: col.name, type: col.type, nativeType: col.nativeType }));
              // The catalog already knows the columns: no introspection round trip needed.
              set({ ...c, source: { kind: 'table', schema: t.schema, table: t.name }, columns, primaryKey: c.primaryKey.filter((k) => columns.some((x) => x.name === k)) }, 'table');
              setReadFor(JSON.stringify({ kind: 'table', schema: t.schema, table: t.name }));
            }}
          >
            <option value="">{c.source.table ? `${c.source.schema ? `${c.source.schema}.` : ''}${c.source.table}` : 'Pick a table…'}</option>
            {tables.map((t) => (
              <option key={`${t.schema}.${t.name}`} value={`${t.schema}.${t.name}`}>
                {t.schema}.{t.name} ({t.kind}, {t.columns.length} columns)
              </option>
            ))}
          </select>
          {issue(['source', 'table']) ? <span className="field-error">{issue(['source', 'table'])}</span> : null}
        </label>
      ) : null}

      {mode === 'dbt' ? (
        <div className={styles.form}>
          {c.source.kind === 'dbt' ? (
            <p className="small">
              dbt model <strong>{c.source.model.name}</strong> → <code>{[c.source.model.database, c.source.model.schema, c.source.model.alias].filter(Boolean).join('.')}</code>
            </p>
          ) : null}
          <label>
            dbt manifest.json
            <input
              type="file"
              accept=".json,application/json"
              onChange={async (e) => {
                const f = e.target.files?.[0];
                if (f) dbtModels.mutate({ manifest: await f.text() });
              }}
            />
            <span className="muted small">From your dbt project’s target/ folder. It stays in your browser except for this one request.</span>
          </label>
          {dbtModels.error ? <span className="field-error">{dbtModels.error.message}</span> : null}
          {models && models.length > 0 ? (
            <label>
              Model
              <select
                value={c.source.kind === 'dbt' ? c.source.model.uniqueId : ''}
                onChange={(e) => {
                  const m = models.find((x) => x.uniqueId === e.target.value);
                  if (!m) return;
                  const source: TQuerySource = { kind: 'dbt', model: m };
                  void introspect(source, { ...c, source });
                }}
              >
                <option value="">Pick a model…</option>
                {models.map((m) => (
                  <option key={m.uniqueId} value={m.uniqueId}>
                    {m.name} ({m.schema}.{m.alias})
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          {c.source.kind !== 'dbt' ? (
            <button type="button" className="btn small" onClick={() => setModels(null)}>
              Cancel
            </button>
          ) : null}
        </div>
      ) : null}

      <div className={styles.row}>
        <button type="button" className="btn small" onClick={() => void introspect()} disabled={busy || !c.connectionId || ctx.readOnly}>
          {busy ? 'Reading columns…' : c.columns ? 'Introspect columns again' : 'Introspect columns'}
        </button>
        {c.columns ? <span className="muted small">{c.columns.length} columns</span> : <span className="muted small">columns not read yet</span>}
      </div>
      {stale ? <p className="attention-text small">The source changed since its columns were read — introspect again so the nodes below see the right columns.</p> : null}
      {error ? (
        <p className="error-text small" role="alert">
          {error}
        </p>
      ) : null}

      <div className={styles.form}>
        <span className={styles.label}>Primary key</span>
        {c.columns ? (
          <div className={styles.chips} role="group" aria-label="Primary key columns">
            {c.columns.map((col) => {
              const on = c.primaryKey.includes(col.name);
              return (
                <label key={col.name} className={on ? styles.chipOn : styles.chip}>
                  <input
                    type="checkbox"
                    checked={on}
                    onChange={() => set({ ...c, primaryKey: on ? c.primaryKey.filter((k) => k !== col.name) : [...c.primaryKey, col.name] }, 'pk')}
                  />
                  {col.name}
                </label>
              );
            })}
          </div>
        ) : (
          <input
            value={c.primaryKey.join(', ')}
            placeholder="customer_id"
            aria-label="Primary key columns"
            onChange={(e) => set({ ...c, primaryKey: e.target.value.split(',').map((s) => s.trim()).filter(Boolean) }, 'pk')}
          />
        )}
        {suggestion ? (
          <button type="button" className="link-button small" onClick={() => set({ ...c, primaryKey: [suggestion] }, 'pk')}>
            Use {suggestion} as the key
          </button>
        ) : null}
        {issue(['primaryKey']) ? <span className="field-error">{issue(['primaryKey'])}</span> : null}
        <span className="muted small">The column(s) that identify a row: changes and deletions are tracked by this key.</span>
      </div>
    </div>
  );
}
