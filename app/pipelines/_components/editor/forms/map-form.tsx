'use client';
/**
 * Map node: destination fields (discovered from the destination this map
 * feeds, with required and unique marks) ← a column, an expression or a fixed
 * value; the match key; what NULL does; "only if empty" where supported.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '../../../../_components/trpc';
import type { TColumn } from '../../../../../workflows/graph/columns';
import type { TGraphNode } from '../../../../../workflows/graph/schema';
import type { TFieldDescriptor, TMapConfig, TMapping, TMappingSource } from '../../../../../workflows/nodes/map/schema';
import { readDestinationConfig, readMapConfig } from '../../../_lib/config-draft';
import { messageAt } from '../../../_lib/issues';
import { autoMap, formatStatic, parseStatic, requiredUnmapped } from '../../../_lib/map-helpers';
import { errorMessage } from '../../shared';
import { useEditor } from '../editor-context';
import styles from '../editor.module.css';
import { ExpressionInput } from '../expression-input';

export function MapForm({ node, input }: { node: TGraphNode; input: TColumn[] | null }) {
  const ctx = useEditor();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const c = readMapConfig(node.config);
  const set = (next: TMapConfig, key: string) => ctx.setConfig(node.id, next, key);
  const destNode = ctx.graph.nodes.find((n) => n.type === 'destination' && ctx.graph.edges.some((e) => e.source === node.id && e.target === n.id));
  const dest = destNode ? readDestinationConfig(destNode.config) : null;
  const conn = dest ? ctx.connections.find((x) => x.id === dest.connectionId) : undefined;
  const connector = ctx.connectors.find((x) => x.slug === (conn?.connector ?? dest?.connector));
  const onlyIfEmptyOk = connector?.capabilities?.setOnlyIfEmpty === true;
  const snap = c.destinationFields;
  const fields = snap?.fields ?? [];
  const fixedFields = fields.length > 0;
  const stale = Boolean(snap && dest && (snap.connectionId !== dest.connectionId || snap.object !== dest.object));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);

  async function refresh(base: TMapConfig = c) {
    if (!dest?.connectionId || !dest.object) return;
    setBusy(true);
    setError(null);
    try {
      const r = await queryClient.fetchQuery({ ...trpc.pipeline.destinationFields.queryOptions({ connectionId: dest.connectionId, object: dest.object }), staleTime: 0 });
      set({ ...base, destinationFields: { connectionId: r.connectionId, object: r.object, fields: r.fields, fetchedAt: r.fetchedAt } }, 'fields');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }
  // Load the destination's fields once when they are missing or belong to another object.
  const tried = useRef(false);
  useEffect(() => {
    if (tried.current || ctx.readOnly || !dest?.connectionId || !dest.object) return;
    if (snap && !stale) return;
    tried.current = true;
    void refresh();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [dest?.connectionId, dest?.object]);

  const setMapping = (i: number, m: TMapping, key: string) => set({ ...c, mappings: c.mappings.map((x, k) => (k === i ? m : x)) }, `m${i}-${key}`);
  const missing = requiredUnmapped(c);
  const descriptor = (name: string) => fields.find((f) => f.name === name);

  return (
    <div className={styles.form}>
      <div className={styles.destBox}>
        {dest?.connectionId && dest.object ? (
          <>
            <span className="small">
              Fields of <strong>{dest.object}</strong> on <strong>{conn?.name ?? dest.connectionId}</strong>
              {snap?.fetchedAt ? <span className="muted"> · read {new Date(snap.fetchedAt).toLocaleString()}</span> : null}
            </span>
            <button type="button" className="btn small" onClick={() => void refresh()} disabled={busy || ctx.readOnly}>
              {busy ? 'Reading…' : snap ? 'Refresh fields' : 'Load fields'}
            </button>
          </>
        ) : (
          <span className="muted small">Connect this map to a destination and pick its object to load the fields; you can type field names meanwhile.</span>
        )}
        {stale ? <span className="attention-text small">The field list is for another object — refresh it.</span> : null}
        {snap && !fixedFields ? <span className="muted small">This object has no fixed fields: the names you map are the fields sent.</span> : null}
        {error ? <span className="field-error">{error}</span> : null}
      </div>

      {c.mappings.length === 0 ? <p className="muted small">No fields mapped yet.</p> : null}
      <div className={styles.mappings}>
        {c.mappings.map((m, i) => {
          const d = descriptor(m.field);
          const err = messageAt(ctx.issues, node.id, ['mappings', i]);
          return (
            <div key={i} className={styles.mapping} data-error={err ? 'true' : undefined}>
              <div className={styles.conditionLine}>
                {fixedFields ? (
                  <select aria-label={`Field ${i + 1}`} value={m.field} onChange={(e) => setMapping(i, { ...m, field: e.target.value }, 'field')}>
                    <option value="">Destination field…</option>
                    {!d && m.field ? <option value={m.field}>{m.field} (unknown)</option> : null}
                    {fields.map((f) => (
                      <option key={f.name} value={f.name} disabled={f.readOnly}>
                        {fieldText(f)}
                      </option>
                    ))}
                  </select>
                ) : (
                  <input aria-label={`Field ${i + 1}`} value={m.field} placeholder="field name" onChange={(e) => setMapping(i, { ...m, field: e.target.value }, 'field')} />
                )}
                <span aria-hidden>←</span>
                <select
                  aria-label={`Field ${i + 1} source`}
                  value={m.source.kind}
                  onChange={(e) => {
                    const k = e.target.value;
                    const source: TMappingSource = k === 'expression' ? { kind: 'expression', expression: m.source.kind === 'column' ? m.source.column : '' } : k === 'static' ? { kind: 'static', value: '' } : { kind: 'column', column: input?.[0]?.name ?? '' };
                    setMapping(i, { ...m, source }, 'kind');
                  }}
                >
                  <option value="column">column</option>
                  <option value="expression">expression</option>
                  <option value="static">fixed value</option>
                </select>
                <span className={styles.spacer} />
                <label className={styles.matchRadio} title="The match key finds existing records in the destination">
                  <input type="radio" name={`match-${node.id}`} checked={c.matchField === m.field && m.field !== ''} onChange={() => set({ ...c, matchField: m.field }, 'match')} />
                  key
                </label>
                <button type="button" className="btn small ghost" aria-label={`Remove mapping ${m.field || i + 1}`} onClick={() => set({ ...c, mappings: c.mappings.filter((_, k) => k !== i) }, 'mappings')}>
                  ✕
                </button>
              </div>
              <SourceEditor m={m} input={input} type={d?.type} onChange={(source) => setMapping(i, { ...m, source }, 'source')} />
              <div className={styles.conditionLine}>
                <label className={styles.inline}>
                  if NULL
                  <select aria-label={`Field ${i + 1} when null`} value={m.whenNull} onChange={(e) => setMapping(i, { ...m, whenNull: e.target.value === 'omit' ? 'omit' : 'send_null' }, 'null')}>
                    <option value="send_null">send null</option>
                    <option value="omit">leave the field out</option>
                  </select>
                </label>
                <label className={styles.inline} title={onlyIfEmptyOk ? 'Write only when the destination field is empty' : `${connector?.displayName ?? 'This destination'} cannot do this`}>
                  <input type="checkbox" checked={m.onlyIfEmpty} disabled={!onlyIfEmptyOk && !m.onlyIfEmpty} onChange={(e) => setMapping(i, { ...m, onlyIfEmpty: e.target.checked }, 'empty')} />
                  only if empty
                </label>
                {d ? <span className={styles.typeTag}>{d.type}</span> : null}
              </div>
              {err ? <span className="field-error">{err}</span> : null}
            </div>
          );
        })}
      </div>
      <div className={styles.row}>
        <button type="button" className="btn small" onClick={() => set({ ...c, mappings: [...c.mappings, { field: '', source: { kind: 'column', column: '' }, whenNull: 'send_null', onlyIfEmpty: false }] }, 'mappings')}>
          + Mapping
        </button>
        {fixedFields && input ? (
          <button
            type="button"
            className="btn small"
            onClick={() => {
              const r = autoMap(c, fields, input);
              set(r.config, 'automap');
              setNote(r.added.length ? `Mapped ${r.added.join(', ')} by name.` : 'No more fields match a column by name.');
            }}
          >
            Auto-map by name
          </button>
        ) : null}
        {missing.length ? (
          <button
            type="button"
            className="btn small"
            onClick={() => set({ ...c, mappings: [...c.mappings, ...missing.map((f): TMapping => ({ field: f.name, source: { kind: 'column', column: '' }, whenNull: 'send_null', onlyIfEmpty: false }))] }, 'mappings')}
          >
            Add required fields ({missing.length})
          </button>
        ) : null}
      </div>
      {note ? <p className="muted small">{note}</p> : null}
      <label>
        Match key
        <select value={c.matchField ?? ''} onChange={(e) => set(e.target.value ? { ...c, matchField: e.target.value } : { mappings: c.mappings, ...(c.destinationFields ? { destinationFields: c.destinationFields } : {}) }, 'match')}>
          <option value="">Pick the field that finds existing records…</option>
          {c.mappings
            .filter((m) => m.field)
            .map((m) => (
              <option key={m.field} value={m.field}>
                {m.field}
                {descriptor(m.field)?.unique ? ' (unique)' : ''}
              </option>
            ))}
        </select>
        {messageAt(ctx.issues, node.id, ['matchField']) ? <span className="field-error">{messageAt(ctx.issues, node.id, ['matchField'])}</span> : null}
      </label>
      {messageAt(ctx.issues, node.id, ['mappings']) ? <span className="field-error">{messageAt(ctx.issues, node.id, ['mappings'])}</span> : null}
    </div>
  );
}

function fieldText(f: TFieldDescriptor): string {
  const marks = [f.required ? '* required' : '', f.unique ? '◆ unique' : '', f.readOnly ? 'read-only' : ''].filter(Boolean).join(', ');
  return `${f.label && f.label !== f.name ? `${f.label} (${f.name})` : f.name} · ${f.type}${marks ? ` — ${marks}` : ''}`;
}

function SourceEditor({ m, input, type, onChange }: { m: TMapping; input: TColumn[] | null; type: TFieldDescriptor['type'] | undefined; onChange(s: TMappingSource): void }) {
  const src = m.source;
  const [text, setText] = useState(src.kind === 'static' ? formatStatic(src.value) : '');
  const [problem, setProblem] = useState<string | null>(null);
  if (src.kind === 'column') {
    return input ? (
      <select aria-label={`${m.field || 'Field'} column`} value={src.column} onChange={(e) => onChange({ kind: 'column', column: e.target.value })}>
        <option value="">Column…</option>
        {src.column && !input.some((c) => c.name === src.column) ? <option value={src.column}>{src.column} (not in the input)</option> : null}
        {input.map((c) => (
          <option key={c.name} value={c.name}>
            {c.name} · {c.type}
          </option>
        ))}
      </select>
    ) : (
      <input aria-label={`${m.field || 'Field'} column`} value={src.column} placeholder="column" onChange={(e) => onChange({ kind: 'column', column: e.target.value })} />
    );
  }
  if (src.kind === 'expression') {
    return <ExpressionInput label={`${m.field || 'Field'} expression`} value={src.expression} columns={input} onChange={(v) => onChange({ kind: 'expression', expression: v })} />;
  }
  return (
    <span className={styles.valueWrap}>
      <input
        aria-label={`${m.field || 'Field'} fixed value`}
        value={text}
        placeholder={type === 'boolean' ? 'true / false' : type === 'string_array' ? '["a", "b"]' : 'fixed value'}
        className={problem ? styles.inputBad : undefined}
        onChange={(e) => {
          setText(e.target.value);
          const r = parseStatic(e.target.value, type);
          if ('error' in r) setProblem(r.error);
          else {
            setProblem(null);
            onChange({ kind: 'static', value: r.value });
          }
        }}
      />
      {problem ? <span className="field-error">{problem}</span> : null}
    </span>
  );
}
